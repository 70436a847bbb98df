/// Inverse, determinant, solve and Cholesky factorization of batches of small square
/// matrices (the last two dimensions), computed in float64 one matrix at a time
/// (see `MatrixFactorization`) and returned in the input's dtype (float32 or float64).
extension NDArray {
    /// Checks that this array is a batch of square matrices that `op` (PyTorch's name, e.g.
    /// `linalg.inv`) can factor, and returns the batch shape and the matrices' size.
    ///
    /// - Throws: ``ShapeError`` below two dimensions, for matrices that are not square,
    ///   and for dtypes other than float32 and float64.
    public func squareMatrices(op: String) throws(ShapeError) -> (batchShape: [Int], size: Int) {
        guard rank >= 2 else { throw .linalgNeedsMatrices(op: op, argument: "A") }
        let rows = shape[rank - 2], columns = shape[rank - 1]
        guard rows == columns else { throw .notSquareMatrices(op: op, rows: rows, columns: columns) }
        guard dtype.isFloatingPoint else { throw .linalgNeedsFloatingPoint(op: op, dtype) }
        guard dtype == .float32 || dtype == .float64 else {
            if op == "linalg.inv" { throw .linalgLowPrecision(op: op, dtype) }
            throw .unsupportedDType(op: op, dtype)
        }
        return (Array(shape.dropLast(2)), rows)
    }

    /// Runs `body(matrix, input, output)` on each `n`×`n` matrix of this array, read as
    /// float64, writing `outputSize` values per matrix into an array of `outputShape`,
    /// returned in this array's dtype.
    private func eachMatrix<E: Error>(
        n: Int, outputShape: [Int], outputSize: Int,
        _ body: (Int, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) throws(E) -> Void
    ) throws(E) -> NDArray {
        let source = converted(to: .float64).copy()
        let result = NDArray(uninitialized: outputShape, dtype: .float64)
        let matrices = n == 0 ? outputShape.reduce(1, *) / Swift.max(outputSize, 1) : count / (n * n)
        let input = source.storage.raw.assumingMemoryBound(to: Double.self)
        let output = result.storage.raw.assumingMemoryBound(to: Double.self)
        try withExtendedLifetime((source.storage, result.storage)) { () throws(E) in
            for matrix in 0..<matrices {
                try body(matrix, input + matrix * n * n, output + matrix * outputSize)
            }
        }
        return result.converted(to: dtype)
    }

    /// The batch position to name in an error: nil for a single matrix.
    private func batchIndex(_ matrix: Int) -> Int? { rank > 2 ? matrix : nil }

    /// The inverse of each matrix, like `torch.linalg.inv` (this array must pass
    /// ``squareMatrices(op:)``).
    ///
    /// - Throws: ``LinearAlgebraError/singularInverse(batch:diagonalElement:)`` for the first
    ///   singular matrix, naming the zero on U's diagonal as LAPACK does.
    public func inverseMatrices() throws(LinearAlgebraError) -> NDArray {
        try inverse { (matrix, info) throws(LinearAlgebraError) in
            if info != 0 { throw .singularInverse(batch: batchIndex(matrix), diagonalElement: info) }
        }
    }

    /// The inverse of each matrix, with infinities or NaNs for a singular one instead of an
    /// error (for backward formulas, which PyTorch evaluates the same way).
    public func inverseMatricesAllowingSingular() -> NDArray {
        inverse { _, _ in }
    }

    /// The inverse of each matrix; `check(matrix, info)` sees each LU factorization's
    /// `info` (the first zero on U's diagonal, or 0) before the solve.
    private func inverse<E: Error>(_ check: (Int, Int) throws(E) -> Void) throws(E) -> NDArray {
        let n = shape.last ?? 0
        let pivots = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(n, 1))
        defer { pivots.deallocate() }
        return try eachMatrix(n: n, outputShape: shape, outputSize: n * n) { (matrix, a, out) throws(E) in
            try check(matrix, MatrixFactorization.luFactor(a, n: n, pivots: pivots))
            out.update(repeating: 0, count: n * n)
            for i in 0..<n { out[i * n + i] = 1 }
            MatrixFactorization.luSolve(a, pivots: pivots, n: n, out, columns: n)
        }
    }

    /// The determinant of each matrix, like `torch.linalg.det` (shape: the batch shape).
    public func determinants() -> NDArray {
        let n = shape.last ?? 0
        let pivots = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(n, 1))
        defer { pivots.deallocate() }
        return eachMatrix(n: n, outputShape: Array(shape.dropLast(2)), outputSize: 1) { _, a, out in
            _ = MatrixFactorization.luFactor(a, n: n, pivots: pivots)
            out[0] = MatrixFactorization.determinant(a, pivots: pivots, n: n)
        }
    }

    /// The sign and the log of the absolute value of each matrix's determinant, like
    /// `torch.linalg.slogdet` (a singular matrix gives sign 0 and `-inf`).
    public func signedLogDeterminants() -> (sign: NDArray, logAbsDeterminant: NDArray) {
        let n = shape.last ?? 0
        let pivots = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(n, 1))
        defer { pivots.deallocate() }
        let batchShape = Array(shape.dropLast(2))
        let both = eachMatrix(n: n, outputShape: batchShape + [2], outputSize: 2) { _, a, out in
            _ = MatrixFactorization.luFactor(a, n: n, pivots: pivots)
            (out[0], out[1]) = MatrixFactorization.signAndLogAbsDeterminant(a, pivots: pivots, n: n)
        }
        func part(_ index: Int) -> NDArray {
            var layout = both.layout
            layout.offset += index
            layout.shape.removeLast()
            layout.strides = Array(both.layout.strides.dropLast())
            return NDArray(storage: both.storage, layout: layout).contiguous()
        }
        return (part(0), part(1))
    }

    /// The cofactor matrix of each matrix (the gradient of its determinant, also where it
    /// is singular).
    public func cofactorMatrices() -> NDArray {
        let n = shape.last ?? 0
        return eachMatrix(n: n, outputShape: shape, outputSize: n * n) { _, a, out in
            MatrixFactorization.cofactors(a, n: n, into: out)
        }
    }

    /// The lower-triangular `L` with `L·Lᵀ` equal to each matrix, like
    /// `torch.linalg.cholesky` (only the lower triangle of the input is read).
    ///
    /// - Throws: ``LinearAlgebraError/notPositiveDefinite(batch:order:)`` for the first
    ///   matrix that is not positive-definite.
    public func choleskyFactors() throws(LinearAlgebraError) -> NDArray {
        let n = shape.last ?? 0
        return try eachMatrix(n: n, outputShape: shape, outputSize: n * n) { (matrix, a, out) throws(LinearAlgebraError) in
            let order = MatrixFactorization.cholesky(a, n: n, into: out)
            if order != 0 { throw .notPositiveDefinite(batch: batchIndex(matrix), order: order) }
        }
    }

    /// The solution `X` of `A·X = B` for each pair of matrices, `a` of shape `[*, n, n]`
    /// and `b` of shape `[*, n, k]`, their batch dimensions broadcast, like
    /// `torch.linalg.solve` (the shapes and dtypes are the caller's to check).
    ///
    /// - Throws: ``LinearAlgebraError/singularSolve(batch:)`` for the first singular `A`.
    public static func solveMatrices(_ a: NDArray, _ b: NDArray) throws(LinearAlgebraError) -> NDArray {
        let n = a.shape[a.rank - 1], columns = b.shape[b.rank - 1]
        let batchShape = trapOnShapeError { () throws(ShapeError) in
            try broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "linalg.solve")
        }
        let left = NDArray(storage: a.storage, layout: a.layout.broadcast(to: batchShape + [n, n]))
        let right = NDArray(storage: b.storage, layout: b.layout.broadcast(to: batchShape + [n, columns]))
        let rhs = right.converted(to: .float64).copy()
        let pivots = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(n, 1))
        defer { pivots.deallocate() }
        let solutions = rhs.storage.raw.assumingMemoryBound(to: Double.self)
        let batched = a.rank > 2 || b.rank > 2
        try withExtendedLifetime(rhs.storage) { () throws(LinearAlgebraError) in
            _ = try left.eachMatrix(n: n, outputShape: [], outputSize: 0) { (matrix, factors, _) throws(LinearAlgebraError) in
                if MatrixFactorization.luFactor(factors, n: n, pivots: pivots) != 0 {
                    throw .singularSolve(batch: batched ? matrix : nil)
                }
                MatrixFactorization.luSolve(factors, pivots: pivots, n: n, solutions + matrix * n * columns, columns: columns)
            }
        }
        return rhs.converted(to: a.dtype)
    }
}
