import AutogradCore

/// The backward rules of subscripts, gather and scatter (the cases of `Op` under
/// "Indexing"), written with recorded tensor ops so they can be differentiated again.
extension Node {
    /// The gradients of the inputs of an indexing node given `grad`, the gradient of its
    /// output (PyTorch's formulas in derivatives.yaml).
    func indexingGradients(_ grad: Tensor, _ saved: UnpackedSavedValues) throws(AutogradError) -> [Tensor?] {
        let inputShape = inputShapes[0]
        switch op {
        case .stridedSlice(let dim, let start, let end, let step):
            return [grad.embedded(in: inputShape, dim: dim, start: start, end: end, step: step)]
        case .stridedSliceBackward(let dim, let start, let end, let step):
            return [grad.slice(dim: dim, start: start, end: end, step: step)]
        case .index(let dims):
            // index_backward: the gradient added into zeros at the indexed positions.
            let indices = AdvancedIndices(dims: dims, stacked: try saved.array())
            return [Node.zeros(inputShape, grad.dtype).advancedIndexPut(indices, values: grad, accumulate: true)]
        case .indexPut(let dims, let accumulate):
            // Written positions lose their old values (unless added to); the values get the
            // gradient at the positions they went to, summed over broadcasting by the engine.
            let indices = AdvancedIndices(dims: dims, stacked: try saved.array())
            var selfGradient: Tensor?
            if edges[0].carriesGradient {
                selfGradient = accumulate
                    ? grad : grad.advancedIndexPut(indices, values: Tensor.zeros([], dtype: grad.dtype), accumulate: false)
            }
            return [selfGradient, edges[1].carriesGradient ? grad.advancedIndexed(indices) : nil]
        case .gather(let dim):
            let index = Tensor(try saved.array())
            return [Node.zeros(inputShape, grad.dtype).scatterAdd(dim: dim, index: index, source: grad)]
        case .scatter(let dim):
            let index = try saved.array()
            var selfGradient: Tensor?
            if edges[0].carriesGradient {
                selfGradient = grad.maskedFill(Tensor(Node.writtenPositions(shape: inputShape, dim: dim, index: index)), 0)
            }
            let sourceGradient = edges[1].carriesGradient
                ? Node.padded(grad.gather(dim: dim, index: Tensor(index)), to: inputShapes[1]) : nil
            return [selfGradient, sourceGradient]
        case .scatterAdd(let dim):
            let index = Tensor(try saved.array())
            let sourceGradient = edges[1].carriesGradient
                ? Node.padded(grad.gather(dim: dim, index: index), to: inputShapes[1]) : nil
            return [grad, sourceGradient]
        case .indexAddSource(let dim):
            return [grad, edges[1].carriesGradient ? grad.indexSelect(dim: dim, indices: try saved.indices()) : nil]
        case .maskedSelect:
            // The selected gradient goes back to the true positions of the broadcast mask;
            // the engine sums it to the input's shape.
            let mask = try saved.array()
            let shape = trapOnShapeError { () throws(ShapeError) in try broadcastShapes(inputShape, mask.shape, op: name) }
            let indices = Tensor.maskedSelectIndices(mask, shape: shape)
            let zeros = Node.zeros(shape.isEmpty ? [1] : shape, grad.dtype)
            let scattered = zeros.advancedIndexPut(indices, values: grad, accumulate: true)
            return [shape.isEmpty ? scattered.reshape([]) : scattered]
        default:
            return []
        }
    }

    /// Zeros of `shape` as one zero seen through zero strides: the kernels that write into
    /// a copy of it fill the copy in one pass, and nothing of `shape`'s size is allocated
    /// for the zeros themselves.
    private static func zeros(_ shape: [Int], _ dtype: DType) -> Tensor {
        Tensor(trapOnShapeError { () throws(ShapeError) in try NDArray(zeros: [], dtype: dtype).expanded(shape) })
    }

    /// A bool array of `shape`, true where scattering along `dim` at `index` writes.
    private static func writtenPositions(shape: [Int], dim: Int, index: NDArray) -> NDArray {
        let ones = NDArray(repeating: 1, shape: index.shape, dtype: .bool)
        return trapOnShapeError { () throws(ShapeError) in
            try NDArray(zeros: shape, dtype: .bool).scattered(dim: dim, index: index, source: ones, accumulate: false)
        }
    }

    /// `gradient` (of the index's shape) placed in zeros of the source's `shape`: a source
    /// larger than the index gets no gradient where the index does not reach.
    private static func padded(_ gradient: Tensor, to shape: [Int]) -> Tensor {
        guard gradient.rank == shape.count, gradient.shape != shape else { return gradient }
        var result = gradient
        for d in 0..<shape.count where result.shape[d] < shape[d] {
            var target = result.shape
            target[d] = shape[d]
            result = result.embedded(in: target, dim: d, start: 0, end: gradient.shape[d])
        }
        return result
    }
}
