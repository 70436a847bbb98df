import AutogradCore

/// Reductions beyond sum, mean, max and min, each with PyTorch's backward: `var`, `std`,
/// `prod`, `logsumexp`, `norm`, `amax`, `amin`, `median`, and the truth tests `all` and
/// `any` (which, as in PyTorch, are not differentiable). A list of dimensions may be
/// negative; an empty list means every dimension.
extension Tensor {
    /// Normalised, sorted reduction dimensions (every dimension for an empty list).
    private func dimensions(_ dims: [Int], _ op: String) -> [Int] {
        trapOnShapeError { () throws(ShapeError) in try array.reductionDimensions(dims, op: op) }
    }

    /// One normalised dimension.
    private func dimension(_ dim: Int, _ op: String) -> Int {
        trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: op) }
    }

    /// Stops with PyTorch's message unless this tensor is floating point.
    private func requireFloatingPoint(_ op: String) {
        if !dtype.isFloatingPoint { trapOnShapeError { () throws(ShapeError) in throw .floatingPointRequired(op: op, dtype) } }
    }

    /// Stops with PyTorch's message if a reduced dimension is empty (for reductions with no
    /// identity element).
    private func requireNonEmpty(_ dims: [Int], _ op: String) {
        if let empty = dims.first(where: { shape[$0] == 0 }) {
            trapOnShapeError { () throws(ShapeError) in throw .emptyReductionDimension(op: op, dim: empty) }
        }
    }

    // MARK: Variance and standard deviation

    /// The variance over `dims` (all for an empty list), dividing by N - `correction`
    /// (1: Bessel's correction, the default; 0: the population variance), like
    /// `torch.var(x, dims, correction=, keepdim=)`. Floating tensors only.
    public func `var`(dims: [Int], correction: Double = 1, keepDim: Bool = false) -> Tensor {
        spread(dims: dims, correction: correction, keepDim: keepDim, squareRoot: false)
    }
    /// The variance along `dim`, dividing by N - `correction`.
    public func `var`(dim: Int, correction: Double = 1, keepDim: Bool = false) -> Tensor {
        `var`(dims: [dim], correction: correction, keepDim: keepDim)
    }
    /// The variance along `dim`: unbiased (N - 1) or not (N).
    public func `var`(dim: Int, unbiased: Bool, keepDim: Bool = false) -> Tensor {
        `var`(dims: [dim], correction: unbiased ? 1 : 0, keepDim: keepDim)
    }
    /// The variance of all elements, dividing by N - `correction`, as a 0-d tensor.
    public func `var`(correction: Double = 1) -> Tensor { `var`(dims: [], correction: correction) }
    /// The variance of all elements: unbiased (N - 1) or not (N).
    public func `var`(unbiased: Bool) -> Tensor { `var`(dims: [], correction: unbiased ? 1 : 0) }

    /// The standard deviation over `dims` (all for an empty list), dividing the variance
    /// by N - `correction`, like `torch.std`. Floating tensors only.
    public func std(dims: [Int], correction: Double = 1, keepDim: Bool = false) -> Tensor {
        spread(dims: dims, correction: correction, keepDim: keepDim, squareRoot: true)
    }
    /// The standard deviation along `dim`, dividing by N - `correction`.
    public func std(dim: Int, correction: Double = 1, keepDim: Bool = false) -> Tensor {
        std(dims: [dim], correction: correction, keepDim: keepDim)
    }
    /// The standard deviation along `dim`: unbiased (N - 1) or not (N).
    public func std(dim: Int, unbiased: Bool, keepDim: Bool = false) -> Tensor {
        std(dims: [dim], correction: unbiased ? 1 : 0, keepDim: keepDim)
    }
    /// The standard deviation of all elements, dividing by N - `correction`.
    public func std(correction: Double = 1) -> Tensor { std(dims: [], correction: correction) }
    /// The standard deviation of all elements: unbiased (N - 1) or not (N).
    public func std(unbiased: Bool) -> Tensor { std(dims: [], correction: unbiased ? 1 : 0) }

    private func spread(dims: [Int], correction: Double, keepDim: Bool, squareRoot: Bool) -> Tensor {
        let name = squareRoot ? "std" : "var"
        requireFloatingPoint(name)
        let d = dimensions(dims, name)
        let value = array.variance(dims: d, correction: correction, keepDim: keepDim, squareRoot: squareRoot)
        let op: Op = squareRoot
            ? .standardDeviation(dims: d, correction: correction, keepDim: keepDim)
            : .variance(dims: d, correction: correction, keepDim: keepDim)
        return Tensor.record(value, op, input: self)
    }

    // MARK: Product, log-sum-exp, norms

    /// The product of all elements as a 0-d tensor, like `torch.prod`: int64 for integer
    /// and bool tensors.
    public func prod() -> Tensor {
        Tensor.record(array.product(dims: Array(0..<rank), keepDim: false), .productAll, input: self)
    }

    /// The product along `dim`, which is removed unless `keepDim`.
    public func prod(dim: Int, keepDim: Bool = false) -> Tensor {
        let d = dimension(dim, "prod")
        let dims = rank == 0 ? [] : [d]
        return Tensor.record(array.product(dims: dims, keepDim: keepDim), .product(dim: d, keepDim: keepDim), input: self)
    }

    /// log Σ exp(x) along `dim`, computed stably, like `torch.logsumexp` (integer tensors
    /// give float32).
    public func logsumexp(dim: Int, keepDim: Bool = false) -> Tensor { logsumexp(dims: [dim], keepDim: keepDim) }

    /// log Σ exp(x) over `dims` (all for an empty list), computed stably.
    public func logsumexp(dims: [Int], keepDim: Bool = false) -> Tensor {
        let source = dtype.isFloatingPoint ? self : to(.float32)
        let d = dimensions(dims, "logsumexp")
        return Tensor.record(source.array.logSumExp(dims: d, keepDim: keepDim), .logSumExp(dims: d, keepDim: keepDim), input: source)
    }

    /// The `p`-norm of all elements as a 0-d tensor (2 by default: the Euclidean norm),
    /// like `torch.linalg.vector_norm`; `p` may be `.infinity`, `-.infinity` or 0.
    public func norm(p: Double = 2) -> Tensor { norm(p: p, dims: []) }

    /// The `p`-norm along `dim`.
    public func norm(p: Double = 2, dim: Int, keepDim: Bool = false) -> Tensor { norm(p: p, dims: [dim], keepDim: keepDim) }

    /// The `p`-norm over `dims` (all for an empty list).
    public func norm(p: Double = 2, dims: [Int], keepDim: Bool = false) -> Tensor {
        requireFloatingPoint("linalg.vector_norm")
        let d = dimensions(dims, "linalg.vector_norm")
        if p.isInfinite { requireNonEmpty(d, "linalg.vector_norm") }
        return Tensor.record(array.vectorNorm(p: p, dims: d, keepDim: keepDim), .vectorNorm(p: p, dims: d, keepDim: keepDim), input: self)
    }

    // MARK: Extrema and truth tests

    /// The largest value along `dim` (its gradient shared evenly among ties), like
    /// `torch.amax`; the tensor's dtype.
    public func amax(dim: Int, keepDim: Bool = false) -> Tensor { amax(dims: [dim], keepDim: keepDim) }
    /// The largest value over `dims` (all for an empty list).
    public func amax(dims: [Int], keepDim: Bool = false) -> Tensor { extremeValues(dims, keepDim, largest: true) }
    /// The smallest value along `dim` (its gradient shared evenly among ties), like `torch.amin`.
    public func amin(dim: Int, keepDim: Bool = false) -> Tensor { amin(dims: [dim], keepDim: keepDim) }
    /// The smallest value over `dims` (all for an empty list).
    public func amin(dims: [Int], keepDim: Bool = false) -> Tensor { extremeValues(dims, keepDim, largest: false) }

    private func extremeValues(_ dims: [Int], _ keepDim: Bool, largest: Bool) -> Tensor {
        let name = largest ? "amax" : "amin"
        let d = dimensions(dims, name)
        requireNonEmpty(d, name)
        if rank > 0 && count == 0 && d.isEmpty { requireNonEmpty([0], name) }
        let value = array.extremeValues(dims: d, keepDim: keepDim, largest: largest)
        return Tensor.record(value, .extremeValues(dims: d, keepDim: keepDim, largest: largest), input: self)
    }

    /// Whether every element is non-zero (true), as a 0-d bool tensor (uint8 for uint8),
    /// like `torch.all`.
    public func all() -> Tensor { Tensor(array.truth(dims: Array(0..<rank), keepDim: false, all: true)) }
    /// Whether every element along `dim` is non-zero.
    public func all(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor(array.truth(dims: rank == 0 ? [] : [dimension(dim, "all")], keepDim: keepDim, all: true))
    }
    /// Whether some element is non-zero (true), as a 0-d bool tensor (uint8 for uint8),
    /// like `torch.any`.
    public func any() -> Tensor { Tensor(array.truth(dims: Array(0..<rank), keepDim: false, all: false)) }
    /// Whether some element along `dim` is non-zero.
    public func any(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor(array.truth(dims: rank == 0 ? [] : [dimension(dim, "any")], keepDim: keepDim, all: false))
    }

    // MARK: Median

    /// The lower median of all elements (the smaller of the two middle values for an even
    /// count; NaN if any element is NaN), like `torch.median()`; its gradient is shared
    /// evenly among the elements equal to it.
    public func median() -> Tensor {
        if dtype == .bool { trapOnShapeError { () throws(ShapeError) in throw .unsupportedDType(op: "median", dtype) } }
        return Tensor.record(array.medianAll(), .medianAll, input: self)
    }

    /// The lower median along `dim` and its position (int64), like `torch.median(x, dim)`.
    public func median(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        if dtype == .bool { trapOnShapeError { () throws(ShapeError) in throw .unsupportedDType(op: "median", dtype) } }
        let d = dimension(dim, "median")
        if rank > 0 { requireNonEmpty([d], "median") }
        let (values, indices) = array.median(dim: d, keepDim: keepDim)
        let saved = keepDim || rank == 0 ? indices : trapOnShapeError { () throws(ShapeError) in try indices.unsqueezed(dim: d) }
        let result = Tensor.record(values, .median(dim: d, keepDim: keepDim || rank == 0), input: self, auxiliary: .array(saved))
        return (result, Tensor(indices))
    }
}
