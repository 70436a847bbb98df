import AutogradCore

extension Tensor {
    /// Applies an elementwise function, saving the input or the result for backward.
    private func unary(_ kernel: UnaryOp, _ op: Op, savesInput: Bool = false, savesResult: Bool = false) -> Tensor {
        let value = array.map(kernel)
        return Tensor.record(value, op, input: self,
                             saved: SavedValues(first: savesInput ? self : nil, result: savesResult ? value : nil))
    }

    /// e raised to each element.
    public func exp() -> Tensor { unary(.exp, .exp, savesResult: true) }
    /// The natural logarithm of each element.
    public func log() -> Tensor { unary(.log, .log, savesInput: true) }
    /// The square root of each element.
    public func sqrt() -> Tensor { unary(.sqrt, .sqrt, savesResult: true) }
    /// The absolute value of each element.
    public func abs() -> Tensor { unary(.abs, .abs, savesInput: true) }
    /// The sine of each element (radians).
    public func sin() -> Tensor { unary(.sin, .sin, savesInput: true) }
    /// The cosine of each element (radians).
    public func cos() -> Tensor { unary(.cos, .cos, savesInput: true) }
    /// The hyperbolic tangent of each element.
    public func tanh() -> Tensor { unary(.tanh, .tanh, savesResult: true) }
    /// The logistic function 1 / (1 + e^-x) of each element.
    public func sigmoid() -> Tensor { unary(.sigmoid, .sigmoid, savesResult: true) }
    /// max(x, 0) for each element.
    public func relu() -> Tensor { unary(.relu, .relu, savesResult: true) }
    /// 1 / x for each element.
    public func reciprocal() -> Tensor { unary(.reciprocal, .reciprocal, savesResult: true) }
    /// The error function of each element, like `torch.erf`: erf(x) = 2/√π ∫₀ˣ e^(-t²) dt.
    public func erf() -> Tensor { unary(.erf, .erf, savesInput: true) }

    /// Each element limited to `[min, max]`; either bound may be omitted.
    public func clamp(min: Double? = nil, max: Double? = nil) -> Tensor {
        checkUsage(min != nil || max != nil, "clamp: at least one of 'min' or 'max' must not be None")
        return unary(.clamp(min: min, max: max), .clamp(min: min, max: max), savesInput: true)
    }
}
