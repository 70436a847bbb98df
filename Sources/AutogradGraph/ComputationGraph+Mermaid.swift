extension ComputationGraph {
    /// The graph as a Mermaid flowchart, which Markdown viewers such as GitHub draw when it
    /// sits in a ` ```mermaid ` block.
    ///
    /// Tensors are boxes coloured by kind (as in ``dot()``), operations are rounded
    /// stadiums, clusters are subgraphs, a `detach()` cut is a dotted edge, and each edge is
    /// labelled with the gradient that flowed back along it. A legend subgraph comes last.
    public func mermaid() -> String {
        var lines = ["flowchart TB"]
        lines += mermaidClusterBody(parent: nil, indent: "  ")
        for edge in edges {
            let label = edge.labelLines.map(mermaidEscaped).joined(separator: "<br/>")
            let arrow = edge.isCut ? "-.->" : "-->"
            lines.append("  \(edge.from) \(arrow)" + (label.isEmpty ? "" : "|\"\(label)\"|") + " \(edge.to)")
        }
        lines.append("  subgraph legend [\"Legend\"]")
        lines.append("    direction LR")
        for kind in GraphStyle.legendKinds(for: self) {
            lines.append("    legend_\(kind.rawValue)\(mermaidShape(kind, GraphStyle.legendText(kind))):::\(kind.rawValue)")
        }
        lines.append("  end")
        for (position, edge) in edges.enumerated() where edge.isCut {
            lines.append("  linkStyle \(position) stroke:\(GraphStyle.cutColor),stroke-width:2px")
        }
        for kind in GraphNode.Kind.allCases {
            let (fill, stroke) = GraphStyle.colors(kind)
            let width = kind == .output ? "3px" : "1px"
            lines.append("  classDef \(kind.rawValue) fill:\(fill),stroke:\(stroke),stroke-width:\(width),color:#111111")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The nodes and nested subgraphs directly inside `parent` (the top level when nil).
    private func mermaidClusterBody(parent: String?, indent: String) -> [String] {
        var lines = nodes.filter { $0.cluster == parent }.map { node in
            let text = node.textLines.map { line -> String in
                let escaped = mermaidEscaped(line.text)
                switch line.role {
                case .title: return "<b>\(escaped)</b>"
                case .gradient: return "<i>\(escaped)</i>"
                case .shape, .value, .detail: return escaped
                }
            }.joined(separator: "<br/>")
            return "\(indent)\(node.id)\(mermaidShape(node.kind, text)):::\(node.kind.rawValue)"
        }
        for cluster in clusters where cluster.parent == parent {
            lines.append("\(indent)subgraph \(cluster.id) [\"\(mermaidEscaped(cluster.label))\"]")
            lines += mermaidClusterBody(parent: cluster.id, indent: indent + "  ")
            lines.append("\(indent)end")
        }
        return lines
    }

    /// A node's shape around its quoted text: stadiums for operations, boxes otherwise.
    private func mermaidShape(_ kind: GraphNode.Kind, _ text: String) -> String {
        switch kind {
        case .operation: return "([\"\(text)\"])"
        case .collapsed: return "[[\"\(text)\"]]"
        default: return "[\"\(text)\"]"
        }
    }

    /// `text` safe inside a quoted Mermaid label (Mermaid's own entity codes).
    private func mermaidEscaped(_ text: String) -> String {
        GraphStyle.replacing(text, ["\"": "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;"])
    }
}
