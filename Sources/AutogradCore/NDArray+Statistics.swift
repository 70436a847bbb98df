import Foundation

/// Reductions beyond sum and mean: variance, product, log-sum-exp, vector norms, extrema
/// over several dimensions and truth tests. Each works on rows along the reduced
/// dimensions (``rows(along:)``), accumulating floating values in doubles and integers
/// in 64-bit integers, as PyTorch's CPU kernels accumulate, and rounds once at the end.
extension NDArray {
    /// The variance (or, with `squareRoot`, the standard deviation) over `dims`
    /// (normalised, sorted; empty for none), dividing by `N - correction` (at least 0), in
    /// this array's floating dtype.
    public func variance(dims: [Int], correction: Double, keepDim: Bool, squareRoot: Bool) -> NDArray {
        let (values, rows, length) = rowDoubles(along: dims)
        let divisor = Swift.max(0, Double(length) - correction)
        let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
            var total = 0.0
            for x in row { total += x }
            let mean = total / Double(length)
            var squares = 0.0
            for x in row { squares += (x - mean) * (x - mean) }
            let variance = squares / divisor
            return squareRoot ? variance.squareRoot() : variance
        }
        return NDArray(shape: reducedShape(dims: dims, keepDim: keepDim), doubles: result, dtype: dtype)
    }

    /// The product over `dims` (normalised, sorted): in this dtype for floating arrays,
    /// int64 for integers and bool (wrapping on overflow), as `torch.prod`.
    public func product(dims: [Int], keepDim: Bool) -> NDArray {
        let shape = reducedShape(dims: dims, keepDim: keepDim)
        if dtype.isFloatingPoint {
            let (values, rows, length) = rowDoubles(along: dims)
            let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
                var product = 1.0
                for x in row { product *= x }
                return product
            }
            return NDArray(shape: shape, doubles: result, dtype: dtype)
        }
        let (values, rows, length) = rowIntegers(along: dims)
        let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
            var product: Int64 = 1
            for x in row { product = product &* x }
            return product
        }
        return NDArray(shape: shape, integers: result, dtype: .int64)
    }

    /// log Σ eˣ over `dims` (normalised, sorted), shifted by each row's maximum so it
    /// neither overflows nor underflows (an infinite maximum is not subtracted, as in
    /// PyTorch); -∞ for empty rows. Floating arrays only.
    public func logSumExp(dims: [Int], keepDim: Bool) -> NDArray {
        let (values, rows, length) = rowDoubles(along: dims)
        let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
            var maximum = -Double.infinity
            for x in row where x > maximum || x.isNaN { maximum = x }
            if maximum.isInfinite { maximum = 0 }
            var total = 0.0
            for x in row { total += Foundation.exp(x - maximum) }
            return Foundation.log(total) + maximum
        }
        return NDArray(shape: reducedShape(dims: dims, keepDim: keepDim), doubles: result, dtype: dtype)
    }

    /// The `p`-norm over `dims` (normalised, sorted), like `torch.linalg.vector_norm`:
    /// (Σ|x|ᵖ)^(1/p), with p = ∞ the largest |x|, p = -∞ the smallest, p = 0 the count of
    /// non-zero elements. Floating arrays only.
    public func vectorNorm(p: Double, dims: [Int], keepDim: Bool) -> NDArray {
        let (values, rows, length) = rowDoubles(along: dims)
        let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
            switch p {
            case .infinity, -.infinity:
                var best = p > 0 ? 0.0 : Double.infinity
                for x in row {
                    let a = Swift.abs(x)
                    if a.isNaN { return a }
                    best = p > 0 ? Swift.max(best, a) : Swift.min(best, a)
                }
                return best
            case 0:
                var count = 0.0
                for x in row where x != 0 { count += 1 }
                return count
            case 1:
                var total = 0.0
                for x in row { total += Swift.abs(x) }
                return total
            case 2:
                var total = 0.0
                for x in row { total += x * x }
                return total.squareRoot()
            default:
                var total = 0.0
                for x in row { total += Foundation.pow(Swift.abs(x), p) }
                return Foundation.pow(total, 1 / p)
            }
        }
        return NDArray(shape: reducedShape(dims: dims, keepDim: keepDim), doubles: result, dtype: dtype)
    }

    /// The largest (or smallest) value over `dims` (normalised, sorted), in this dtype;
    /// NaN wins, like `torch.amax` / `torch.amin`. Every reduced dimension must be non-empty.
    public func extremeValues(dims: [Int], keepDim: Bool, largest: Bool) -> NDArray {
        let shape = reducedShape(dims: dims, keepDim: keepDim)
        if dtype.isFloatingPoint {
            let (values, rows, length) = rowDoubles(along: dims)
            let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
                var best = row[0]
                for x in row {
                    if x.isNaN { return x }
                    if largest ? x > best : x < best { best = x }
                }
                return best
            }
            return NDArray(shape: shape, doubles: result, dtype: dtype)
        }
        let (values, rows, length) = rowIntegers(along: dims)
        let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
            largest ? (row.max() ?? 0) : (row.min() ?? 0)
        }
        return NDArray(shape: shape, integers: result, dtype: dtype)
    }

    /// Whether every (`all`) or some element over `dims` (normalised, sorted) is non-zero
    /// (NaN counts as non-zero): bool, or uint8 for a uint8 array, as `torch.all` / `torch.any`.
    public func truth(dims: [Int], keepDim: Bool, all: Bool) -> NDArray {
        let (values, rows, length) = rowDoubles(along: dims)
        let result = NDArray.reduceRows(values, rows: rows, length: length) { row in
            if all {
                for x in row where x == 0 { return 0 }
                return 1
            }
            for x in row where x != 0 { return 1 }
            return 0
        }
        return NDArray(shape: reducedShape(dims: dims, keepDim: keepDim), doubles: result, dtype: dtype == .uint8 ? .uint8 : .bool)
    }
}
