import AutogradCore

extension Tensor {
    /// Applies an elementwise function and records it (saving what the op declares).
    private func unary(_ kernel: UnaryOp, _ op: Op) -> Tensor {
        Tensor.record(array.map(kernel), op, input: self)
    }

    /// e raised to each element.
    public func exp() -> Tensor { unary(.exp, .exp) }
    /// The natural logarithm of each element.
    public func log() -> Tensor { unary(.log, .log) }
    /// The square root of each element.
    public func sqrt() -> Tensor { unary(.sqrt, .sqrt) }
    /// The absolute value of each element.
    public func abs() -> Tensor { unary(.abs, .abs) }
    /// The sine of each element (radians).
    public func sin() -> Tensor { unary(.sin, .sin) }
    /// The cosine of each element (radians).
    public func cos() -> Tensor { unary(.cos, .cos) }
    /// The hyperbolic tangent of each element.
    public func tanh() -> Tensor { unary(.tanh, .tanh) }
    /// The logistic function 1 / (1 + e^-x) of each element.
    public func sigmoid() -> Tensor { unary(.sigmoid, .sigmoid) }
    /// max(x, 0) for each element.
    public func relu() -> Tensor { unary(.relu, .relu) }
    /// 1 / x for each element.
    public func reciprocal() -> Tensor { unary(.reciprocal, .reciprocal) }
    /// The error function of each element, like `torch.erf`: erf(x) = 2/√π ∫₀ˣ e^(-t²) dt.
    public func erf() -> Tensor { unary(.erf, .erf) }

    /// Each element limited to `[min, max]`; either bound may be omitted.
    public func clamp(min: Double? = nil, max: Double? = nil) -> Tensor {
        checkUsage(min != nil || max != nil, "clamp: at least one of 'min' or 'max' must not be None")
        return unary(.clamp(min: min, max: max), .clamp(min: min, max: max))
    }
}
