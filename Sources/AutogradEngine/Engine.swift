import AutogradCore

extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires grad
    /// (or only to `inputs`) and adds it to the leaf's ``grad`` (like `tensor.backward()`).
    ///
    /// - Parameters:
    ///   - gradient: The gradient of some final value with respect to this tensor; may be
    ///     omitted only for a one-element tensor, where it is 1.
    ///   - retainGraph: Keep the values saved for backward so the graph can be walked
    ///     again. Defaults to `createGraph`.
    ///   - createGraph: Record the backward pass itself, so the gradients can be
    ///     differentiated again (higher-order gradients).
    ///   - inputs: The only tensors whose ``grad`` accumulates (leaves or not; a non-leaf
    ///     is made to ``retainGrad()``); only the part of the graph leading to them runs.
    ///     Nil means every leaf.
    ///
    /// Stops with PyTorch's message when the tensor does not require grad, when a
    /// non-scalar has no `gradient`, when the graph's saved values were already freed, or
    /// when `inputs` is empty or holds a tensor that does not require grad.
    public func backward(
        gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false, inputs: [Tensor]? = nil
    ) {
        do {
            try backwardChecked(gradient: gradient, retainGraph: retainGraph, createGraph: createGraph, inputs: inputs)
        } catch {
            usageFailure(error.message)
        }
    }

    /// ``backward(gradient:retainGraph:createGraph:inputs:)`` that throws its errors instead
    /// of stopping.
    public func backwardChecked(
        gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false, inputs: [Tensor]? = nil
    ) throws(AutogradError) {
        guard requiresGrad else { throw .outputDoesNotRequireGrad(index: 0) }
        let seed = try seedGradient(for: self, given: gradient)
        var targets: PassTargets?
        if let inputs {
            guard !inputs.isEmpty else { throw .emptyBackwardInputs }
            guard inputs.allSatisfy(\.requiresGrad) else {
                throw .backwardInputDoesNotRequireGrad
            }
            for input in inputs { input.retainGrad() }
            targets = PassTargets(inputs: inputs, captures: false)
        }
        try BackwardEngine.run(
            roots: [(gradientEdge, seed)], retainGraph: retainGraph ?? createGraph, createGraph: createGraph,
            targets: targets)
    }
}

/// Walks the graph behind tensors in reverse, as PyTorch's engine does: count how many
/// edges reach each node, then run each node's rule once all of its gradient has arrived.
enum BackwardEngine {
    /// Propagates each root's seed gradient back through the graph.
    ///
    /// Without `targets`, gradients accumulate into the `grad` of every leaf (and of
    /// retained non-leaves). With targets, only the part of the graph leading to them
    /// runs, and their gradients are captured or accumulated (see ``PassTargets``).
    static func run(
        roots: [(Edge, Tensor)], retainGraph: Bool, createGraph: Bool, targets: PassTargets? = nil
    ) throws(AutogradError) {
        var leaves = LeafInbox()
        var rootNodes: [Node] = []
        for (edge, seed) in roots {
            switch edge {
            case .leaf(let leaf):
                if targets?.isTarget(leaf: leaf) ?? true { leaves.add(seed, for: leaf, createGraph: createGraph) }
            case .node(let node):
                node.pendingGradient = node.pendingGradient.map { $0 + seed } ?? seed
                if !rootNodes.contains(where: { $0 === node }) { rootNodes.append(node) }
            case .constant:
                continue
            }
        }
        // `rootNodes` keeps every node of the graph alive until the pass ends (a node
        // drops its edges only when it is freed), so the engine's work lists hold the
        // nodes unretained.
        let nodes = countDependencies(from: rootNodes)
        targets?.findNodesToRun(from: rootNodes)
        var failure: AutogradError?
        let settings = PassSettings(
            retainGraph: retainGraph, createGraph: createGraph, targets: targets,
            observer: RecordingContext.current.traceObserver, detectsAnomalies: AnomalyMode.isEnabled)
        RecordingContext.with({ $0.gradEnabled = createGraph }) {
            do throws(AutogradError) {
                let ready = rootNodes.filter { $0.pendingDependencies == 0 }.map(Unmanaged.passUnretained)
                try propagate(from: ready, into: &leaves, settings)
            } catch {
                failure = error
            }
        }
        if failure != nil || targets != nil {
            // Nodes a failed or partial pass did not reach keep nothing for the next pass.
            for node in nodes {
                node._withUnsafeGuaranteedRef { node in
                    node.pendingGradient = nil
                    node.pendingDependencies = 0
                }
            }
        }
        withExtendedLifetime(rootNodes) {}  // the unretained work lists above rely on it
        if let failure { throw failure }
        RecordingContext.with({ $0.gradEnabled = createGraph }) {
            leaves.deliver(targets: targets, createGraph: createGraph)
        }
    }

    /// What one backward pass does besides running the rules.
    private struct PassSettings {
        let retainGraph: Bool
        let createGraph: Bool
        let targets: PassTargets?
        /// Inside `tracingGraph`: told what each node received and sent.
        let observer: (any GraphTraceObserver)?
        let detectsAnomalies: Bool
    }

    /// Runs each node's rule once all edges into it have delivered, starting at `roots`;
    /// gradients for leaves are summed in `leaves`.
    private static func propagate(
        from roots: [Unmanaged<Node>], into leaves: inout LeafInbox, _ settings: PassSettings
    ) throws(AutogradError) {
        var ready = roots
        // The loop tests a flag rather than the error, which is large to copy.
        var failure: AutogradError?
        var failed = false
        while !failed, let next = ready.popLast() {
            next._withUnsafeGuaranteedRef { node in
                do throws(AutogradError) {
                    try runNode(node, into: &ready, &leaves, settings)
                } catch {
                    failure = error
                    failed = true
                }
            }
        }
        if let failure { throw failure }
    }

    /// Runs `node`'s rule on the gradient that arrived for it and sends the results along
    /// its edges; nodes that have heard from all of their uses join `ready`.
    @inline(__always)
    private static func runNode(
        _ node: Node, into ready: inout [Unmanaged<Node>], _ leaves: inout LeafInbox, _ settings: PassSettings
    ) throws(AutogradError) {
        guard var gradient = node.pendingGradient.take() else {
            // Every edge into the node brought no gradient: neither does it.
            release(node.edges, from: node, into: &ready, settings)
            return
        }
        if settings.targets?.capturesBeforeRunning(node) == true { settings.targets!.capture(gradient, node: node) }
        let hooked = node.hasHooksOrRetainedOutput
        if hooked {
            gradient = node.gradientHooks.applied(to: gradient)
            if let output = node.retainedOutput {
                accumulate(gradient, into: output, createGraph: settings.createGraph)
            }
        }
        if let targets = settings.targets, !targets.runs(node) {
            if targets.captures { targets.capture(gradient, node: node) }
            return
        }
        if hooked { gradient = node.prehooks.applied(to: gradient) }
        if !hooked && !settings.detectsAnomalies && settings.observer == nil {
            if case let (first, second)? = try node.arithmeticGradients(&gradient, differentiable: settings.createGraph) {
                // The common case, with nothing to report: no list of gradients is made.
                if !settings.retainGraph { node.releaseSavedValues() }
                // Each edge is read in place and unretained: a copy would retain its node or tensor.
                send(consume first, along: node.edges.unretainedEdge(at: 0), into: &ready, &leaves, settings)
                if node.edges.count > 1 {
                    send(consume second, along: node.edges.unretainedEdge(at: 1), into: &ready, &leaves, settings)
                }
                return
            }
            if !settings.createGraph, case .split(let part) = node.op {
                if !settings.retainGraph { node.releaseSavedValues() }
                sendSplitGradient(gradient, of: part, along: node.edges.unretainedEdge(at: 0), into: &ready, &leaves,
                                  settings)
                return
            }
        }
        // Hooks, retained outputs, anomaly checks and observers see the gradient only on
        // this path, and its rules may return views of it beside the gradient itself: from
        // here on it is not the pass's alone. (A captured gradient stays referenced by the
        // capture, so it is never overwritten either.)
        gradient.isPassPrivate = false
        var inputGradients = try node.inputGradients(gradient)
        if hooked { inputGradients = try node.applyPosthooks(inputGradients, outputGradient: gradient) }
        if settings.detectsAnomalies { try AnomalyMode.check(inputGradients, of: node) }
        if !settings.retainGraph { node.releaseSavedValues() }
        var sentGradients: [NDArray?] = []
        // Each edge is read in place and unretained, as on the short path above.
        for index in 0..<node.edges.count {
            let sent = send(inputGradients[index], along: node.edges.unretainedEdge(at: index), into: &ready, &leaves,
                            settings)
            if settings.observer != nil { sentGradients.append(sent?.array) }
        }
        settings.observer?.backwardRan(node, outputGradient: gradient.array, edgeGradients: sentGradients)
    }

    /// Sends `inputGradient` (or, when nil, only the news that nothing comes) along `edge`:
    /// summed to the input's shape and cast to its dtype, it goes to the leaf inbox or is
    /// added to the next node's pending gradient; a node that has heard from all of its
    /// uses becomes ready. Returns the gradient sent when a tracing observer is set. The edge is
    /// read unretained (the node holding it lives until the pass ends).
    @discardableResult @inline(__always)
    private static func send(
        _ inputGradient: consuming Tensor?, along edge: UnretainedEdge, into ready: inout [Unmanaged<Node>],
        _ leaves: inout LeafInbox, _ settings: PassSettings
    ) -> Tensor? {
        if case .constant = edge { return nil }
        if let targets = settings.targets, !targets.receives(edge.edge) { return nil }
        // The gradient is moved, not copied, on its way to the next node or the leaf: only a
        // tracing observer gets a copy back (each copy is a retain and a release).
        var gradient = inputGradient.map { gradient in
            edge.matches(gradient.array) ? gradient : castToDType(sumToShape(gradient, edge.edge.shape), of: edge.edge)
        }
        let reported = settings.observer == nil ? nil : gradient
        switch edge {
        case .leaf(let leaf):
            if let gradient = gradient.take() {
                leaves.add(gradient, for: leaf.takeUnretainedValue(), createGraph: settings.createGraph)
            }
        case .node(let next):
            next._withUnsafeGuaranteedRef { next in
                if let gradient = gradient.take() {
                    if next.pendingGradient == nil {
                        next.pendingGradient = gradient
                    } else {
                        next.pendingGradient = summed(next.pendingGradient.take(), gradient,
                                                      createGraph: settings.createGraph)
                    }
                }
                next.pendingDependencies -= 1
                if next.pendingDependencies == 0 { ready.append(Unmanaged.passUnretained(next)) }
            }
        case .constant:
            break
        }
        return reported
    }

    /// `pending + incoming`: the gradient a node or leaf has heard so far and one more.
    /// Unless the pass builds a graph the sum is the pass's alone (``Tensor/isPassPrivate``),
    /// and a pending gradient that already is, and that nothing else refers to, takes it in
    /// place.
    static func summed(_ pending: consuming Tensor?, _ incoming: Tensor, createGraph: Bool) -> Tensor {
        guard var pending else { return incoming }
        if createGraph { return pending + incoming }
        if pending.isPassPrivate, isKnownUniquelyReferenced(&pending), pending.array.addInPlace(incoming.array) {
            return pending
        }
        let sum = pending + incoming
        sum.isPassPrivate = true
        return sum
    }

    /// Sends the gradient of one output of `split` (or `chunk`) along `edge`, to the tensor
    /// that was split, in a pass that builds no graph. As PyTorch's SplitBackward0 joins the
    /// outputs' gradients instead of summing zero-padded ones, it is added into its window
    /// of the gradient pending there when the pass alone holds that one (another output's
    /// gradient, which arrived first); otherwise it goes on embedded in zeros.
    private static func sendSplitGradient(
        _ gradient: Tensor, of part: SplitPart, along edge: UnretainedEdge, into ready: inout [Unmanaged<Node>],
        _ leaves: inout LeafInbox, _ settings: PassSettings
    ) {
        if settings.targets == nil, case .node(let next) = edge {
            let added = next._withUnsafeGuaranteedRef { next in
                guard var pending = next.pendingGradient.take() else { return false }
                defer { next.pendingGradient = pending }
                guard pending.isPassPrivate, isKnownUniquelyReferenced(&pending),
                      let window = try? pending.array.sliced(dim: part.dim, start: part.start, end: part.end),
                      window.addInPlace(gradient.array) else { return false }
                next.pendingDependencies -= 1
                if next.pendingDependencies == 0 { ready.append(Unmanaged.passUnretained(next)) }
                return true
            }
            if added { return }
        }
        let embedded = gradient.embedded(in: edge.edge.shape, dim: part.dim, start: part.start, end: part.end)
        embedded.isPassPrivate = true
        send(embedded, along: edge, into: &ready, &leaves, settings)
    }

    /// Counts down the dependencies of the nodes behind `edges` of `node`, which sends
    /// them no gradient, so nodes that also get gradient from elsewhere still run.
    private static func release(
        _ edges: EdgeList, from node: Node, into ready: inout [Unmanaged<Node>], _ settings: PassSettings
    ) {
        for edge in edges {
            guard case .node(let next) = edge else { continue }
            if let targets = settings.targets, !targets.receives(edge) { continue }
            next.pendingDependencies -= 1
            if next.pendingDependencies == 0 { ready.append(Unmanaged.passUnretained(next)) }
        }
    }

    /// Counts, for every node reachable from `roots`, the edges that reach it; returns the
    /// nodes found, unretained (the roots keep them alive). A node is pushed the first time
    /// an edge reaches it.
    private static func countDependencies(from roots: [Node]) -> [Unmanaged<Node>] {
        // `found` is also the work list: the nodes after `visited` are still to be visited.
        var found = roots.map(Unmanaged.passUnretained)
        var visited = 0
        while visited < found.count {
            let entry = found[visited]
            visited += 1
            entry._withUnsafeGuaranteedRef { node in
                for index in 0..<node.edges.count {
                    guard let next = node.edges.unretainedNode(at: index) else { continue }
                    let reachedFirstTime = next._withUnsafeGuaranteedRef { next in
                        next.pendingDependencies += 1
                        return next.pendingDependencies == 1
                            && (roots.count == 1 ? roots[0] !== next : !roots.contains { $0 === next })
                    }
                    if reachedFirstTime { found.append(next) }
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

    /// Adds a gradient into a tensor's `grad`.
    ///
    /// Without `createGraph` the sum is written into the existing `grad` in place, so a
    /// reference to `grad` taken earlier sees it (as PyTorch's AccumulateGrad does); a
    /// first gradient becomes a buffer the tensor owns (``unsharedValues(of:)``). With
    /// `createGraph` the sum is computed out of place and recorded, so it can be
    /// differentiated.
    ///
    /// Backward passes on other threads may reach the same leaf at the same time (graphs
    /// that share parameters), so the read-add-write holds the tensor's lock, as PyTorch
    /// serialises accumulation into a leaf.
    static func accumulate(_ gradient: consuming Tensor, into tensor: Tensor, createGraph: Bool) {
        var incoming: Tensor? = consume gradient
        withLock(on: tensor) {
            guard let existing = tensor.grad else {
                tensor.grad = createGraph ? incoming!.clone() : Tensor(unsharedValues(of: incoming.take()!))
                return
            }
            if createGraph || !existing.addInPlaceIfSafe(incoming!) { tensor.grad = existing + incoming! }
        }
    }

    /// The values of `gradient`, which the caller gives up, in a buffer no other array
    /// refers to: the gradient's own storage when nothing else holds it and it holds
    /// exactly these values row-major (PyTorch's AccumulateGrad likewise keeps a gradient
    /// no one else references instead of copying it), otherwise a copy.
    static func unsharedValues(of gradient: consuming Tensor) -> NDArray {
        let layout = gradient.array.layout
        var storage = gradient.array.storage
        _ = consume gradient  // its reference to the storage goes with it, if it was the last
        let holdsExactlyTheValues = layout.offset == 0 && layout.isContiguous && storage.count == layout.count
        if holdsExactlyTheValues && isKnownUniquelyReferenced(&storage) {
            return NDArray(storage: storage, layout: layout)
        }
        return NDArray(storage: storage, layout: layout).copy()
    }
}

/// The gradients for leaves found during a pass, summed per leaf so that each leaf's hooks
/// run once with its whole gradient (PyTorch's AccumulateGrad gets one summed input), and
/// delivered when the pass ends, so a pass that fails changes no leaf.
struct LeafInbox {
    private var order: [Tensor] = []
    private var sums: [ObjectIdentifier: Tensor] = [:]

    /// Adds `gradient` to what `leaf` will receive (``BackwardEngine/summed(_:_:createGraph:)``).
    mutating func add(_ gradient: Tensor, for leaf: Tensor, createGraph: Bool) {
        let key = ObjectIdentifier(leaf)
        if let sum = sums.removeValue(forKey: key) {
            sums[key] = BackwardEngine.summed(sum, gradient, createGraph: createGraph)
        } else {
            sums[key] = gradient
            order.append(leaf)
        }
    }

    /// Passes each leaf's gradient through the leaf's hooks, then accumulates it into its
    /// `grad`, or, when the pass captures, hands it to `targets`.
    mutating func deliver(targets: PassTargets?, createGraph: Bool) {
        for leaf in order {
            // Taken out of the inbox, so that a gradient nothing else refers to can become
            // the leaf's `grad` without a copy.
            var gradient = sums.removeValue(forKey: ObjectIdentifier(leaf))!
            // The pass is over for this gradient: hooks and the caller may keep it.
            gradient.isPassPrivate = false
            if !leaf.gradientHooks.isEmpty { gradient = leaf.gradientHooks.applied(to: gradient) }
            if let targets, targets.captures {
                targets.capture(gradient, leaf: leaf)
            } else {
                BackwardEngine.accumulate(consume gradient, into: leaf, createGraph: createGraph)
            }
        }
    }
}

extension Tensor {
    /// Adds `other` into this tensor's storage in place, when that is safe: this tensor
    /// is laid out row-major (each element stored once) and has `other`'s shape. Returns
    /// false, changing nothing, otherwise.
    func addInPlaceIfSafe(_ other: Tensor) -> Bool {
        guard other.shape == shape, array.layout.isContiguous else { return false }
        if !array.addScaledInPlace(other.array, scale: 1) {
            array.assign(from: try! NDArray.zip(.add, array, other.array, name: "add"))
        }
        array.storage.version += 1
        return true
    }
}
