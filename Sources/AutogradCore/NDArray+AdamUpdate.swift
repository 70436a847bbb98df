import CAutogradKernels

/// The scalars of one Adam or AdamW update of a parameter (see
/// ``NDArray/adamUpdateInPlace(gradient:firstMoment:secondMoment:_:)``), each already rounded
/// to float32 as the elementwise ops of the unfused update round them.
public struct AdamCoefficients: Sendable {
    /// The factor the parameter is scaled by first (AdamW's `1 - lr·weight_decay`; 1 for none).
    public var parameterScale: Float
    /// Adam's (coupled) weight decay, added to the gradient as `parameter·gradientDecay` (0 for none).
    public var gradientDecay: Float
    /// `1 - beta1`, the weight of the gradient in the first moment.
    public var firstMomentWeight: Float
    /// `beta2`, the factor the second moment is scaled by.
    public var beta2: Float
    /// `1 - beta2`, the weight of the squared gradient in the second moment.
    public var secondMomentWeight: Float
    /// `1 / √(bias correction 2)`, rounded as a float32 division by a scalar is (the reciprocal
    /// of the float32 divisor).
    public var denominatorScale: Float
    /// eps, added to the scaled square root of the second moment.
    public var eps: Float
    /// `-lr / (bias correction 1)`, the factor of `firstMoment / denominator` added to the parameter.
    public var stepScale: Float

    /// The coefficients from their values.
    public init(parameterScale: Float, gradientDecay: Float, firstMomentWeight: Float, beta2: Float,
                secondMomentWeight: Float, denominatorScale: Float, eps: Float, stepScale: Float) {
        self.parameterScale = parameterScale
        self.gradientDecay = gradientDecay
        self.firstMomentWeight = firstMomentWeight
        self.beta2 = beta2
        self.secondMomentWeight = secondMomentWeight
        self.denominatorScale = denominatorScale
        self.eps = eps
        self.stepScale = stepScale
    }
}

extension NDArray {
    /// One Adam update of this float32 parameter and its two moments, in place and in one
    /// pass over the elements (the C kernel, eight lanes at a time with AVX2; split over the
    /// kernel threads for large parameters):
    ///
    ///     p = p·parameterScale;  g = g + p·gradientDecay        (when gradientDecay ≠ 0)
    ///     m = m + firstMomentWeight·(g - m)
    ///     v = v·beta2;  v = v + secondMomentWeight·(g·g)
    ///     p = p + stepScale·(m / (√v·denominatorScale + eps))
    ///
    /// each step rounded to float32 as the separate elementwise ops (`mul_`, `lerp_`, `mul_`,
    /// `addcmul_`, `sqrt`, `div`, `add`, `addcdiv_`) round it, so the result is the same bits.
    /// Returns false, changing nothing, unless all four arrays are float32, contiguous and of
    /// one shape, and the gradient and moments each have a storage of their own.
    public func adamUpdateInPlace(
        gradient: NDArray, firstMoment: NDArray, secondMoment: NDArray, _ c: AdamCoefficients
    ) -> Bool {
        guard Self.canUpdateTogether([self, gradient, firstMoment, secondMoment]) else { return false }
        let (p, g, m, v) = (pointer, gradient.pointer, firstMoment.pointer, secondMoment.pointer)
        forEachChunk(count) { start, length in
            ag_adam_update(Int64(length), p + start, g + start, m + start, v + start, c.parameterScale, c.gradientDecay,
                           c.firstMomentWeight, c.beta2, c.secondMomentWeight, c.denominatorScale, c.eps, c.stepScale)
        }
        return true
    }
}
