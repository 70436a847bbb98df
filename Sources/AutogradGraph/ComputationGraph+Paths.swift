extension ComputationGraph {
    /// The most paths whose parts a node's gradient is split into; beyond this the split
    /// is not shown.
    static let pathGradientLimit = 8

    /// The node ids ordered so that every edge goes from an earlier node to a later one
    /// (inputs before the operations that use them, the output last).
    func topologicalOrder() -> [String] {
        var incoming: [String: Int] = [:]
        var outgoing: [String: [String]] = [:]
        for edge in edges {
            incoming[edge.to, default: 0] += 1
            outgoing[edge.from, default: []].append(edge.to)
        }
        var ready = nodes.map(\.id).filter { incoming[$0, default: 0] == 0 }.reversed() as [String]
        var order: [String] = []
        while let id = ready.popLast() {
            order.append(id)
            for next in outgoing[id, default: []] {
                incoming[next]! -= 1
                if incoming[next] == 0 { ready.append(next) }
            }
        }
        return order
    }

    /// Sets ``GraphNode/pathGradients`` on every one-element tensor whose gradient came from
    /// the output along several paths of one-element tensors.
    ///
    /// Along such a path each operation multiplies the gradient by a number, the ratio of
    /// the gradient it sent to the input to the gradient it received, so the part that
    /// came along one path is the output's gradient times those ratios, and the parts add
    /// up to the gradient (exercise 3: `189 = 7·3·5 + 7·3·4 = 105 + 84`).
    mutating func addPathGradients() {
        var nodeIndex: [String: Int] = [:]
        for (position, node) in nodes.enumerated() { nodeIndex[node.id] = position }
        var results: [String: String] = [:]
        var uses: [String: [GraphEdge]] = [:]
        for edge in edges {
            if nodes[nodeIndex[edge.from]!].kind == .operation {
                results[edge.from] = edge.to
            } else if edge.gradient != nil {
                uses[edge.from, default: []].append(edge)
            }
        }
        func scalar(_ value: GraphValue?) -> Double? {
            guard let value, value.scalars.count == 1 else { return nil }
            return Double(value.scalars[0])
        }
        var parts: [String: [Double]] = [:]
        for id in topologicalOrder().reversed() {
            let node = nodes[nodeIndex[id]!]
            guard node.isTensor, scalar(node.gradient) != nil else { continue }
            if node.kind == .output {
                parts[id] = [scalar(node.gradient)!]
                continue
            }
            var split: [Double] = []
            for use in uses[id, default: []] {
                guard let result = results[use.to], let upstream = parts[result],
                      let received = scalar(nodes[nodeIndex[result]!].gradient), received != 0,
                      let sent = scalar(use.gradient)
                else { split = []; break }
                split += upstream.map { $0 * sent / received }
            }
            guard !split.isEmpty, split.count <= Self.pathGradientLimit else { continue }
            parts[id] = split
            if split.count > 1 { nodes[nodeIndex[id]!].pathGradients = split.map { Float($0) } }
        }
    }
}
