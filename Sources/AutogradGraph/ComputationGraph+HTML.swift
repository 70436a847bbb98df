import Foundation

extension ComputationGraph {
    /// The graph as one self-contained HTML page: the drawing as inline SVG (laid out in
    /// Swift, nothing loaded from the network) and a small script so that hovering over or
    /// clicking a node shows its full value and gradient, as PyTorch prints them, with the
    /// gradients on the edges around it.
    ///
    /// - Parameter title: the page's title and heading.
    public func html(title: String = "Computation graph") -> String {
        let drawing = HTMLDrawing(graph: self)
        let legend = GraphStyle.legendKinds(for: self).map { kind -> String in
            let (fill, stroke) = GraphStyle.colors(kind)
            let radius = kind == .operation ? "999px" : "4px"
            return "<span class=\"key\"><span class=\"swatch\" style=\"background:\(fill);border-color:\(stroke);border-radius:\(radius)\"></span>\(GraphStyle.escaped(GraphStyle.legendText(kind)))</span>"
        }.joined()
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(GraphStyle.escaped(title))</title>
            <style>
            \(GraphHTMLAssets.style)
            </style>
            </head>
            <body>
            <header>
            <h1>\(GraphStyle.escaped(title))</h1>
            <div class="legend">\(legend)<span class="key note">\(GraphStyle.escaped(GraphStyle.edgeLegend))</span></div>
            </header>
            <main>
            <div class="canvas">
            \(drawing.svg)
            </div>
            <aside id="details" aria-live="polite"><p class="hint">Hover over or click a node to see its full value and gradient.</p></aside>
            </main>
            <script type="application/json" id="graph-data">\(drawing.json)</script>
            <script>
            \(GraphHTMLAssets.script)
            </script>
            </body>
            </html>

            """
    }
}

/// The SVG and the data behind the page's script, for one graph.
private struct HTMLDrawing {
    /// Height of one line of text in a node.
    static let lineHeight = 15.0
    /// Height of one line of an edge label.
    static let labelLineHeight = 13.0

    let svg: String
    let json: String

    init(graph: ComputationGraph) {
        var sizes: [String: (width: Double, height: Double)] = [:]
        for node in graph.nodes {
            let lines = node.textLines
            let widest = lines.map { HTMLDrawing.textWidth($0.text, bold: $0.role == .title) }.max() ?? 0
            let padding = node.kind == .operation ? 40.0 : 20.0
            sizes[node.id] = (widest + padding, Double(lines.count) * HTMLDrawing.lineHeight + 14)
        }
        let labelHeights = graph.edges.map { Double($0.labelLines.count) * HTMLDrawing.labelLineHeight }
        let layout = GraphLayout(graph: graph, sizes: sizes, labelHeights: labelHeights)
        svg = HTMLDrawing.svg(graph, layout, sizes)
        json = HTMLDrawing.json(graph)
    }

    /// An estimate of the width of `text` in the drawing's 12px sans-serif font.
    static func textWidth(_ text: String, bold: Bool) -> Double {
        Double(text.count) * (bold ? 7.6 : 6.9)
    }

    /// The inline SVG: clusters, then edges and their labels, then nodes.
    private static func svg(_ graph: ComputationGraph, _ layout: GraphLayout, _ sizes: [String: (width: Double, height: Double)]) -> String {
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(layout.width))\" height=\"\(number(layout.height))\" viewBox=\"0 0 \(number(layout.width)) \(number(layout.height))\" role=\"img\">",
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(GraphStyle.edgeColor)\"/></marker>",
            "<marker id=\"arrow-cut\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(GraphStyle.cutColor)\"/></marker></defs>",
        ]
        // Clusters, outer ones first, as frames around their members.
        for cluster in graph.clusters {
            let members = graph.nodes.filter { node in
                var current = node.cluster
                while let id = current {
                    if id == cluster.id { return true }
                    current = graph.clusters.first { $0.id == id }?.parent
                }
                return false
            }
            guard !members.isEmpty else { continue }
            let depth = Double(cluster.path.count)
            let pad = 22.0 - 6 * min(depth - 1, 2)
            let left = members.map { layout.centers[$0.id]!.x - sizes[$0.id]!.width / 2 }.min()! - pad
            let right = members.map { layout.centers[$0.id]!.x + sizes[$0.id]!.width / 2 }.max()! + pad
            let top = members.map { layout.centers[$0.id]!.y - sizes[$0.id]!.height / 2 }.min()! - pad - 10
            let bottom = members.map { layout.centers[$0.id]!.y + sizes[$0.id]!.height / 2 }.max()! + pad
            parts.append("<g class=\"cluster\" data-cluster=\"\(cluster.id)\"><rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(right - left))\" height=\"\(number(bottom - top))\" rx=\"10\"/><text x=\"\(number(left + 8))\" y=\"\(number(top + 14))\">\(GraphStyle.escaped(cluster.label))</text></g>")
        }
        for (index, edge) in graph.edges.enumerated() {
            let route = layout.routes[index]
            var path = "M\(number(route[0].x)),\(number(route[0].y))"
            for (a, b) in zip(route, route.dropFirst()) {
                let bend = (b.y - a.y) / 2
                path += " C\(number(a.x)),\(number(a.y + bend)) \(number(b.x)),\(number(b.y - bend)) \(number(b.x)),\(number(b.y))"
            }
            let kind = edge.isCut ? "edge cut" : edge.gradient == nil ? "edge" : "edge flow"
            let marker = edge.isCut ? "arrow-cut" : "arrow"
            parts.append("<path class=\"\(kind)\" data-from=\"\(edge.from)\" data-to=\"\(edge.to)\" d=\"\(path)\" marker-end=\"url(#\(marker))\"/>")
        }
        for (index, edge) in graph.edges.enumerated() where !edge.labelLines.isEmpty {
            let lines = edge.labelLines
            let point = layout.labelPoints[index]
            let width = (lines.map { textWidth($0, bold: false) }.max() ?? 0) * 0.92 + 8
            let height = Double(lines.count) * labelLineHeight + 4
            let top = point.y - height / 2
            var text = "<g class=\"edge-label\(edge.isCut ? " cut" : "")\" data-from=\"\(edge.from)\" data-to=\"\(edge.to)\"><rect x=\"\(number(point.x - width / 2))\" y=\"\(number(top))\" width=\"\(number(width))\" height=\"\(number(height))\" rx=\"3\"/><text x=\"\(number(point.x))\" text-anchor=\"middle\">"
            for (line, content) in lines.enumerated() {
                text += "<tspan x=\"\(number(point.x))\" y=\"\(number(top + 12 + Double(line) * labelLineHeight))\">\(GraphStyle.escaped(content))</tspan>"
            }
            parts.append(text + "</text></g>")
        }
        for node in graph.nodes {
            let center = layout.centers[node.id]!
            let size = sizes[node.id]!
            let (fill, stroke) = GraphStyle.colors(node.kind)
            let style = "fill:\(fill);stroke:\(stroke)"
            let shape: String
            switch node.kind {
            case .operation:
                shape = "<ellipse cx=\"\(number(center.x))\" cy=\"\(number(center.y))\" rx=\"\(number(size.width / 2))\" ry=\"\(number(size.height / 2))\" style=\"\(style)\"/>"
            default:
                let radius = node.kind == .constant || node.kind == .collapsed ? 2.0 : 8.0
                shape = "<rect x=\"\(number(center.x - size.width / 2))\" y=\"\(number(center.y - size.height / 2))\" width=\"\(number(size.width))\" height=\"\(number(size.height))\" rx=\"\(number(radius))\" style=\"\(style)\"/>"
            }
            var text = "<text text-anchor=\"middle\">"
            let top = center.y - size.height / 2 + 7
            for (line, content) in node.textLines.enumerated() {
                text += "<tspan class=\"\(content.role)\" x=\"\(number(center.x))\" y=\"\(number(top + 11.5 + Double(line) * lineHeight))\">\(GraphStyle.escaped(content.text))</tspan>"
            }
            parts.append("<g class=\"node \(node.kind.rawValue)\" data-id=\"\(node.id)\" tabindex=\"0\">\(shape)\(text)</text></g>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// What the script shows for each node, as JSON safe to embed in a `<script>` element.
    private static func json(_ graph: ComputationGraph) -> String {
        let labels = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.id, $0.label) })
        func link(_ edge: GraphEdge, other: String) -> NodeDetails.Link {
            NodeDetails.Link(node: labels[other] ?? other, gradient: edge.gradient?.fullText, cut: edge.isCut)
        }
        let details = graph.nodes.map { node in
            NodeDetails(
                id: node.id, label: node.label, kind: GraphStyle.legendText(node.kind),
                shape: node.shape.map { "\($0)" }, value: node.value?.fullText, gradient: node.gradient?.fullText,
                paths: node.pathGradients.map { $0.map(GraphValue.format).joined(separator: " + ") },
                attributes: node.attributes.map { "\($0.name) = \($0.value)" } + node.contents,
                inputs: graph.edges(to: node.id).map { link($0, other: $0.from) },
                outputs: graph.edges(from: node.id).map { link($0, other: $0.to) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(details)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }
}

/// One node's entry in the page's data.
private struct NodeDetails: Encodable {
    /// An edge into or out of the node.
    struct Link: Encodable {
        let node: String
        let gradient: String?
        let cut: Bool
    }

    let id: String
    let label: String
    let kind: String
    let shape: String?
    let value: String?
    let gradient: String?
    let paths: String?
    let attributes: [String]
    let inputs: [Link]
    let outputs: [Link]
}
