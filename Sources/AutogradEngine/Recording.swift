import AutogradCore

extension Tensor {
    /// Wraps a computed value as a tensor, recording `op` on the graph when grad mode is
    /// on and any input requires grad. The node saves what the op's backward reads given
    /// which inputs need a gradient (``Op/saves(for:)``): inputs, the result and
    /// `auxiliary` (indices or a mask).
    static func record(_ value: consuming NDArray, _ op: Op, inputs: [Tensor], auxiliary: SavedAuxiliary? = nil) -> Tensor {
        record(value, op, requiresGrad: inputs.contains { $0.requiresGrad },
               edges: EdgeList(inputs.map(\.gradientEdge)),
               inputs: { slots in
                   InputTriple(first: slots.contains(.first) ? inputs.first : nil,
                               second: slots.contains(.second) && inputs.count > 1 ? inputs[1] : nil,
                               third: slots.contains(.third) && inputs.count > 2 ? inputs[2] : nil)
               },
               auxiliary: auxiliary)
    }

    /// ``record(_:_:inputs:auxiliary:)`` for a one-input op, without an array of inputs.
    static func record(_ value: consuming NDArray, _ op: Op, input: Tensor, auxiliary: SavedAuxiliary? = nil) -> Tensor {
        record(value, op, requiresGrad: input.requiresGrad, edges: EdgeList(input.gradientEdge),
               inputs: { slots in InputTriple(first: slots.contains(.first) ? input : nil) }, auxiliary: auxiliary)
    }

    /// ``record(_:_:inputs:auxiliary:)`` for a two-input op, without an array of inputs.
    static func record(
        _ value: consuming NDArray, _ op: Op, _ first: Tensor, _ second: Tensor, auxiliary: SavedAuxiliary? = nil
    ) -> Tensor {
        record(value, op, requiresGrad: first.requiresGrad || second.requiresGrad,
               edges: EdgeList(first.gradientEdge, second.gradientEdge),
               inputs: { slots in
                   InputTriple(first: slots.contains(.first) ? first : nil, second: slots.contains(.second) ? second : nil)
               },
               auxiliary: auxiliary)
    }

    /// Records `op` with the given edges when grad mode is on and `requiresGrad`; inside
    /// `tracingGraph` a result that does not require grad still gets a trace for drawings.
    /// The node saves what `op`'s backward reads given these edges (``Op/saves(for:)``);
    /// `inputs` gives the inputs among those slots, so inputs that are not saved are not
    /// referenced on the way. Inlined into each caller, so building the edges and the
    /// inputs calls no closure.
    @inline(__always)
    private static func record(
        _ value: consuming NDArray, _ op: Op, requiresGrad: Bool, edges: @autoclosure () -> EdgeList,
        inputs: (SavedSlots) -> InputTriple, auxiliary: SavedAuxiliary?
    ) -> Tensor {
        // The default context (grad mode on, no tracing, anomaly detection or scope) has a
        // path of its own that never reads the context object: 70 instructions per op less
        // than reading it (a retain and a release of the shared object, its flags).
        if RecordingContext.isDefault {
            guard requiresGrad else { return Tensor(value) }
            let node = Node(op: op, edges: edges(), output: value, saves: true, savingFrom: inputs,
                            auxiliary: auxiliary, context: nil)
            return Tensor(value, gradFn: node)
        }
        let context = RecordingContext.current
        guard context.gradEnabled, requiresGrad else {
            guard context.tracing else { return Tensor(value) }
            let result = Tensor(copy value)
            result.trace = Node(op: op, edges: edges(), output: value, context: context)
            return result
        }
        let node = Node(op: op, edges: edges(), output: value, saves: true, savingFrom: inputs, auxiliary: auxiliary,
                        context: context)
        return Tensor(value, gradFn: node)
    }

    /// The edge from a node that uses this tensor back to where it came from.
    var gradientEdge: Edge {
        if let gradFn { return .node(gradFn) }
        return requiresGrad ? .leaf(self) : .constant(self)
    }
}
