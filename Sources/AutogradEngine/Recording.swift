import AutogradCore

extension Tensor {
    /// Wraps a computed value as a tensor, recording `op` on the graph when grad mode is
    /// on and any input requires grad. `saved` is evaluated only when recording.
    static func record(
        _ value: NDArray, _ op: Op, inputs: [Tensor], saved: @autoclosure () -> SavedValues = SavedValues()
    ) -> Tensor {
        record(value, op, requiresGrad: inputs.contains { $0.requiresGrad },
               edges: EdgeList(inputs.map(\.gradientEdge)), saved: saved())
    }

    /// ``record(_:_:inputs:saved:)`` for a one-input op, without an array of inputs.
    static func record(
        _ value: NDArray, _ op: Op, input: Tensor, saved: @autoclosure () -> SavedValues = SavedValues()
    ) -> Tensor {
        record(value, op, requiresGrad: input.requiresGrad, edges: EdgeList(input.gradientEdge), saved: saved())
    }

    /// ``record(_:_:inputs:saved:)`` for a two-input op, without an array of inputs.
    static func record(
        _ value: NDArray, _ op: Op, _ first: Tensor, _ second: Tensor,
        saved: @autoclosure () -> SavedValues = SavedValues()
    ) -> Tensor {
        record(value, op, requiresGrad: first.requiresGrad || second.requiresGrad,
               edges: EdgeList(first.gradientEdge, second.gradientEdge), saved: saved())
    }

    /// Records `op` with the given edges when grad mode is on and `requiresGrad`; inside
    /// `tracingGraph` a result that does not require grad still gets a trace for drawings.
    private static func record(
        _ value: NDArray, _ op: Op, requiresGrad: Bool, edges: @autoclosure () -> EdgeList,
        saved: @autoclosure () -> SavedValues
    ) -> Tensor {
        let context = RecordingContext.current
        guard context.gradEnabled, requiresGrad else {
            let result = Tensor(value)
            if context.tracing { result.trace = Node(op: op, edges: edges(), output: value, context: context) }
            return result
        }
        return Tensor(value, gradFn: Node(op: op, edges: edges(), output: value, saved: saved(), context: context))
    }

    /// The edge from a node that uses this tensor back to where it came from.
    var gradientEdge: Edge {
        if let gradFn { return .node(gradFn) }
        return requiresGrad ? .leaf(self) : .constant(self)
    }
}
