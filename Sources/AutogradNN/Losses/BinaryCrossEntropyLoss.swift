import AutogradCore
import AutogradEngine
import Foundation

/// Binary cross-entropy on probabilities, like `torch.nn.functional.binary_cross_entropy`:
/// `-weight·(y·log x + (1 - y)·log(1 - x))` per element, reduced.
///
/// As in PyTorch each logarithm is clamped at -100, so an input of exactly 0 or 1 gives a
/// finite loss, and the gradient `weight·(x - y) / max(x·(1 - x), 1e-12)` stays finite too.
/// For logits, ``binaryCrossEntropyWithLogits(_:_:reduction:posWeight:)`` is more stable.
/// - Parameters:
///   - input: Probabilities in `[0, 1]`.
///   - target: Targets in `[0, 1]`, of the same shape; the target may require grad.
///   - weight: A weight per element, broadcast against the input, or nil.
public func bceLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    checkUsage(input.shape == target.shape,
               "Using a target size (\(target.shape)) that is different to the input size (\(input.shape)) is deprecated. Please ensure they have the same size.")
    checkUsage(input.dtype.isFloatingPoint && target.dtype.isFloatingPoint,
               "binary_cross_entropy: expected floating-point input and target, got \(input.dtype.scalarTypeName) and \(target.dtype.scalarTypeName)")
    checkUsage(input.asArray(Double.self).allSatisfy { $0 >= 0 && $0 <= 1 }, "all elements of input should be between 0 and 1")
    let losses = FunctionKernels.BinaryCrossEntropy.apply(input, target)
    return reduction.apply(weight.map { losses * $0 } ?? losses)
}

extension FunctionKernels {
    /// The elementwise binary cross-entropy: exact clamped logarithms in forward, PyTorch's
    /// clamped gradients (for the input and the target) in backward.
    enum BinaryCrossEntropy: CustomFunction {
        static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            let (x, y) = (inputs[0], inputs[1])
            context.saveForBackward(x, y)
            let values = zip(x.asArray(Double.self), y.asArray(Double.self)).map { p, t in
                -(t * Swift.max(Foundation.log(p), -100) + (1 - t) * Swift.max(Foundation.log(1 - p), -100))
            }
            return Tensor(NDArray(shape: x.shape, doubles: values, dtype: DType.promoted(x.dtype, y.dtype)))
        }

        static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
            let (x, y) = (context.savedTensors[0], context.savedTensors[1])
            let inputGradient = gradient * (x - y) / (x * (1 - x)).clamp(min: 1e-12)
            guard y.requiresGrad else { return [inputGradient, nil] }
            let targetGradient = gradient * ((1 - x).log().clamp(min: -100) - x.log().clamp(min: -100))
            return [inputGradient, targetGradient]
        }
    }
}

/// Binary cross-entropy on probabilities as a loss object, like `torch.nn.BCELoss`; see
/// ``bceLoss(_:_:weight:reduction:)``.
public struct BCELoss {
    /// A weight per element (broadcast), or nil.
    public var weight: Tensor?
    /// How the per-element losses are combined.
    public var reduction: Reduction
    /// A loss with the given weight and reduction.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.reduction = reduction
    }
    /// `bceLoss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        bceLoss(input, target, weight: weight, reduction: reduction)
    }
}
