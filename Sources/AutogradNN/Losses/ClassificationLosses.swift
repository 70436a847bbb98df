import AutogradCore
import AutogradEngine

/// The cross-entropy between logits and classes, like
/// `torch.nn.functional.cross_entropy`: `-log softmax(input)[target]`, computed from
/// `logSoftmax` (log-sum-exp with the maximum subtracted), so large logits do not overflow.
///
/// - Parameters:
///   - input: Logits `[N, C]`, `[N, C, d1, ...]`, or `[C]` for one sample.
///   - target: Class indices (an integer tensor, int64 as PyTorch has them) of shape
///     `[N]`, `[N, d1, ...]` or `[]`; or class probabilities (a floating tensor) of the
///     same shape as `input`.
///   - labelSmoothing: ε in `[0, 1]`: the target becomes `(1 - ε)·target + ε/C`.
/// ```swift
/// let loss = crossEntropy(logits, Tensor([3, 0, 7]))   // logits: [3, 10]
/// ```
public func crossEntropy(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, labelSmoothing: Float = 0) -> Tensor {
    checkUsage(labelSmoothing >= 0 && labelSmoothing <= 1, "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)")
    let classDim = input.rank == 1 ? 0 : 1
    let logProbabilities = input.logSoftmax(dim: classDim)
    let classes = input.shape[classDim]
    if target.dtype.isFloatingPoint {
        checkUsage(target.shape == input.shape,
                   "cross_entropy: class probabilities must have the input's shape \(input.shape), got \(target.shape); class indices must be an integer tensor (expected scalar type Long but found \(target.dtype.scalarTypeName))")
        let smoothed = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / Float(classes) : target
        return reduction.apply(-(logProbabilities * smoothed).sum(dim: classDim))
    }
    let negativeLogLikelihood = nllLoss(logProbabilities, target, reduction: .none, op: "cross_entropy")
    guard labelSmoothing > 0 else { return reduction.apply(negativeLogLikelihood) }
    let uniform = -logProbabilities.sum(dim: classDim) / Float(classes)
    return reduction.apply(negativeLogLikelihood * (1 - labelSmoothing) + uniform * labelSmoothing)
}

/// The negative log-likelihood of classes given log-probabilities, like
/// `torch.nn.functional.nll_loss`: `-input[n, target[n]]`, reduced.
///
/// - Parameters:
///   - input: Log-probabilities `[N, C]`, `[N, C, d1, ...]` or `[C]`.
///   - target: Class indices (an integer tensor), `[N]`, `[N, d1, ...]` or `[]`.
public func nllLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    nllLoss(input, target, reduction: reduction, op: "nll_loss")
}

/// ``nllLoss(_:_:reduction:)`` naming `op` in its errors: gathers `-input` at each target's
/// class (so the gradient is scattered back to those entries only).
private func nllLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction, op: String) -> Tensor {
    let classDim = input.rank == 1 ? 0 : 1
    var expected = input.shape
    expected.remove(at: classDim)
    checkUsage(input.rank >= 1 && target.shape == expected,
                 "\(op): expected target of shape \(expected) for input of shape \(input.shape), got \(target.shape)")
    let positions = flatPositions(of: target, classes: input.shape[classDim], classDim: classDim, op: op)
    return reduction.apply(-input.reshape([-1]).indexSelect(dim: 0, indices: positions).reshape(target.shape))
}

/// Where each target's class sits in the row-major input: for a target at sample `n` and
/// position `p` (of `P` positions after the class dimension), `(n·C + class)·P + p`.
private func flatPositions(of target: Tensor, classes: Int, classDim: Int, op: String) -> [Int] {
    checkUsage(!target.dtype.isFloatingPoint && target.dtype != .bool,
               "\(op): expected scalar type Long but found \(target.dtype.scalarTypeName) (class indices are an integer tensor)")
    let labels = target.asArray(Int.self)
    let batch = classDim == 0 ? 1 : target.shape[0]
    let positions = labels.count / Swift.max(batch, 1)
    return labels.enumerated().map { i, label in
        checkUsage(label >= 0 && label < classes, "\(op): target \(label) is out of bounds for \(classes) classes")
        let (sample, position) = (i / positions, i % positions)
        return (sample * classes + label) * positions + position
    }
}

/// Binary cross-entropy on logits, like `torch.nn.functional.binary_cross_entropy_with_logits`:
/// `-(posWeight·y·log σ(x) + (1 - y)·log(1 - σ(x)))`, reduced.
///
/// The log-sigmoids come from a two-way `logSoftmax` of `[x, 0]`, which is stable for
/// logits of any size and has the exact gradient `σ(x) - y` everywhere.
/// - Parameters:
///   - input: Logits.
///   - target: Probabilities in `[0, 1]`, of the same shape.
///   - posWeight: A weight for the positive term, broadcast against the input (for example
///     one per class), or nil.
public func binaryCrossEntropyWithLogits(
    _ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, posWeight: Tensor? = nil
) -> Tensor {
    checkSameShape("binary_cross_entropy_with_logits", input, target)
    let logSigmoids = stack([input, Tensor.zeros(input.shape)], dim: -1).logSoftmax(dim: -1)
    let logSigmoid = logSigmoids.select(dim: -1, index: 0)         // log σ(x)
    let logOneMinusSigmoid = logSigmoids.select(dim: -1, index: 1)  // log(1 - σ(x)) = log σ(-x)
    let positive = posWeight.map { target * $0 } ?? target
    return reduction.apply(-(positive * logSigmoid + (1 - target) * logOneMinusSigmoid))
}

/// Cross-entropy as a loss object, like `torch.nn.CrossEntropyLoss`; see
/// ``crossEntropy(_:_:reduction:labelSmoothing:)``.
/// ```swift
/// let criterion = CrossEntropyLoss(labelSmoothing: 0.1)
/// let loss = criterion(model(images), labels)
/// ```
public struct CrossEntropyLoss: Sendable {
    /// How the per-sample losses are combined.
    public var reduction: Reduction
    /// ε: how much of the target is spread evenly over the classes.
    public var labelSmoothing: Float
    /// A loss with the given reduction and label smoothing.
    public init(reduction: Reduction = .mean, labelSmoothing: Float = 0) {
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
    }
    /// `crossEntropy(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        crossEntropy(input, target, reduction: reduction, labelSmoothing: labelSmoothing)
    }
}

/// The negative log-likelihood as a loss object, like `torch.nn.NLLLoss`; see
/// ``nllLoss(_:_:reduction:)``.
public struct NLLLoss: Sendable {
    /// How the per-sample losses are combined.
    public var reduction: Reduction
    /// A loss with the given reduction (the mean by default).
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// `nllLoss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { nllLoss(input, target, reduction: reduction) }
}

/// Binary cross-entropy on logits as a loss object, like `torch.nn.BCEWithLogitsLoss`; see
/// ``binaryCrossEntropyWithLogits(_:_:reduction:posWeight:)``.
public struct BCEWithLogitsLoss {
    /// How the per-element losses are combined.
    public var reduction: Reduction
    /// The weight of the positive term, or nil.
    public var posWeight: Tensor?
    /// A loss with the given reduction and positive weight.
    public init(reduction: Reduction = .mean, posWeight: Tensor? = nil) {
        self.reduction = reduction
        self.posWeight = posWeight
    }
    /// `binaryCrossEntropyWithLogits(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        binaryCrossEntropyWithLogits(input, target, reduction: reduction, posWeight: posWeight)
    }
}
