import AutogradCore

extension Tensor {
    /// The sum of all elements, as a 0-d tensor.
    public func sum() -> Tensor {
        Tensor.record(array.sumAll(), .sumAll, input: self)
    }

    /// The sum along `dim`, which is removed unless `keepDim`.
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dims: [dim], keepDim: keepDim) }

    /// The sum along each of `dims`, which are removed unless `keepDim`.
    public func sum(dims: [Int], keepDim: Bool = false) -> Tensor {
        let normalized = trapOnShapeError { () throws(ShapeError) in try array.reductionDimensions(dims, op: "sum") }
        return Tensor.record(array.sum(dims: normalized, keepDim: keepDim), .sum(dims: normalized, keepDim: keepDim), input: self)
    }

    /// The mean of all elements, as a 0-d tensor.
    public func mean() -> Tensor {
        checkMeanDType()
        let value = array.sumAll().map(.multiplyScalar(divisionFactor(for: Double(count))))
        return Tensor.record(value, .meanAll, input: self)
    }

    /// The mean along `dim`, which is removed unless `keepDim`.
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dims: [dim], keepDim: keepDim) }

    /// The mean along each of `dims`, which are removed unless `keepDim`.
    public func mean(dims: [Int], keepDim: Bool = false) -> Tensor {
        checkMeanDType()
        let normalized = trapOnShapeError { () throws(ShapeError) in try array.reductionDimensions(dims, op: "mean") }
        let size = normalized.reduce(1) { $0 * (rank == 0 ? 1 : shape[$1]) }
        let value = array.sum(dims: normalized, keepDim: keepDim).map(.multiplyScalar(divisionFactor(for: Double(size))))
        return Tensor.record(value, .mean(dims: normalized, keepDim: keepDim), input: self)
    }

    /// Stops with PyTorch's message when this tensor's dtype has no mean (integers, bool).
    private func checkMeanDType() {
        checkUsage(dtype.isFloatingPoint, "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: \(dtype.scalarTypeName)")
    }

    /// The largest element, as a 0-d tensor. Its gradient is shared evenly among ties.
    public func max() -> Tensor { extremeAll(largest: true) }

    /// The smallest element, as a 0-d tensor. Its gradient is shared evenly among ties.
    public func min() -> Tensor { extremeAll(largest: false) }

    /// The largest elements along `dim` and where they are (first on ties), like
    /// `torch.max(x, dim)`. Indices are int64.
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(dim: dim, keepDim: keepDim, largest: true)
    }

    /// The smallest elements along `dim` and where they are (first on ties), like
    /// `torch.min(x, dim)`. Indices are int64.
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(dim: dim, keepDim: keepDim, largest: false)
    }

    /// The index of the largest element along `dim`, as an int64 tensor.
    public func argmax(dim: Int, keepDim: Bool = false) -> Tensor { max(dim: dim, keepDim: keepDim).indices }

    private func extremeAll(largest: Bool) -> Tensor {
        let value = array.extremeAll(largest: largest)
        return Tensor.record(value, .extremeAll(largest: largest), input: self)
    }

    private func extreme(dim: Int, keepDim: Bool, largest: Bool) -> (values: Tensor, indices: Tensor) {
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: largest ? "max" : "min") }
        let (values, indices) = array.extreme(dim: d, keepDim: keepDim, largest: largest)
        let indexArray = NDArray(shape: values.shape, integers: indices.map(Int64.init), dtype: .int64)
        let result = Tensor.record(
            values, .extreme(dim: d, keepDim: keepDim, largest: largest), input: self,
            auxiliary: .array(indexArray))
        return (result, Tensor(indexArray))
    }

    /// Softmax along `dim`: `exp(x) / sum(exp(x))`, computed stably.
    public func softmax(dim: Int) -> Tensor {
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "softmax") }
        let value = array.softmax(dim: d, logarithm: false)
        return Tensor.record(value, .softmax(dim: d), input: self)
    }

    /// The logarithm of softmax along `dim`: `x - log(sum(exp(x)))`, computed stably.
    public func logSoftmax(dim: Int) -> Tensor {
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "log_softmax") }
        let value = array.softmax(dim: d, logarithm: true)
        return Tensor.record(value, .logSoftmax(dim: d), input: self)
    }
}
