/// A matrix whose values a factorization cannot handle (PyTorch's `torch.linalg.LinAlgError`):
/// singular for an inverse or a solve, not positive-definite for a Cholesky factorization.
///
/// `batch` is the first failing matrix of a batched input (nil for a single matrix); the
/// message names it as PyTorch does, `(Batch element 1): `.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// `inverse` of a matrix whose LU factorization has a zero on the diagonal of U at
    /// `diagonalElement` (1-based, as LAPACK's `getrf` reports it).
    case singularInverse(batch: Int?, diagonalElement: Int)
    /// `solve` with a singular `A`.
    case singularSolve(batch: Int?)
    /// `cholesky` of a matrix whose leading minor of order `order` is not positive-definite.
    case notPositiveDefinite(batch: Int?, order: Int)

    /// What went wrong, in PyTorch's words.
    public var message: String {
        func batchPrefix(_ batch: Int?) -> String { batch.map { "(Batch element \($0)): " } ?? "" }
        switch self {
        case .singularInverse(let batch, let element):
            return "linalg.inv: \(batchPrefix(batch))The diagonal element \(element) is zero, the inversion could not be completed because the input matrix is singular."
        case .singularSolve(let batch):
            return "torch.linalg.solve: \(batchPrefix(batch))The solver failed because the input matrix is singular."
        case .notPositiveDefinite(let batch, let order):
            return "linalg.cholesky: \(batchPrefix(batch))The factorization could not be completed because the input is not positive-definite (the leading minor of order \(order) is not positive-definite)."
        }
    }

    /// The message.
    public var description: String { message }
}

/// Runs a factorization and stops with its message (in every build, see
/// ``usageFailure(_:file:line:)``) if the matrix does not allow it.
@inline(__always)
public func trapOnLinearAlgebraError<T>(
    file: StaticString = #fileID, line: UInt = #line, _ body: () throws(LinearAlgebraError) -> T
) -> T {
    do {
        return try body()
    } catch {
        usageFailure(error.message, file: file, line: line)
    }
}
