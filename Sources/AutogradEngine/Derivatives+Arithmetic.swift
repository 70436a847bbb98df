import AutogradCore

/// The backward rules of the arithmetic ops every model runs on every step (add, subtract,
/// multiply, divide, their scalar forms and negation). They return a pair instead of an
/// array, so the engine passes their gradients on without allocating a list per node.
extension Node {
    /// The input gradients of an arithmetic op given `grad`, the gradient of its output
    /// (the second is nil for a one-input op), or nil when the op is not arithmetic.
    /// Unless `differentiable` (a pass that builds a graph) products and negations are
    /// computed on the arrays, without the checks and bookkeeping of recorded ops, and a
    /// product the only input that needs a gradient gets may be written over `grad` (see
    /// ``Tensor/isPassPrivate``).
    ///
    /// Throws ``AutogradError/savedValuesFreed(node:)`` for any node whose saved values a
    /// previous backward pass freed, arithmetic or not.
    func arithmeticGradients(_ grad: inout Tensor, differentiable: Bool) throws(AutogradError) -> (Tensor?, Tensor?)? {
        if savedValuesReleased { throw .savedValuesFreed(node: name) }
        switch op {
        case .add: return (grad, grad)
        // A subtrahend that needs no gradient gets none, so no negation is computed for it.
        case .subtract: return (grad, needs(1) ? negated(grad, differentiable: differentiable) : nil)
        case .multiply:
            let saved = UnpackedSavedValues(self)
            if !differentiable && needs(0) != needs(1) {
                let product = try product(overwriting: &grad, needs(0) ? saved.second() : saved.first())
                return needs(0) ? (product, nil) : (nil, product)
            }
            return try (needs(0) ? product(grad, saved.second(), differentiable: differentiable) : nil,
                        needs(1) ? product(grad, saved.first(), differentiable: differentiable) : nil)
        case .divide:
            let saved = UnpackedSavedValues(self)
            return try (needs(0) ? grad / saved.second() : nil,
                        needs(1) ? -grad * saved.first() / (saved.second() * saved.second()) : nil)
        case .addScalar, .subtractScalar: return (grad, nil)
        case .reverseSubtractScalar, .negate: return (negated(grad, differentiable: differentiable), nil)
        case .multiplyScalar(let s): return (grad * s, nil)
        case .divideScalar(let s): return (grad / s, nil)
        default: return nil
        }
    }

    /// `grad · factor`, recorded only when `differentiable`; otherwise a new pass-private
    /// tensor (see ``Tensor/isPassPrivate``).
    private func product(_ grad: Tensor, _ factor: Tensor, differentiable: Bool) -> Tensor {
        if differentiable { return grad * factor }
        let result = Tensor(elementwise(.multiply, grad.array, factor.array))
        result.isPassPrivate = true
        return result
    }

    /// `grad · factor` on the arrays, for a pass that records nothing. When the pass alone
    /// holds `grad` (pass-private and referenced only here) and the product has its shape
    /// and dtype, the product is written over `grad`'s values and `grad` is returned;
    /// otherwise it is a new one.
    private func product(overwriting grad: inout Tensor, _ factor: Tensor) -> Tensor {
        if grad.isPassPrivate, isKnownUniquelyReferenced(&grad), Node.multiply(grad, inPlaceBy: factor) {
            return grad
        }
        return product(grad, factor, differentiable: false)
    }

    /// `target.array.multiplyInPlace(by: factor.array)`, with both tensors borrowed (read
    /// through the caller's `inout`, `target`'s array would be copied: three retains and
    /// releases per product).
    private static func multiply(_ target: Tensor, inPlaceBy factor: Tensor) -> Bool {
        target.array.multiplyInPlace(by: factor.array)
    }

    /// `-grad`, recorded only when `differentiable`.
    private func negated(_ grad: Tensor, differentiable: Bool) -> Tensor {
        differentiable ? -grad : Tensor(grad.array.map(.negate))
    }

    /// Whether input `i` needs a gradient.
    func needs(_ i: Int) -> Bool { edges.carriesGradient(at: i) }
}
