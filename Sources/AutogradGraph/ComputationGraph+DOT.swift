extension ComputationGraph {
    /// The graph in Graphviz's DOT language: render it with `dot -Tsvg graph.dot -o graph.svg`.
    ///
    /// Tensors are boxes (blue: leaves that require grad, grey: constants, white:
    /// intermediate, green: the output), operations are orange ellipses, clusters are
    /// labelled frames, a `detach()` cut is a dashed red edge, and each edge is labelled
    /// with the gradient that flowed back along it. A legend sits under the drawing.
    public func dot() -> String {
        var lines = [
            "digraph computation_graph {",
            "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, nodesep=0.35, ranksep=0.45, labelloc=b, labeljust=c, label=<\(dotLegend())>];",
            "  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.12,0.06\"];",
            "  edge [fontname=\"Helvetica\", fontsize=10, color=\"\(GraphStyle.edgeColor)\", arrowsize=0.7];",
        ]
        lines += dotClusterBody(parent: nil, indent: "  ")
        for edge in edges { lines.append("  " + dotStatement(for: edge)) }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The nodes and nested clusters directly inside `parent` (the top level when nil).
    private func dotClusterBody(parent: String?, indent: String) -> [String] {
        var lines = nodes.filter { $0.cluster == parent }.map { indent + dotStatement(for: $0) }
        for cluster in clusters where cluster.parent == parent {
            lines.append("\(indent)subgraph cluster_\(cluster.id) {")
            lines.append("\(indent)  label=<<B>\(GraphStyle.escaped(cluster.label))</B>>; style=\"rounded,dashed\"; color=\"\(GraphStyle.clusterColor)\"; fontcolor=\"\(GraphStyle.clusterColor)\";")
            lines += dotClusterBody(parent: cluster.id, indent: indent + "  ")
            lines.append("\(indent)}")
        }
        return lines
    }

    /// A node statement: shape and colours by kind, and an HTML-like label.
    private func dotStatement(for node: GraphNode) -> String {
        let (fill, stroke) = GraphStyle.colors(node.kind)
        let shape: String
        var style = "filled"
        var width = "1"
        switch node.kind {
        case .operation: shape = "ellipse"
        case .collapsed: shape = "box3d"
        case .constant: shape = "box"
        case .leaf, .intermediate: shape = "box"; style = "rounded,filled"
        case .output: shape = "box"; style = "rounded,filled"; width = "2.5"
        }
        let text = node.textLines.map { line -> String in
            let escaped = GraphStyle.escaped(line.text)
            switch line.role {
            case .title: return "<B>\(escaped)</B>"
            case .shape: return "<FONT POINT-SIZE=\"9\" COLOR=\"#666666\">\(escaped)</FONT>"
            case .value, .detail: return escaped
            case .gradient: return "<FONT COLOR=\"\(GraphStyle.gradientColor)\">\(escaped)</FONT>"
            }
        }.joined(separator: "<BR/>")
        return "\(node.id) [shape=\(shape), style=\"\(style)\", fillcolor=\"\(fill)\", color=\"\(stroke)\", penwidth=\(width), label=<\(text)>];"
    }

    /// An edge statement, labelled with its gradient, dashed and red when cut.
    private func dotStatement(for edge: GraphEdge) -> String {
        var attributes: [String] = []
        let label = edge.labelLines.map(GraphStyle.escaped).joined(separator: "<BR/>")
        if edge.isCut {
            attributes += ["style=dashed", "color=\"\(GraphStyle.cutColor)\"", "fontcolor=\"\(GraphStyle.cutColor)\"", "penwidth=1.5"]
        } else if edge.gradient != nil {
            attributes.append("fontcolor=\"\(GraphStyle.gradientColor)\"")
        }
        if !label.isEmpty { attributes.append("label=<\(label)>") }
        let list = attributes.isEmpty ? "" : " [" + attributes.joined(separator: ", ") + "]"
        return "\(edge.from) -> \(edge.to)\(list);"
    }

    /// The legend: one coloured cell per kind of node and a line about edges.
    private func dotLegend() -> String {
        let kinds = GraphStyle.legendKinds(for: self)
        let cells = kinds.map { kind -> String in
            let (fill, stroke) = GraphStyle.colors(kind)
            return "<TD BGCOLOR=\"\(fill)\" COLOR=\"\(stroke)\">\(GraphStyle.escaped(GraphStyle.legendText(kind)))</TD>"
        }.joined()
        let note = "<TR><TD COLSPAN=\"\(kinds.count)\" BORDER=\"0\"><FONT POINT-SIZE=\"10\">\(GraphStyle.escaped(GraphStyle.edgeLegend))</FONT></TD></TR>"
        return "<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"4\" CELLPADDING=\"4\"><TR>\(cells)</TR>\(note)</TABLE>"
    }
}
