import AutogradCore

extension Node {
    /// The gradient of `repeat`: the gradient seen as `[r0, s0, r1, s1, ...]` (each
    /// repetition beside the size it repeats) summed over the repetitions, as PyTorch's
    /// `repeat_backward` does. Recorded, so it can be differentiated again.
    func repeatGradient(_ grad: Tensor, repeats: [Int]) -> Tensor {
        let inputShape = inputShapes[0]
        let padded = [Int](repeating: 1, count: repeats.count - inputShape.count) + inputShape
        var split: [Int] = []
        for (repetition, size) in zip(repeats, padded) { split += [repetition, size] }
        let summed = grad.reshape(split).sum(dims: Array(stride(from: 0, to: split.count, by: 2)))
        return summed.shape == inputShape ? summed : summed.reshape(inputShape)
    }
}

extension Tensor {
    /// This tensor written on a diagonal of zeros of `shape` (the backward of
    /// ``diagonal(offset:dim1:dim2:)``), recorded as `DiagonalBackwardBackward0` so it can
    /// be differentiated again.
    func embeddedOnDiagonal(of shape: [Int], offset: Int, dim1: Int, dim2: Int) -> Tensor {
        let value = array.embeddedOnDiagonal(of: shape, offset: offset, dim1: dim1, dim2: dim2)
        return Tensor.record(value, .diagonalBackward(offset: offset, dim1: dim1, dim2: dim2), input: self)
    }
}
