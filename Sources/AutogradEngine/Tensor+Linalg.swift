import AutogradCore

/// Inverse, determinant, solve and Cholesky factorization of (batches of) small square
/// matrices in float32 or float64, like `torch.linalg`, each with PyTorch's backward.
/// Matrices are factored in float64 (LU with partial pivoting, Cholesky) one at a time,
/// which suits the small matrices these are used for.
extension Tensor {
    /// Checks that this tensor is a batch of square float32 or float64 matrices.
    private func checkSquareMatrices(_ op: String) {
        _ = trapOnShapeError { () throws(ShapeError) in try array.squareMatrices(op: op) }
    }

    /// The inverse of each matrix in the last two dimensions, like `torch.linalg.inv` (and
    /// `Tensor.inverse`). Recorded as `LinalgInvExBackward0`; the gradient is
    /// `-A⁻ᵀ·g·A⁻ᵀ`. A singular matrix stops with PyTorch's message.
    /// ```swift
    /// Tensor([[2.0, 0.0], [0.0, 4.0]]).inverse()   // [[0.5, 0], [0, 0.25]]
    /// ```
    public func inverse() -> Tensor { linalgInverse(checkingSingularity: true) }

    /// The inverse, recorded as `LinalgInvExBackward0`; without the check a singular
    /// matrix gives infinities or NaNs (backward formulas).
    func linalgInverse(checkingSingularity: Bool) -> Tensor {
        checkSquareMatrices("linalg.inv")
        let value = checkingSingularity
            ? trapOnLinearAlgebraError { () throws(LinearAlgebraError) in try array.inverseMatrices() }
            : array.inverseMatricesAllowingSingular()
        return Tensor.record(value, .inverse, input: self)
    }

    /// The determinant of each matrix in the last two dimensions, like `torch.linalg.det`
    /// (shape: the batch shape). Recorded as `LinalgDetBackward0`; the gradient is
    /// `g·det(A)·A⁻ᵀ`, the matrix of cofactors also for a singular matrix.
    public func det() -> Tensor {
        checkSquareMatrices("linalg.det")
        return Tensor.record(array.determinants(), .determinant, input: self)
    }

    /// The sign (-1, 0 or 1) and the logarithm of the absolute value of each matrix's
    /// determinant, like `torch.linalg.slogdet`; a singular matrix gives 0 and `-inf`.
    /// Both are recorded as `LinalgSlogdetBackward0`; `logabsdet`'s gradient is `g·A⁻ᵀ`,
    /// the sign has none.
    public func slogdet() -> (sign: Tensor, logabsdet: Tensor) {
        checkSquareMatrices("linalg.slogdet")
        let (sign, logAbs) = array.signedLogDeterminants()
        return (Tensor.record(sign, .slogdet(sign: true), input: self),
                Tensor.record(logAbs, .slogdet(sign: false), input: self))
    }

    /// The lower-triangular `L` with `L·Lᵀ = A` for each symmetric positive-definite matrix
    /// `A` in the last two dimensions, like `torch.linalg.cholesky` (only the lower triangle
    /// is read). Recorded as `LinalgCholeskyExBackward0` (Murray's formula, as PyTorch). A
    /// matrix that is not positive-definite stops with PyTorch's message.
    public func cholesky() -> Tensor {
        checkSquareMatrices("linalg.cholesky")
        let value = trapOnLinearAlgebraError { () throws(LinearAlgebraError) in try array.choleskyFactors() }
        return Tensor.record(value, .cholesky, input: self)
    }

    /// The solution `X` of `A·X = B`, like `torch.linalg.solve`: `a` is `[*, n, n]`, `b` is
    /// `[*, n, k]`, or a vector `[n]` (or `[*, n]` with `a`'s batch shape) for a vector
    /// `X`; batch dimensions broadcast. Recorded as `LinalgSolveExBackward0`, with
    /// gradients `gB = A⁻ᵀ·g` and `gA = -gB·Xᵀ`. A singular `A` stops with PyTorch's message.
    /// ```swift
    /// Tensor.solve(Tensor([[2.0, 0.0], [0.0, 4.0]]), Tensor([2.0, 2.0]))   // [1, 0.5]
    /// ```
    public static func solve(_ a: Tensor, _ b: Tensor) -> Tensor {
        let vectorRight = b.rank == 1 || (a.rank >= 1 && b.rank == a.rank - 1 && b.shape == Array(a.shape.dropLast()))
        trapOnShapeError { () throws(ShapeError) in
            guard a.rank >= 2 else { throw .linalgNeedsMatrices(op: "linalg.solve", argument: "A") }
            guard a.dtype.isFloatingPoint else { throw .linalgNeedsFloatingPoint(op: "linalg.solve", a.dtype) }
            guard a.dtype == b.dtype else { throw .solveDTypes(a.dtype, b.dtype) }
            _ = try a.array.squareMatrices(op: "linalg.solve")
            guard b.rank + (vectorRight ? 1 : 0) >= 2 else { throw .linalgNeedsMatrices(op: "linalg.solve", argument: "B") }
            let rows = vectorRight ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
            let columns = vectorRight ? 1 : b.shape[b.rank - 1]
            let n = a.shape[a.rank - 1]
            guard rows == n else { throw .solveShapes(a: [n, n], b: [rows, columns]) }
        }
        return linalgSolve(a, b, vectorRight: vectorRight)
    }

    /// ``solve(_:_:)`` with the shapes checked and the vector case decided.
    static func linalgSolve(_ a: Tensor, _ b: Tensor, vectorRight: Bool) -> Tensor {
        let right = vectorRight ? trapOnShapeError { () throws(ShapeError) in try b.array.unsqueezed(dim: -1) } : b.array
        var value = trapOnLinearAlgebraError { () throws(LinearAlgebraError) in try NDArray.solveMatrices(a.array, right) }
        if vectorRight { value = NDArray(storage: value.storage, layout: Layout(contiguous: Array(value.shape.dropLast()))) }
        return Tensor.record(value, .solve(vectorRight: vectorRight), a, b)
    }
}
