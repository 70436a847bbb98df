import AutogradCore

extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires grad
    /// and adds it to the leaf's ``grad`` (like `tensor.backward()`).
    ///
    /// - Parameters:
    ///   - gradient: The gradient of some final value with respect to this tensor; may be
    ///     omitted only for a one-element tensor, where it is 1.
    ///   - retainGraph: Keep the values saved for backward so the graph can be walked
    ///     again. Defaults to `createGraph`.
    ///   - createGraph: Record the backward pass itself, so the gradients can be
    ///     differentiated again (higher-order gradients).
    ///
    /// Stops with PyTorch's message when the tensor does not require grad, when a
    /// non-scalar has no `gradient`, or when the graph's saved values were already freed.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) {
        do {
            try backwardChecked(gradient: gradient, retainGraph: retainGraph, createGraph: createGraph)
        } catch {
            fatalError(error.message)
        }
    }

    /// ``backward(gradient:retainGraph:createGraph:)`` that throws its errors instead of stopping.
    public func backwardChecked(
        gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false
    ) throws(AutogradError) {
        guard requiresGrad else { throw AutogradError.noGradFn }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw AutogradError(
                    "Mismatch in shape: grad_output[0] has a shape of \(gradient.shape) and output[0] has a shape of \(shape).")
            }
            seed = gradient
        } else {
            guard count == 1 else { throw AutogradError.nonScalarOutput }
            seed = Tensor(NDArray(repeating: 1, shape: shape))
        }
        try BackwardEngine.run(
            from: gradientEdge!, seed: seed,
            retainGraph: retainGraph ?? createGraph, createGraph: createGraph)
    }
}

/// Walks the graph behind a tensor in reverse, as PyTorch's engine does: count how many
/// edges reach each node, then run each node's rule once all of its gradient has arrived.
enum BackwardEngine {
    static func run(from root: Edge, seed: Tensor, retainGraph: Bool, createGraph: Bool) throws(AutogradError) {
        guard case .node(let rootNode) = root else {
            if case .leaf(let leaf) = root { accumulate(seed, into: leaf, createGraph: createGraph) }
            return
        }
        let nodes = countDependencies(from: rootNode)
        rootNode.pendingGradient = seed
        var failure: AutogradError?
        let recordsFlow = GraphRecording.recordsGradientFlow
        GradMode.$isEnabled.withValue(createGraph) {
            do throws(AutogradError) {
                try propagate(from: rootNode, retainGraph: retainGraph, createGraph: createGraph, recordsFlow: recordsFlow)
            } catch {
                failure = error
            }
        }
        if let failure {
            for node in nodes {
                node.pendingGradient = nil
                node.pendingDependencies = 0
            }
            throw failure
        }
    }

    /// Runs each node's rule once all edges into it have delivered, starting at `root`.
    private static func propagate(
        from root: Node, retainGraph: Bool, createGraph: Bool, recordsFlow: Bool
    ) throws(AutogradError) {
        var ready = [root]
        while let node = ready.popLast() {
            let gradient = node.pendingGradient!
            node.pendingGradient = nil
            if let output = node.retainedOutput { accumulate(gradient, into: output, createGraph: createGraph) }
            let inputGradients = try node.inputGradients(gradient)
            if !retainGraph { node.releaseSavedValues() }
            if recordsFlow {
                node.recordedOutputGradient = gradient.array
                node.recordedEdgeGradients = [NDArray?](repeating: nil, count: node.nextEdges.count)
            }
            for (index, edge) in node.nextEdges.enumerated() {
                guard let edge, let raw = inputGradients[index] else { continue }
                let inputGradient = sumToShape(raw, node.inputShapes[index])
                if recordsFlow { node.recordedEdgeGradients[index] = inputGradient.array }
                switch edge {
                case .leaf(let leaf):
                    accumulate(inputGradient, into: leaf, createGraph: createGraph)
                case .node(let next):
                    next.pendingGradient = next.pendingGradient.map { $0 + inputGradient } ?? inputGradient
                    next.pendingDependencies -= 1
                    if next.pendingDependencies == 0 { ready.append(next) }
                }
            }
        }
    }

    /// Counts, for every node reachable from `root`, the edges that reach it; returns the
    /// nodes found. A node is pushed the first time an edge reaches it.
    private static func countDependencies(from root: Node) -> [Node] {
        var found = [root]
        var stack = [root]
        while let node = stack.popLast() {
            for case .node(let next)? in node.nextEdges {
                next.pendingDependencies += 1
                if next.pendingDependencies == 1 {
                    found.append(next)
                    stack.append(next)
                }
            }
        }
        return found
    }

    /// Adds a gradient into a tensor's `grad`: out of place and recorded when building a
    /// graph of the backward pass, otherwise into a fresh buffer the tensor owns.
    static func accumulate(_ gradient: Tensor, into tensor: Tensor, createGraph: Bool) {
        if let existing = tensor.grad {
            tensor.grad = existing + gradient
        } else {
            tensor.grad = createGraph ? gradient : Tensor(gradient.array.copy())
        }
    }
}
