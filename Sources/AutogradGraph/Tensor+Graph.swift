import AutogradCore
import AutogradEngine

extension Tensor {
    /// The graph that computed this tensor, walked back through `gradFn` (and, for
    /// tensors computed inside ``tracingGraph(_:)``, through `trace`), as a plain value to
    /// inspect or draw with ``ComputationGraph/dot()``, ``ComputationGraph/mermaid()`` or
    /// ``ComputationGraph/html()``.
    ///
    /// Run the code and its `backward()` inside ``tracingGraph(_:)`` to see constants'
    /// history, `detach()` cuts, every tensor's values and the gradient on every edge;
    /// outside it the graph shows what autograd recorded: the ops on tensors that require
    /// grad, the values of the leaves and of this tensor (intermediate results show their
    /// shape only: nodes do not keep their outputs' values) and the leaves' `grad`.
    /// ```swift
    /// let t = tracingGraph {
    ///     let t = (x * params[0]).named("t")
    ///     t.backward()
    ///     return t
    /// }
    /// try t.graph().html().write(toFile: "t.html", atomically: true, encoding: .utf8)
    /// ```
    /// - Parameter depth: how many levels of `graphScope` clusters (layers) to draw
    ///   open; clusters nested deeper are collapsed into one box each. Nil draws them all.
    public func graph(depth: Int? = nil) -> ComputationGraph {
        checkUsage(depth.map { $0 >= 0 } ?? true, "graph(depth:): depth must be 0 or more, got \(depth!)")
        var builder = GraphBuilder()
        var graph = builder.build(from: self)
        graph.addPathGradients()
        if let depth { graph = graph.collapsingClusters(deeperThan: depth) }
        return graph
    }
}

/// Walks a tensor's history breadth first from the tensor, giving each node and tensor
/// one ``GraphNode``.
struct GraphBuilder {
    private var nodes: [GraphNode] = []
    private var edges: [GraphEdge] = []
    /// Operations found but not yet walked, with their result's node id.
    private var pending: [(node: Node, result: String)] = []
    /// Each walked node's result tensor's id.
    private var resultIDs: [ObjectIdentifier: String] = [:]
    /// Each leaf or untraced constant's id.
    private var tensorIDs: [ObjectIdentifier: String] = [:]
    /// For each result tensor, the node that made it and its first input, to name it.
    private var producers: [String: (node: Node, input: String?)] = [:]
    /// The innermost scope call of each operation and result.
    private var frames: [String: GraphScopeFrame] = [:]
    /// The scope chains of the operations that use each leaf.
    private var consumerChains: [String: [[GraphScopeFrame]]] = [:]
    private var operationCount = 0

    /// The graph of `root`'s history, without path gradients or collapsing.
    mutating func build(from root: Tensor) -> ComputationGraph {
        if let producer = root.gradFn ?? root.trace {
            _ = resultID(of: producer, kind: .output, label: root.label, value: root.array)
        } else {
            _ = tensorID(of: root, kind: .output)
        }
        var next = 0
        while next < pending.count {
            visit(pending[next].node, result: pending[next].result)
            next += 1
        }
        nameUnnamedResults()
        let clusters = assignClusters()
        return ComputationGraph(nodes: nodes, edges: edges, clusters: clusters)
    }

    /// Adds the operation `node`, an edge from each of its inputs, and one to its result.
    private mutating func visit(_ node: Node, result: String) {
        let id = "op\(operationCount)"
        operationCount += 1
        nodes.append(GraphNode(
            id: id, kind: .operation, label: node.name,
            attributes: node.attributes.map { GraphAttribute(name: $0.name, value: $0.value) }))
        frames[id] = node.scopeFrame
        let isDetach = node.name == GraphBuilder.detachName
        var firstInput: String?
        let recordedEdgeGradients = node.recordedEdgeGradients
        for (index, edge) in node.nextEdges.enumerated() {
            let input: String
            switch edge {
            case .node(let producer):
                input = resultID(of: producer, kind: .intermediate, label: nil, value: nil)
            case .leaf(let tensor):
                input = tensorID(of: tensor, kind: .leaf)
            case .constant(let tensor):
                if let trace = tensor.trace {
                    input = resultID(of: trace, kind: .constant, label: tensor.label, value: tensor.array)
                } else {
                    input = tensorID(of: tensor, kind: .constant)
                }
            }
            if index == 0 { firstInput = input }
            if case .leaf = edge { consumerChains[input, default: []].append(node.scopeFrame?.chain ?? []) }
            let gradient = index < recordedEdgeGradients.count ? recordedEdgeGradients[index] : nil
            edges.append(GraphEdge(from: input, to: id, gradient: gradient.map(GraphValue.init), isCut: isDetach))
        }
        edges.append(GraphEdge(from: id, to: result))
        producers[result] = (node, firstInput)
    }

    /// The id of the tensor `node` computed, adding it (and queueing `node`) the first time.
    /// Its value is `value` (the tensor's own, where the walk has the tensor), else the one
    /// the node recorded inside `tracingGraph`; a node recorded outside keeps no values, so
    /// it shows its shape only.
    private mutating func resultID(of node: Node, kind: GraphNode.Kind, label: String?, value: NDArray?) -> String {
        let key = ObjectIdentifier(node)
        if let id = resultIDs[key] { return id }
        let id = "t\(resultIDs.count + tensorIDs.count)"
        resultIDs[key] = id
        nodes.append(GraphNode(
            id: id, kind: kind, label: label ?? node.outputLabel ?? "", shape: node.outputShape,
            value: (value ?? node.recordedOutputValue).map(GraphValue.init), gradient: node.recordedOutputGradient.map(GraphValue.init)))
        frames[id] = node.scopeFrame
        pending.append((node, id))
        return id
    }

    /// The id of a leaf or an untraced constant, adding it the first time.
    private mutating func tensorID(of tensor: Tensor, kind: GraphNode.Kind) -> String {
        let key = ObjectIdentifier(tensor)
        if let id = tensorIDs[key] { return id }
        let id = "t\(resultIDs.count + tensorIDs.count)"
        tensorIDs[key] = id
        let fallback = kind == .leaf ? "leaf" : kind == .constant ? "constant" : "tensor"
        nodes.append(GraphNode(
            id: id, kind: kind, label: tensor.label ?? fallback, shape: tensor.shape,
            value: GraphValue(tensor.array), gradient: tensor.grad.map { GraphValue($0.array) }))
        return id
    }

    /// Names each result the user did not name after the op that made it: `params[0]`,
    /// `params.detach()`, or the op's short name (`mul`, `convolution`).
    private mutating func nameUnnamedResults() {
        var index: [String: Int] = [:]
        for (position, node) in nodes.enumerated() { index[node.id] = position }
        func label(of id: String, depth: Int) -> String {
            let position = index[id]!
            if !nodes[position].label.isEmpty { return nodes[position].label }
            guard let producer = producers[id] else { return "tensor" }
            let input = producer.input.map { depth < 8 ? label(of: $0, depth: depth + 1) : "…" } ?? ""
            let name = GraphBuilder.derivedName(producer.node, input: input)
            nodes[position].label = name
            return name
        }
        for node in nodes where node.isTensor { _ = label(of: node.id, depth: 0) }
    }

    /// The name of the node `detach()` records inside `tracingGraph`.
    static let detachName = "Detach"

    /// The name of a result of `node`'s op on a tensor called `input`, as the user would
    /// write it (from the node's PyTorch name and attributes).
    static func derivedName(_ node: Node, input: String) -> String {
        func attribute(_ name: String) -> String? { node.attributes.first { $0.name == name }?.value }
        switch node.name {
        case "SelectBackward0" where attribute("dim") == "0":
            if let index = attribute("index") { return "\(input)[\(index)]" }
        case "SliceBackward0" where attribute("dim") == "0":
            if let start = attribute("start"), let end = attribute("end") { return "\(input)[\(start)..<\(end)]" }
        case detachName:
            return "\(input).detach()"
        default:
            break
        }
        return shortName(node.name)
    }

    /// A grad_fn name without its `Backward` suffix, in lower camel case: `mul`,
    /// `convolution`, `logSoftmax`.
    static func shortName(_ name: String) -> String {
        var base = Substring(name)
        while let last = base.last, last.isNumber { base = base.dropLast() }
        if base.hasSuffix("Backward") { base = base.dropLast("Backward".count) }
        guard let first = base.first else { return name }
        return first.lowercased() + base.dropFirst()
    }

    /// Makes one cluster per scope call, puts each operation and result in its call's
    /// cluster and each leaf (a layer's parameter) in the innermost cluster of all its
    /// users. Untraced constants, such as the data a layer is given, stay outside.
    private mutating func assignClusters() -> [GraphCluster] {
        var clusters: [GraphCluster] = []
        var clusterIDs: [ObjectIdentifier: String] = [:]
        func clusterID(_ frame: GraphScopeFrame) -> String {
            if let id = clusterIDs[ObjectIdentifier(frame)] { return id }
            let parent = frame.parent.map(clusterID)
            let id = "c\(clusters.count)"
            clusterIDs[ObjectIdentifier(frame)] = id
            let path = frame.chain.map(\.name)
            clusters.append(GraphCluster(id: id, label: frame.name, path: path, parent: parent))
            return id
        }
        for position in nodes.indices {
            let id = nodes[position].id
            let frame = frames[id] ?? consumerChains[id].flatMap(GraphBuilder.commonFrame)
            nodes[position].cluster = frame.map(clusterID)
        }
        return clusters
    }

    /// The innermost scope call shared by all of `chains`, if any.
    private static func commonFrame(_ chains: [[GraphScopeFrame]]) -> GraphScopeFrame? {
        guard var common = chains.first else { return nil }
        for chain in chains.dropFirst() {
            let shared = zip(common, chain).prefix { $0 === $1 }.count
            common = Array(common.prefix(shared))
        }
        return common.last
    }
}

extension GraphValue {
    /// The values of `array`.
    init(_ array: NDArray) {
        self.init(shape: array.shape, scalars: array.scalars)
    }
}
