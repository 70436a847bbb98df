import AutogradCore

extension Tensor {
    /// Wraps a computed value as a tensor, recording `op` on the graph when grad mode is
    /// on and any input requires grad. `saved` is evaluated only when recording.
    static func record(
        _ value: NDArray, _ op: Op, inputs: [Tensor], saved: @autoclosure () -> SavedValues = SavedValues()
    ) -> Tensor {
        let context = RecordingContext.current
        guard context.gradEnabled, inputs.contains(where: { $0.requiresGrad }) else {
            let result = Tensor(value)
            if context.tracing { result.trace = Node(op: op, inputs: inputs, output: value, context: context) }
            return result
        }
        return Tensor(value, gradFn: Node(op: op, inputs: inputs, output: value, saved: saved(), context: context))
    }

    /// The edge from a node that uses this tensor back to where it came from.
    var gradientEdge: Edge {
        if let gradFn { return .node(gradFn) }
        return requiresGrad ? .leaf(self) : .constant(self)
    }
}
