/// Cumulative sums and products along one dimension, like `torch.cumsum` and
/// `torch.cumprod`: floating arrays accumulate in doubles (PyTorch's CPU accumulation
/// type) and keep their dtype; integers and bool accumulate in, and give, int64.
extension NDArray {
    /// The running sum (or, with `product`, the running product) along `dim` (normalised).
    public func cumulative(dim: Int, product: Bool) -> NDArray {
        if rank == 0 { return reshapedUnchecked([1]).cumulative(dim: 0, product: product).reshapedUnchecked([]) }
        let moved = movingDimensionLast(dim)
        let length = shape[dim]
        let rows = length == 0 ? 0 : moved.count / length
        let movedResult: NDArray
        if dtype.isFloatingPoint {
            var values = moved.doubles
            values.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for r in 0..<rows {
                    let row = base + r * length
                    var running = product ? 1.0 : 0.0
                    if product {
                        for i in 0..<length { running *= row[i]; row[i] = running }
                    } else {
                        for i in 0..<length { running += row[i]; row[i] = running }
                    }
                }
            }
            movedResult = NDArray(shape: moved.shape, doubles: values, dtype: dtype)
        } else {
            var values = moved.integers
            values.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for r in 0..<rows {
                    let row = base + r * length
                    var running: Int64 = product ? 1 : 0
                    if product {
                        for i in 0..<length { running = running &* row[i]; row[i] = running }
                    } else {
                        for i in 0..<length { running = running &+ row[i]; row[i] = running }
                    }
                }
            }
            movedResult = NDArray(shape: moved.shape, integers: values, dtype: .int64)
        }
        return movedResult.movingLastDimension(to: dim, shape: shape)
    }
}

extension NDArray {
    /// The gradient of `cumulative(dim:product: true)` for `input` given the result's
    /// gradient `grad` (same shape), exact where a row holds zeros: positions before a
    /// row's first zero get Σ_{j ≥ i} g_j y_j / x_i (later y_j are 0), the first zero gets
    /// the product of the elements before it times g_z + Σ_{j > z} g_j Π_{z < k ≤ j} x_k,
    /// and positions after it get 0 (PyTorch's cumprod_backward). Floating arrays.
    public static func cumulativeProductBackward(_ grad: NDArray, input: NDArray, dim: Int) -> NDArray {
        if input.rank == 0 { return grad.copy() }
        let length = input.shape[dim]
        let x = input.movingDimensionLast(dim).doubles, g = grad.movingDimensionLast(dim).doubles
        let rows = length == 0 ? 0 : x.count / length
        var out = [Double](repeating: 0, count: x.count)
        for r in 0..<rows {
            let base = r * length
            var zero = 0
            while zero < length && x[base + zero] != 0 { zero += 1 }
            // Before the first zero: the running products y_j and the suffix sums of g_j y_j.
            var products = [Double](repeating: 0, count: zero)
            var running = 1.0
            for j in 0..<zero { running *= x[base + j]; products[j] = running }
            var suffix = 0.0
            for i in stride(from: zero - 1, through: 0, by: -1) {
                suffix += g[base + i] * products[i]
                out[base + i] = suffix / x[base + i]
            }
            guard zero < length else { continue }
            let before = zero == 0 ? 1.0 : products[zero - 1]
            var total = g[base + zero], chain = 1.0
            for j in (zero + 1)..<Swift.max(zero + 1, length) {
                chain *= x[base + j]
                total += g[base + j] * chain
            }
            out[base + zero] = before * total
        }
        var movedShape = input.shape
        movedShape.append(movedShape.remove(at: dim))
        return NDArray(shape: movedShape, doubles: out, dtype: input.dtype).movingLastDimension(to: dim, shape: input.shape)
    }
}
