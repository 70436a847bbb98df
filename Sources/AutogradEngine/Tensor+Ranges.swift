import AutogradCore

/// Creation functions, like PyTorch's `torch.arange`, `linspace`, `eye`, `full`,
/// `zeros_like` and `ones_like`. Integer arguments give int64 tensors and floating ones
/// float32, as in PyTorch; `dtype:` picks another.
extension Tensor {
    /// `0, 1, ..., end - 1`, int64 by default, like `torch.arange(end)`.
    public static func arange(_ end: Int, dtype: DType = .int64, requiresGrad: Bool = false) -> Tensor {
        arange(0, end, step: 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// `start, start + step, ...` up to but excluding `end`, int64 by default, like
    /// `torch.arange(start, end, step)`.
    public static func arange(_ start: Int, _ end: Int, step: Int = 1, dtype: DType = .int64, requiresGrad: Bool = false) -> Tensor {
        if !dtype.isFloatingPoint {
            let count = rangeCount(Double(start), Double(end), Double(step))
            let values = (0..<count).map { Int64(start) + Int64(step) * Int64($0) }
            return Tensor(NDArray(shape: [count], integers: values, dtype: dtype), requiresGrad: requiresGrad)
        }
        return arange(Double(start), Double(end), step: Double(step), dtype: dtype, requiresGrad: requiresGrad)
    }

    /// `0, 1, ...` below `end`, float32 by default, like `torch.arange(5.0)`.
    public static func arange(_ end: Double, dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        arange(0, end, step: 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// `start, start + step, ...` up to but excluding `end`, float32 by default, like
    /// `torch.arange(0.0, 1.0, 0.25)`. Each value is `start + i · step`, computed in double
    /// precision and rounded once, as PyTorch computes it.
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        let count = rangeCount(start, end, step)
        let values = (0..<count).map { start + step * Double($0) }
        return Tensor(NDArray(shape: [count], doubles: values, dtype: dtype), requiresGrad: requiresGrad)
    }

    /// How many values `arange` makes, or a stop with PyTorch's message.
    private static func rangeCount(_ start: Double, _ end: Double, _ step: Double) -> Int {
        checkUsage(step != 0, "arange: step must be nonzero")
        checkUsage(start.isFinite && end.isFinite, "arange: unsupported range: \(start) -> \(end)")
        checkUsage((step > 0 && end >= start) || (step < 0 && end <= start), "arange: upper bound and lower bound inconsistent with step sign")
        return Int(((end - start) / step).rounded(.up))
    }

    /// `steps` values evenly spaced from `start` to `end` inclusive, float32 by default, like
    /// `torch.linspace`. As PyTorch does, the first half counts up from `start` and the
    /// second half down from `end`, in the dtype's precision.
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        checkUsage(steps >= 0, "linspace: number of steps must be non-negative")
        let halfway = steps / 2
        if steps == 1 { return Tensor(NDArray(shape: [1], doubles: [start], dtype: dtype), requiresGrad: requiresGrad) }
        let values: [Double]
        if dtype.computeType == .float32 {
            let (a, b) = (Float(start), Float(end))
            let step = steps > 1 ? (b - a) / Float(steps - 1) : 0
            values = (0..<steps).map { i in Double(i < halfway ? a + step * Float(i) : b - step * Float(steps - i - 1)) }
        } else {
            let step = steps > 1 ? (end - start) / Double(steps - 1) : 0
            values = (0..<steps).map { i in i < halfway ? start + step * Double(i) : end - step * Double(steps - i - 1) }
        }
        return Tensor(NDArray(shape: [steps], doubles: values, dtype: dtype), requiresGrad: requiresGrad)
    }

    /// The `n` × `m` identity matrix (`m` defaults to `n`): ones on the diagonal, like `torch.eye`.
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        let columns = m ?? n
        checkUsage(n >= 0, "eye: n must be greater or equal to 0, got \(n)")
        checkUsage(columns >= 0, "eye: m must be greater or equal to 0, got \(columns)")
        var values = [Double](repeating: 0, count: n * columns)
        for i in 0..<Swift.min(n, columns) { values[i * columns + i] = 1 }
        return Tensor(NDArray(shape: [n, columns], doubles: values, dtype: dtype), requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` filled with `value`, float32 by default, like `torch.full`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        Tensor(NDArray(repeating: value, shape: shape, dtype: dtype), requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` filled with an integer, int64 by default, like `torch.full([2], 7)`.
    public static func full(_ shape: [Int], _ value: Int, dtype: DType = .int64, requiresGrad: Bool = false) -> Tensor {
        let values = [Int64](repeating: Int64(value), count: shape.reduce(1, *))
        return Tensor(NDArray(shape: shape, integers: values, dtype: dtype), requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` filled with a Boolean, bool by default, like `torch.full([2], True)`.
    public static func full(_ shape: [Int], _ value: Bool, dtype: DType = .bool) -> Tensor {
        Tensor(NDArray(repeating: value ? 1 : 0, shape: shape, dtype: dtype))
    }

    /// Zeros of `other`'s shape and dtype (or `dtype`), like `torch.zeros_like`.
    public static func zeros(like other: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        zeros(other.shape, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
    }

    /// Ones of `other`'s shape and dtype (or `dtype`), like `torch.ones_like`.
    public static func ones(like other: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        ones(other.shape, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
    }

    /// `value` in every position of `other`'s shape, in `other`'s dtype (or `dtype`), like
    /// `torch.full_like`.
    public static func full(like other: Tensor, _ value: Double, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        full(other.shape, value, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
    }
}
