extension ComputationGraph {
    /// The graph with every cluster nested more than `depth` levels deep drawn as one box:
    /// with depth 0 each top-level cluster (a whole layer) becomes a box, with depth 1 the
    /// top-level clusters stay open and the clusters inside them become boxes.
    ///
    /// A box stands for every node inside its cluster; edges into and out of the cluster
    /// keep their gradients and now start or end at the box. The output stays visible.
    public func collapsingClusters(deeperThan depth: Int) -> ComputationGraph {
        let clusterIndex = Dictionary(uniqueKeysWithValues: clusters.map { ($0.id, $0) })
        /// The cluster at level `level` (1 = top level) that contains `id`.
        func ancestor(of id: String, atLevel level: Int) -> GraphCluster? {
            var cluster = clusterIndex[id]
            while let current = cluster, current.path.count > level { cluster = current.parent.flatMap { clusterIndex[$0] } }
            return cluster.flatMap { $0.path.count == level ? $0 : nil }
        }
        var boxOf: [String: String] = [:]
        var boxes: [String: GraphNode] = [:]
        var result = ComputationGraph(nodes: [], edges: [], clusters: clusters.filter { $0.path.count <= depth })
        for var node in nodes {
            guard let cluster = node.cluster, let box = ancestor(of: cluster, atLevel: depth + 1) else {
                result.nodes.append(node)
                continue
            }
            let parent = ancestor(of: cluster, atLevel: depth)?.id
            if node.kind == .output {
                node.cluster = parent
                result.nodes.append(node)
                continue
            }
            boxOf[node.id] = box.id
            if boxes[box.id] == nil {
                boxes[box.id] = GraphNode(id: box.id, kind: .collapsed, label: box.label, cluster: parent)
                result.nodes.append(boxes[box.id]!)
            }
            if node.kind == .operation, !boxes[box.id]!.contents.contains(node.label) {
                boxes[box.id]!.contents.append(node.label)
            }
        }
        for position in result.nodes.indices {
            if let box = boxes[result.nodes[position].id] { result.nodes[position] = box }
        }
        for var edge in edges {
            edge.from = boxOf[edge.from] ?? edge.from
            edge.to = boxOf[edge.to] ?? edge.to
            if edge.from != edge.to, !result.edges.contains(edge) { result.edges.append(edge) }
        }
        return result
    }
}
