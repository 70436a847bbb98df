import CAutogradKernels

/// The scalars of one SGD step with momentum (see
/// ``NDArray/sgdMomentumUpdateInPlace(gradient:momentumBuffer:_:)``), each rounded to float32
/// as the elementwise ops of the unfused step round them.
public struct SGDMomentumCoefficients: Sendable {
    /// The weight decay, added to the gradient as `parameter·gradientDecay` (0 for none).
    public var gradientDecay: Float
    /// The factor the momentum buffer is scaled by.
    public var momentum: Float
    /// `1 - dampening`, the weight of the gradient added to the buffer.
    public var gradientWeight: Float
    /// `-lr`, the factor of the step direction added to the parameter.
    public var stepScale: Float
    /// Whether the direction is Nesterov's `gradient + buffer·momentum` (else the buffer).
    public var nesterov: Bool

    /// The coefficients from their values.
    public init(gradientDecay: Float, momentum: Float, gradientWeight: Float, stepScale: Float, nesterov: Bool) {
        self.gradientDecay = gradientDecay
        self.momentum = momentum
        self.gradientWeight = gradientWeight
        self.stepScale = stepScale
        self.nesterov = nesterov
    }
}

extension NDArray {
    /// One SGD step with momentum of this float32 parameter and its momentum buffer, in place
    /// and in one pass over the elements (the C kernel, eight lanes at a time with AVX2;
    /// split over the kernel threads for large parameters):
    ///
    ///     g = g + p·gradientDecay                        (when gradientDecay ≠ 0)
    ///     b = b·momentum;  b = b + gradientWeight·g
    ///     p = p + stepScale·(nesterov ? g + b·momentum : b)
    ///
    /// each step rounded to float32 as the separate elementwise ops (`add`, `mul_`, `add_`)
    /// round it, so the result is the same bits. Returns false, changing nothing, unless all
    /// three arrays are float32, contiguous and of one shape, each with a storage of its own.
    public func sgdMomentumUpdateInPlace(
        gradient: NDArray, momentumBuffer: NDArray, _ c: SGDMomentumCoefficients
    ) -> Bool {
        guard Self.canUpdateTogether([self, gradient, momentumBuffer]) else { return false }
        let (p, g, b) = (pointer, gradient.pointer, momentumBuffer.pointer)
        forEachChunk(count) { start, length in
            ag_sgd_momentum_update(Int64(length), p + start, g + start, b + start, c.gradientDecay, c.momentum,
                                   c.gradientWeight, c.stepScale, c.nesterov)
        }
        return true
    }
}
