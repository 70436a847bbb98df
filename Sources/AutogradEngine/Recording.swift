import AutogradCore

extension Tensor {
    /// Wraps a computed value as a tensor, recording `op` on the graph when grad mode is
    /// on and any input requires grad. `saved` is evaluated only when recording.
    static func record(
        _ value: NDArray, _ op: Op, inputs: [Tensor], saved: @autoclosure () -> SavedValues = SavedValues()
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else {
            return Tensor(value)
        }
        let node = Node(
            op: op,
            nextEdges: inputs.map(\.gradientEdge),
            output: value,
            inputShapes: inputs.map(\.shape),
            saved: saved())
        return Tensor(value, gradFn: node)
    }

    /// The edge a gradient for this tensor travels along, or nil if it needs none.
    var gradientEdge: Edge? {
        if let gradFn { return .node(gradFn) }
        return requiresGrad ? .leaf(self) : nil
    }
}
