/// What every drawing of a ``ComputationGraph`` shares: the text in each node and on each
/// edge, colours per kind of node, and the legend.
enum GraphStyle {
    /// The colour of gradients, in nodes and on edges.
    static let gradientColor = "#b03a2e"
    /// The colour of an edge cut by `detach()`.
    static let cutColor = "#b03a2e"
    /// The colour of ordinary edges.
    static let edgeColor = "#555555"
    /// The colour of cluster borders and titles.
    static let clusterColor = "#7a7a7a"
    /// What a cut edge says.
    static let cutText = "cut by detach(): no gradient"

    /// Fill and border colours for a kind of node.
    static func colors(_ kind: GraphNode.Kind) -> (fill: String, stroke: String) {
        switch kind {
        case .leaf: return ("#cfe2ff", "#1f5fbf")
        case .constant: return ("#ececec", "#8a8a8a")
        case .intermediate: return ("#ffffff", "#444444")
        case .output: return ("#c9efc9", "#1e7b34")
        case .operation: return ("#ffe6a8", "#b07d00")
        case .collapsed: return ("#e4daf5", "#6a4fa3")
        }
    }

    /// How the legend names a kind of node.
    static func legendText(_ kind: GraphNode.Kind) -> String {
        switch kind {
        case .leaf: return "leaf, requires grad"
        case .constant: return "constant, no grad"
        case .intermediate: return "intermediate"
        case .output: return "output"
        case .operation: return "operation (grad_fn)"
        case .collapsed: return "collapsed layer"
        }
    }

    /// The kinds the legend lists for `graph`: all but collapsed boxes, and those only when
    /// the graph has one.
    static func legendKinds(for graph: ComputationGraph) -> [GraphNode.Kind] {
        GraphNode.Kind.allCases.filter { $0 != .collapsed || graph.nodes.contains { $0.kind == .collapsed } }
    }

    /// `text` safe inside HTML, SVG and DOT's HTML-like labels.
    static func escaped(_ text: String) -> String {
        replacing(text, ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"])
    }

    /// `text` with each character that `entities` names replaced by its entity.
    static func replacing(_ text: String, _ entities: [Character: String]) -> String {
        var escaped = ""
        for character in text {
            if let entity = entities[character] { escaped += entity } else { escaped.append(character) }
        }
        return escaped
    }

    /// The legend's line about edges.
    static let edgeLegend = "edge label: gradient that flowed back along it · dashed red edge: cut by detach()"
}

/// What a line of text in a node is, so each drawing can style it.
enum GraphTextRole {
    /// The node's name.
    case title
    /// A tensor's shape.
    case shape
    /// A tensor's values.
    case value
    /// A tensor's gradient.
    case gradient
    /// An operation's attribute or a collapsed cluster's contents.
    case detail
}

extension GraphNode {
    /// The lines of text the drawings put in this node, title first.
    var textLines: [(text: String, role: GraphTextRole)] {
        var lines: [(String, GraphTextRole)] = [(label, .title)]
        switch kind {
        case .operation:
            lines += attributes.map { ("\($0.name) = \($0.value)", .detail) }
        case .collapsed:
            lines.append(("\(contents.count) operation\(contents.count == 1 ? "" : "s")", .detail))
            lines += stride(from: 0, to: contents.count, by: 2).map {
                (contents[$0..<min($0 + 2, contents.count)].joined(separator: ", "), .detail)
            }
        default:
            if let shape { lines.append((shape.isEmpty ? "scalar" : "\(shape)", .shape)) }
            if let value { lines += GraphNode.prefixed("value", value.lines).map { ($0, .value) } }
            if let gradient {
                var gradientLines = gradient.lines
                if let parts = pathGradients, gradientLines.count == 1 {
                    gradientLines[0] += " = " + parts.map(GraphValue.format).joined(separator: " + ")
                }
                lines += GraphNode.prefixed("grad", gradientLines).map { ($0, .gradient) }
            }
        }
        return lines
    }

    /// `lines` with `prefix` before the first.
    static func prefixed(_ prefix: String, _ lines: [String]) -> [String] {
        guard let first = lines.first else { return [] }
        return ["\(prefix) \(first)"] + lines.dropFirst()
    }
}

extension GraphEdge {
    /// The lines of text on this edge: the gradient that flowed along it, or the cut.
    var labelLines: [String] {
        if isCut { return [GraphStyle.cutText] }
        return gradient.map { GraphNode.prefixed("grad", $0.lines) } ?? []
    }
}
