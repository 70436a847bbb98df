import Foundation

/// Factorizations of one small square matrix in float64, stored row-major at a pointer:
/// LU with partial pivoting (LAPACK's `getrf`) and Cholesky (`potrf`, lower), and the
/// solves, inverses and determinants built on them. The batched array functions in
/// `NDArray+LinearAlgebraFunctions.swift` call these once per matrix.
enum MatrixFactorization {
    /// Factors the `n`×`n` matrix `a` in place into `P·A = L·U` (L unit lower triangular
    /// below the diagonal, U on and above it), choosing in each column the row with the
    /// largest magnitude (the first such row on ties). `pivots[k]` is the row swapped with
    /// row `k` at step `k`.
    ///
    /// - Returns: 0, or the 1-based position of the first zero on U's diagonal (LAPACK's
    ///   `info`); the factorization still completes, as LAPACK's does.
    static func luFactor(_ a: UnsafeMutablePointer<Double>, n: Int, pivots: UnsafeMutablePointer<Int>) -> Int {
        var info = 0
        for k in 0..<n {
            var pivot = k, largest = Swift.abs(a[k * n + k])
            for i in (k + 1)..<Swift.max(n, k + 1) where Swift.abs(a[i * n + k]) > largest {
                pivot = i
                largest = Swift.abs(a[i * n + k])
            }
            pivots[k] = pivot
            let diagonal = a[pivot * n + k]
            if diagonal != 0 {
                if pivot != k {
                    for j in 0..<n { swap(&a[k * n + j], &a[pivot * n + j]) }
                }
                for i in (k + 1)..<Swift.max(n, k + 1) { a[i * n + k] /= diagonal }
            } else if info == 0 {
                info = k + 1
            }
            for i in (k + 1)..<Swift.max(n, k + 1) {
                let factor = a[i * n + k]
                if factor == 0 { continue }
                let row = a + i * n, pivotRow = a + k * n
                for j in (k + 1)..<n { row[j] -= factor * pivotRow[j] }
            }
        }
        return info
    }

    /// Solves `A·X = B` in place in `b` (`n`×`columns`, row-major) given `A`'s LU factors.
    /// A zero on U's diagonal gives infinities or NaNs, as LAPACK's `getrs` does.
    static func luSolve(
        _ lu: UnsafePointer<Double>, pivots: UnsafePointer<Int>, n: Int,
        _ b: UnsafeMutablePointer<Double>, columns: Int
    ) {
        for k in 0..<n where pivots[k] != k {
            for j in 0..<columns { swap(&b[k * columns + j], &b[pivots[k] * columns + j]) }
        }
        // L·Y = P·B, L unit lower triangular.
        for i in 0..<n {
            let row = b + i * columns
            for p in 0..<i {
                let factor = lu[i * n + p]
                if factor == 0 { continue }
                let other = b + p * columns
                for j in 0..<columns { row[j] -= factor * other[j] }
            }
        }
        // U·X = Y.
        for i in stride(from: n - 1, through: 0, by: -1) {
            let row = b + i * columns
            for p in (i + 1)..<Swift.max(n, i + 1) {
                let factor = lu[i * n + p]
                if factor == 0 { continue }
                let other = b + p * columns
                for j in 0..<columns { row[j] -= factor * other[j] }
            }
            let diagonal = lu[i * n + i]
            for j in 0..<columns { row[j] /= diagonal }
        }
    }

    /// The determinant from LU factors: the product of U's diagonal, negated once per row
    /// swap.
    static func determinant(_ lu: UnsafePointer<Double>, pivots: UnsafePointer<Int>, n: Int) -> Double {
        var result = 1.0
        for k in 0..<n {
            result *= lu[k * n + k]
            if pivots[k] != k { result = -result }
        }
        return result
    }

    /// The sign (-1, 0 or 1) and the logarithm of the absolute value of the determinant,
    /// from LU factors (`-inf` for a singular matrix).
    static func signAndLogAbsDeterminant(_ lu: UnsafePointer<Double>, pivots: UnsafePointer<Int>, n: Int) -> (Double, Double) {
        var sign = 1.0, logAbs = 0.0
        for k in 0..<n {
            let u = lu[k * n + k]
            if pivots[k] != k { sign = -sign }
            if u < 0 { sign = -sign }
            if u == 0 { sign = 0 }
            logAbs += Foundation.log(Swift.abs(u))
        }
        return (sign, logAbs)
    }

    /// Factors the symmetric positive-definite `n`×`n` matrix `a` into `L·Lᵀ`, reading only
    /// its lower triangle; `l` receives L with zeros above the diagonal.
    ///
    /// - Returns: 0, or the order of the first leading minor that is not positive-definite.
    static func cholesky(_ a: UnsafePointer<Double>, n: Int, into l: UnsafeMutablePointer<Double>) -> Int {
        l.update(repeating: 0, count: n * n)
        for j in 0..<n {
            var diagonal = a[j * n + j]
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            if !(diagonal > 0) { return j + 1 }
            let root = diagonal.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<Swift.max(n, j + 1) {
                var value = a[i * n + j]
                for k in 0..<j { value -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = value / root
            }
        }
        return 0
    }

    /// The matrix of cofactors of `a` (`(-1)^(i+j)` times the determinant of `a` without
    /// row `i` and column `j`): the gradient of the determinant, defined for singular
    /// matrices too.
    static func cofactors(_ a: UnsafePointer<Double>, n: Int, into out: UnsafeMutablePointer<Double>) {
        if n == 0 { return }
        if n == 1 {
            out[0] = 1
            return
        }
        let m = n - 1
        let minor = UnsafeMutablePointer<Double>.allocate(capacity: m * m)
        let pivots = UnsafeMutablePointer<Int>.allocate(capacity: m)
        defer {
            minor.deallocate()
            pivots.deallocate()
        }
        for i in 0..<n {
            for j in 0..<n {
                var position = 0
                for r in 0..<n where r != i {
                    for c in 0..<n where c != j {
                        minor[position] = a[r * n + c]
                        position += 1
                    }
                }
                _ = luFactor(minor, n: m, pivots: pivots)
                let sign: Double = (i + j) % 2 == 0 ? 1 : -1
                out[i * n + j] = sign * determinant(minor, pivots: pivots, n: m)
            }
        }
    }
}
