import AutogradCore

/// Elementwise math beyond the basics of Tensor+Math.swift, each with PyTorch's backward:
/// `log1p expm1 rsqrt tan silu softplus square sign floor ceil round trunc sinh cosh asin
/// acos atan remainder fmod lerp nanToNum` and `clamp` with tensor bounds. Integer tensors
/// give float32 for the transcendental functions and keep their dtype for the rounding
/// functions, as in PyTorch.
extension Tensor {
    /// Applies an elementwise kernel and records `op`.
    private func function(_ kernel: UnaryOp, _ op: Op) -> Tensor {
        Tensor.record(array.map(kernel), op, input: self)
    }

    /// Stops with PyTorch's message unless this tensor is floating point.
    private func requireFloatingPoint(_ op: String) {
        if !dtype.isFloatingPoint { trapOnShapeError { () throws(ShapeError) in throw .unsupportedDType(op: op, dtype) } }
    }

    /// ln(1 + x) for each element, accurate for small x, like `torch.log1p`.
    public func log1p() -> Tensor { function(.log1p, .log1p) }
    /// eˣ - 1 for each element, accurate for small x, like `torch.expm1`.
    public func expm1() -> Tensor { function(.expm1, .expm1) }
    /// 1 / √x for each element, like `torch.rsqrt`.
    public func rsqrt() -> Tensor { function(.rsqrt, .rsqrt) }
    /// The tangent of each element (radians).
    public func tan() -> Tensor { function(.tan, .tan) }
    /// The hyperbolic sine of each element.
    public func sinh() -> Tensor { function(.sinh, .sinh) }
    /// The hyperbolic cosine of each element.
    public func cosh() -> Tensor { function(.cosh, .cosh) }
    /// The inverse sine of each element (NaN outside [-1, 1]).
    public func asin() -> Tensor { function(.asin, .asin) }
    /// The inverse cosine of each element (NaN outside [-1, 1]).
    public func acos() -> Tensor { function(.acos, .acos) }
    /// The inverse tangent of each element.
    public func atan() -> Tensor { function(.atan, .atan) }

    /// x · sigmoid(x) for each element (SiLU, swish), like `torch.nn.functional.silu`.
    public func silu() -> Tensor {
        requireFloatingPoint("silu")
        return function(.silu, .silu)
    }

    /// ln(1 + e^(βx)) / β for each element, and x itself where βx > `threshold`, like
    /// `torch.nn.functional.softplus`.
    public func softplus(beta: Double = 1, threshold: Double = 20) -> Tensor {
        requireFloatingPoint("softplus")
        return function(.softplus(beta: beta, threshold: threshold), .softplus(beta: beta, threshold: threshold))
    }

    /// Each element squared, like `torch.square` (recorded as `x ** 2`, PowBackward0;
    /// integers stay integers, bool gives int64).
    public func square() -> Tensor { self ** 2 }

    /// -1, 0 or 1 by the sign of each element (its gradient is zero), like `torch.sign`;
    /// integer and bool tensors keep their dtype.
    public func sign() -> Tensor {
        if dtype == .bool { return Tensor(array.copy()) }
        return function(.sign, .sign)
    }

    /// Each element rounded down (integers are unchanged), like `torch.floor`.
    public func floor() -> Tensor { rounding(.floor, .floor, "floor") }
    /// Each element rounded up (integers are unchanged), like `torch.ceil`.
    public func ceil() -> Tensor { rounding(.ceil, .ceil, "ceil") }
    /// Each element rounded to the nearest integer, halves to even, like `torch.round`.
    public func round() -> Tensor { rounding(.round, .round, "round") }
    /// Each element rounded toward zero (integers are unchanged), like `torch.trunc`.
    public func trunc() -> Tensor { rounding(.trunc, .trunc, "trunc") }

    private func rounding(_ kernel: UnaryOp, _ op: Op, _ name: String) -> Tensor {
        if dtype == .bool { trapOnShapeError { () throws(ShapeError) in throw .unsupportedDType(op: name, dtype) } }
        return function(kernel, op)
    }

    /// The remainder of dividing each element by `divisor`, with the sign of `divisor`
    /// (Python's `%`), like `torch.remainder`. An integer tensor gives float32.
    public func remainder<S: BinaryFloatingPoint>(_ divisor: S) -> Tensor {
        let s = Double(divisor)
        return function(.remainder(s), .remainderScalar(s))
    }

    /// The remainder of dividing each element by an integer, with the divisor's sign; an
    /// integer tensor keeps its dtype.
    public func remainder(_ divisor: Int) -> Tensor {
        integerDivisorOp(.remainder, divisor) ?? remainder(Double(divisor))
    }

    /// The remainder of dividing each element by the matching element of `divisor`,
    /// broadcasting, with the divisor's sign (`RemainderBackward1`).
    public func remainder(_ divisor: Tensor) -> Tensor { binary(.remainder, .remainder, divisor, name: "remainder") }

    /// The remainder of dividing each element by `divisor`, with the sign of the element
    /// (C's `fmod`), like `torch.fmod`. An integer tensor gives float32.
    public func fmod<S: BinaryFloatingPoint>(_ divisor: S) -> Tensor {
        let s = Double(divisor)
        return function(.fmod(s), .fmodScalar(s))
    }

    /// The remainder of dividing each element by an integer, with the element's sign; an
    /// integer tensor keeps its dtype.
    public func fmod(_ divisor: Int) -> Tensor {
        integerDivisorOp(.fmod, divisor) ?? fmod(Double(divisor))
    }

    /// The remainder of dividing each element by the matching element of `divisor`,
    /// broadcasting, with the element's sign (`FmodBackward1`).
    public func fmod(_ divisor: Tensor) -> Tensor { binary(.fmod, .fmod, divisor, name: "fmod") }

    /// `op` of an integer or bool tensor with an integer divisor, in integers; nil for
    /// floating tensors.
    private func integerDivisorOp(_ op: BinaryOp, _ divisor: Int) -> Tensor? {
        guard !dtype.isFloatingPoint else { return nil }
        let resultType = DType.resultType([array.promotionOperand, .scalar(.integer)])
        let other = NDArray(shape: [], integers: [Int64(divisor)], dtype: .int64)
        return Tensor(NDArray.zipAnyDType(op, array, other, shape: shape, resultType: resultType))
    }

    /// `self + weight · (end - self)`, broadcasting, like `torch.lerp` with a number
    /// weight. Both tensors must be floating point of one dtype.
    public func lerp(_ end: Tensor, weight: Double) -> Tensor {
        let value = trapOnShapeError { () throws(ShapeError) in
            guard dtype.isFloatingPoint else { throw .unsupportedDType(op: "lerp", dtype) }
            guard end.dtype == dtype else { throw .expectedDType(op: "lerp", argument: "end", expected: dtype, got: end.dtype) }
            return try NDArray.zip(.lerp(weight: weight), array, end.array, name: "lerp")
        }
        return Tensor.record(value, .lerp(weight: weight), self, end)
    }

    /// Each element limited to `[min, max]`, taken elementwise from tensors that broadcast
    /// with this one; either bound may be omitted (`ClampBackward0`). Where the lower bound
    /// exceeds the upper one, the result is the upper bound, as in PyTorch.
    public func clamp(min: Tensor? = nil, max: Tensor? = nil) -> Tensor {
        checkUsage(min != nil || max != nil, "clamp: at least one of 'min' or 'max' must not be None")
        let (value, code) = trapOnShapeError { () throws(ShapeError) in try clampedByTensors(min: min, max: max) }
        let inputs = [self] + [min, max].compactMap { $0 }
        return Tensor.record(value, .clampTensors(hasMin: min != nil, hasMax: max != nil), inputs: inputs,
                             auxiliary: .array(code))
    }

    /// The clamped values and, for each element, where its gradient goes
    /// (``clampGradientRoute(_:low:high:)``).
    private func clampedByTensors(min: Tensor?, max: Tensor?) throws(ShapeError) -> (NDArray, NDArray) {
        var shape = self.shape
        var operands = [array.promotionOperand]
        for bound in [min, max].compactMap({ $0 }) {
            shape = try broadcastShapes(shape, bound.shape, op: "clamp")
            operands.append(bound.array.promotionOperand)
        }
        let resultType = DType.resultType(operands)
        var value = array.converted(to: resultType)
        if let min { value = try NDArray.zip(.maximum, value, min.array.converted(to: resultType), name: "clamp") }
        if let max { value = try NDArray.zip(.minimum, value, max.array.converted(to: resultType), name: "clamp") }
        if value.shape != shape { value = try value.expanded(shape).contiguous() }
        let x = try array.expanded(shape).doubles
        let low = try min.map { (t: Tensor) throws(ShapeError) in try t.array.expanded(shape).doubles }
        let high = try max.map { (t: Tensor) throws(ShapeError) in try t.array.expanded(shape).doubles }
        var code = [Int64](repeating: 0, count: x.count)
        for i in 0..<x.count {
            code[i] = Tensor.clampGradientRoute(x[i], low: low?[i], high: high?[i])
        }
        return (value, NDArray(shape: shape, integers: code, dtype: .uint8))
    }

    /// Where the gradient of one element of `clamp(min:max:)` with tensor bounds goes, as
    /// PyTorch 2.15 sends it: 0 to the input, 1 to the lower bound, 2 to the upper bound,
    /// 4 half to the input and half to the lower bound (a tie), 5 half to the input and
    /// half to the upper bound. A lower bound above the upper one sends everything to the
    /// upper bound; NaN anywhere sends it to the input.
    static func clampGradientRoute(_ x: Double, low: Double?, high: Double?) -> Int64 {
        if x.isNaN || low?.isNaN == true || high?.isNaN == true { return 0 }
        switch (low, high) {
        case let (lo?, hi?):
            if lo > hi { return 2 }
            if lo == hi { return x == lo ? 0 : (x < lo ? 1 : 2) }
            if x == lo { return 4 }
            if x == hi { return 5 }
            return x < lo ? 1 : (x > hi ? 2 : 0)
        case let (lo?, nil): return x == lo ? 4 : (x < lo ? 1 : 0)
        case let (nil, hi?): return x == hi ? 5 : (x > hi ? 2 : 0)
        case (nil, nil): return 0
        }
    }

    /// A copy with NaN replaced by `nan`, +∞ by `posinf` and -∞ by `neginf` (by default the
    /// dtype's largest and smallest finite values), like `torch.nan_to_num`. Integer and
    /// bool tensors are copied unchanged.
    public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
        guard dtype.isFloatingPoint else { return Tensor(array.copy()) }
        let largest: Double
        switch dtype {
        case .float64: largest = Double.greatestFiniteMagnitude
        case .float16: largest = 65504
        case .bfloat16: largest = 3.3895313892515355e38
        default: largest = Double(Float.greatestFiniteMagnitude)
        }
        let kernel = UnaryOp.nanToNum(nan: nan, positiveInfinity: posinf ?? largest, negativeInfinity: neginf ?? -largest)
        return function(kernel, .nanToNum)
    }
}
