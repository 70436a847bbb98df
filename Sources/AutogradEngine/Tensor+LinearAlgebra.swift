import AutogradCore

extension Tensor {
    /// The matrix product, with NumPy's rules like `torch.matmul`: 1-D with 1-D is a dot
    /// product; 2-D with 2-D a matrix product; a 1-D operand is promoted to a matrix and the
    /// added dimension removed; batch dimensions broadcast.
    public func matmul(_ other: Tensor) -> Tensor {
        checkUsage(rank >= 1 && other.rank >= 1,
                     "matmul: both arguments to matmul need to be at least 1D, but they are \(rank)D and \(other.rank)D")
        let kind: MatmulKind
        switch (rank, other.rank) {
        case (1, 1):
            checkUsage(shape == other.shape,
                         "dot: inconsistent tensor size, expected tensor [\(shape[0])] and src [\(other.shape[0])] to have the same number of elements, but got \(shape[0]) and \(other.shape[0]) elements respectively")
            kind = .dot
        case (2, 1): kind = .matrixVector
        case (1, 2): kind = .vectorMatrix
        case (2, 2): kind = .matrixMatrix
        default: kind = .batched(leftIsMatrixRequiringGrad: rank == 2 && requiresGrad)
        }
        let left = trapOnShapeError { () throws(ShapeError) in try rank == 1 ? array.unsqueezed(dim: 0) : array }
        let right = trapOnShapeError { () throws(ShapeError) in try other.rank == 1 ? other.array.unsqueezed(dim: 1) : other.array }
        let product = trapOnShapeError { () throws(ShapeError) in try NDArray.matmul(left, right) }
        var resultShape = product.shape
        if other.rank == 1 { resultShape.removeLast() }
        if rank == 1 { resultShape.remove(at: resultShape.count - (other.rank == 1 ? 1 : 2)) }
        let value = NDArray(storage: product.storage, layout: Layout(contiguous: resultShape))
        return Tensor.record(value, .matmul(kind), self, other)
    }

    /// The transpose of the last two dimensions (`x.mT` in PyTorch).
    public var mT: Tensor { transpose(-2, -1) }
}
