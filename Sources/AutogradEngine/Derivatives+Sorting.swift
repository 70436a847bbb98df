import AutogradCore

/// The backward rule shared by the ops that pick elements along a dimension (sort, topk,
/// median along a dimension): the gradient goes back to the positions the picked
/// elements came from, zeros elsewhere (PyTorch's value_selecting_reduction_backward).
extension Node {
    /// `grad` (the picked elements' gradient, with `dim` kept) added into zeros of the
    /// input's shape at `indices` along `dim`. Recorded as an index-add into the flattened
    /// input, so it can be differentiated again.
    func placedBack(_ grad: Tensor, indices: NDArray, dim: Int) -> Tensor {
        let inputShape = inputShapes[0]
        if inputShape.isEmpty { return grad.reshape([]) }
        let last = inputShape.count - 1
        let n = inputShape[dim], k = grad.shape[dim]
        // Work with `dim` swapped to the end, so each row of k picks is contiguous.
        let picks = trapOnShapeError { () throws(ShapeError) in try indices.transposed(dim, last) }.integers
        let rows = k == 0 ? 0 : picks.count / k
        var flat = [Int](repeating: 0, count: picks.count)
        for r in 0..<rows {
            for j in 0..<k { flat[r * k + j] = r * n + Int(picks[r * k + j]) }
        }
        var swappedShape = inputShape
        swappedShape.swapAt(dim, last)
        let flatGrad = grad.transpose(dim, last).reshape([-1])
        return flatGrad.indexAdd(dim: 0, indices: flat, size: swappedShape.reduce(1, *))
            .reshape(swappedShape).transpose(dim, last)
    }

}
