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
            usageFailure(error.message)
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
            seed = Tensor.ones(shape, dtype: dtype)
        }
        try BackwardEngine.run(
            roots: [(gradientEdge, seed)], retainGraph: retainGraph ?? createGraph, createGraph: createGraph)
    }
}

/// Where a backward pass delivers gradients instead of accumulating them into leaves: the
/// inputs of `grad(outputs:inputs:...)`, leaves or not.
final class GradientCapture {
    private var leafSlots: [ObjectIdentifier: [Int]] = [:]
    private var nodeSlots: [ObjectIdentifier: [Int]] = [:]
    /// The gradient found for each input, in order.
    private(set) var gradients: [Tensor?]

    /// Captures the gradients of `inputs`.
    init(inputs: [Tensor]) {
        gradients = Array(repeating: nil, count: inputs.count)
        for (slot, input) in inputs.enumerated() {
            if let node = input.gradFn {
                nodeSlots[ObjectIdentifier(node), default: []].append(slot)
            } else {
                leafSlots[ObjectIdentifier(input), default: []].append(slot)
            }
        }
    }

    /// Adds `gradient` to the slots of `leaf`; false if the leaf is not an input.
    func capture(_ gradient: Tensor, leaf: Tensor) -> Bool {
        guard let slots = leafSlots[ObjectIdentifier(leaf)] else { return false }
        for slot in slots { gradients[slot] = gradients[slot].map { $0 + gradient } ?? gradient }
        return true
    }

    /// Records the full gradient of `node`'s output if that output is an input.
    func capture(_ gradient: Tensor, node: Node) {
        for slot in nodeSlots[ObjectIdentifier(node)] ?? [] { gradients[slot] = gradient }
    }
}

/// Walks the graph behind tensors in reverse, as PyTorch's engine does: count how many
/// edges reach each node, then run each node's rule once all of its gradient has arrived.
enum BackwardEngine {
    /// Propagates each root's seed gradient back through the graph.
    ///
    /// Without `capture`, gradients accumulate into the `grad` of leaves (and of retained
    /// non-leaves); with it, they are delivered to the capture and no `grad` changes.
    static func run(
        roots: [(Edge, Tensor)], retainGraph: Bool, createGraph: Bool, capture: GradientCapture? = nil
    ) throws(AutogradError) {
        var rootNodes: [Node] = []
        for (edge, seed) in roots {
            switch edge {
            case .leaf(let leaf):
                deliver(seed, to: leaf, capture: capture, createGraph: createGraph)
            case .node(let node):
                node.pendingGradient = node.pendingGradient.map { $0 + seed } ?? seed
                if !rootNodes.contains(where: { $0 === node }) { rootNodes.append(node) }
            case .constant:
                continue
            }
        }
        if rootNodes.isEmpty { return }
        let nodes = countDependencies(from: rootNodes)
        var failure: AutogradError?
        let settings = PassSettings(
            retainGraph: retainGraph, createGraph: createGraph, capture: capture,
            recordsFlow: RecordingContext.current.tracing, detectsAnomalies: AnomalyMode.isEnabled)
        RecordingContext.with({ $0.gradEnabled = createGraph }) {
            do throws(AutogradError) {
                try propagate(from: rootNodes.filter { $0.pendingDependencies == 0 }, settings)
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

    /// What one backward pass does besides running the rules.
    private struct PassSettings {
        let retainGraph: Bool
        let createGraph: Bool
        let capture: GradientCapture?
        let recordsFlow: Bool
        let detectsAnomalies: Bool
    }

    /// Runs each node's rule once all edges into it have delivered, starting at `roots`.
    private static func propagate(from roots: [Node], _ settings: PassSettings) throws(AutogradError) {
        var ready = roots
        while let node = ready.popLast() {
            var gradient = node.pendingGradient!
            node.pendingGradient = nil
            if !node.gradientHooks.isEmpty {
                for hook in node.gradientHooks.values { gradient = hook(gradient) ?? gradient }
            }
            if let capture = settings.capture {
                capture.capture(gradient, node: node)
            } else if let output = node.retainedOutput {
                accumulate(gradient, into: output, createGraph: settings.createGraph)
            }
            let inputGradients = try node.inputGradients(gradient)
            if settings.detectsAnomalies { try AnomalyMode.check(inputGradients, of: node) }
            if !settings.retainGraph { node.releaseSavedValues() }
            if settings.recordsFlow {
                node.recordedOutputGradient = gradient.array
                node.recordedEdgeGradients = [NDArray?](repeating: nil, count: node.edges.count)
            }
            for (index, edge) in node.edges.enumerated() {
                guard edge.carriesGradient, let raw = inputGradients[index] else { continue }
                let inputGradient = castToDType(sumToShape(raw, edge.shape), of: edge)
                if settings.recordsFlow { node.recordedEdgeGradients[index] = inputGradient.array }
                switch edge {
                case .leaf(let leaf):
                    deliver(inputGradient, to: leaf, capture: settings.capture, createGraph: settings.createGraph)
                case .node(let next):
                    next.pendingGradient = next.pendingGradient.map { $0 + inputGradient } ?? inputGradient
                    next.pendingDependencies -= 1
                    if next.pendingDependencies == 0 { ready.append(next) }
                case .constant:
                    break
                }
            }
        }
    }

    /// Counts, for every node reachable from `roots`, the edges that reach it; returns the
    /// nodes found. A node is pushed the first time an edge reaches it.
    private static func countDependencies(from roots: [Node]) -> [Node] {
        var found = roots
        var stack = roots
        while let node = stack.popLast() {
            for index in 0..<node.edges.count {
                guard case .node(let next) = node.edges[index] else { continue }
                next.pendingDependencies += 1
                if next.pendingDependencies == 1 && (roots.count == 1 ? roots[0] !== next : !roots.contains { $0 === next }) {
                    found.append(next)
                    stack.append(next)
                }
            }
        }
        return found
    }

    /// `gradient` in the dtype of the input `edge` stands for: a gradient has its
    /// input's dtype, so an op that mixed dtypes sends each input's part back in the
    /// input's own dtype (a float32 parameter times a float64 constant gets a float32 grad).
    private static func castToDType(_ gradient: Tensor, of edge: Edge) -> Tensor {
        let dtype = edge.dtype
        return gradient.dtype == dtype ? gradient : gradient.to(dtype)
    }

    /// Hands a leaf its gradient: through its hooks, then to the capture or into `grad`.
    private static func deliver(_ gradient: Tensor, to leaf: Tensor, capture: GradientCapture?, createGraph: Bool) {
        var gradient = gradient
        if !leaf.gradientHooks.isEmpty {
            for hook in leaf.gradientHooks.values { gradient = hook(gradient) ?? gradient }
        }
        if let capture {
            _ = capture.capture(gradient, leaf: leaf)
        } else {
            accumulate(gradient, into: leaf, createGraph: createGraph)
        }
    }

    /// Adds a gradient into a tensor's `grad`: out of place and recorded when building a
    /// graph of the backward pass, otherwise into a fresh buffer the tensor owns.
    ///
    /// Backward passes on other threads may reach the same leaf at the same time (graphs
    /// that share parameters), so the read-add-write holds the tensor's lock, as PyTorch
    /// serialises accumulation into a leaf.
    static func accumulate(_ gradient: Tensor, into tensor: Tensor, createGraph: Bool) {
        withLock(on: tensor) {
            if let existing = tensor.grad {
                tensor.grad = existing + gradient
            } else {
                tensor.grad = createGraph ? gradient : Tensor(gradient.array.copy())
            }
        }
    }
}
