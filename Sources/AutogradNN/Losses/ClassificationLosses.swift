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
///   - weight: A weight per class (`[C]`), or nil. With class indices the mean divides by
///     the total weight of the targets, as PyTorch does; with probabilities, by the number
///     of samples.
///   - ignoreIndex: Class indices equal to this contribute nothing, and the mean is over
///     the others (PyTorch's default, -100, is never a class). Only for class indices.
///   - labelSmoothing: ε in `[0, 1]`: the target becomes `(1 - ε)·target + ε/C`.
/// ```swift
/// let loss = crossEntropy(logits, Tensor([3, 0, 7]))   // logits: [3, 10]
/// let padded = crossEntropy(logits.reshape([-1, vocab]), targets.reshape([-1]), ignoreIndex: -1)
/// ```
public func crossEntropy(
    _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
    reduction: Reduction = .mean, labelSmoothing: Float = 0
) -> Tensor {
    checkUsage(labelSmoothing >= 0 && labelSmoothing <= 1, "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)")
    checkUsage(input.rank >= 1, "cross_entropy: expected an input with a class dimension, got a 0-d tensor")
    let classDim = input.rank == 1 ? 0 : 1
    let classes = input.shape[classDim]
    checkClassWeight(weight, classes: classes)
    let logProbabilities = input.logSoftmax(dim: classDim)
    var classShape = [Int](repeating: 1, count: input.rank)
    classShape[classDim] = classes
    let weighted = weight.map { logProbabilities * $0.reshape(classShape) } ?? logProbabilities
    if target.dtype.isFloatingPoint {
        checkUsage(ignoreIndex < 0, "ignore_index is not supported for floating point target")
        checkUsage(target.shape == input.shape,
                   "cross_entropy: class probabilities must have the input's shape \(input.shape), got \(target.shape); class indices must be an integer tensor (expected scalar type Long but found \(target.dtype.scalarTypeName))")
        let smoothed = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / Float(classes) : target
        return reduction.apply(-(weighted * smoothed).sum(dim: classDim))
    }
    let targets = ClassTargets(target, input: logProbabilities, classDim: classDim, ignoreIndex: ignoreIndex, op: "cross_entropy")
    var losses = targets.negativeLogLikelihood(logProbabilities, weight: weight)
    if labelSmoothing > 0 {
        var uniform = -weighted.sum(dim: classDim) / Float(classes)
        if targets.hasIgnored { uniform = uniform.maskedFill(targets.ignoredMask, 0) }
        losses = losses * (1 - labelSmoothing) + uniform * labelSmoothing
    }
    return targets.reduce(losses, reduction: reduction, weight: weight)
}

/// The negative log-likelihood of classes given log-probabilities, like
/// `torch.nn.functional.nll_loss`: `-weight[target[n]]·input[n, target[n]]`, reduced.
///
/// - Parameters:
///   - input: Log-probabilities `[N, C]`, `[N, C, d1, ...]` or `[C]`.
///   - target: Class indices (an integer tensor), `[N]`, `[N, d1, ...]` or `[]`.
///   - weight: A weight per class (`[C]`), or nil; the mean divides by the total weight of
///     the targets.
///   - ignoreIndex: Targets equal to this contribute nothing and are left out of the mean.
public func nllLoss(
    _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean
) -> Tensor {
    checkUsage(input.rank >= 1, "nll_loss: expected an input with a class dimension, got a 0-d tensor")
    let classDim = input.rank == 1 ? 0 : 1
    checkClassWeight(weight, classes: input.shape[classDim])
    let targets = ClassTargets(target, input: input, classDim: classDim, ignoreIndex: ignoreIndex, op: "nll_loss")
    return targets.reduce(targets.negativeLogLikelihood(input, weight: weight), reduction: reduction, weight: weight)
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
/// ``crossEntropy(_:_:weight:ignoreIndex:reduction:labelSmoothing:)``.
/// ```swift
/// let criterion = CrossEntropyLoss(labelSmoothing: 0.1)
/// let loss = criterion(model(images), labels)
/// ```
public struct CrossEntropyLoss: Sendable {
    /// A weight per class, or nil.
    public var weight: Tensor?
    /// Class indices equal to this are left out.
    public var ignoreIndex: Int
    /// How the per-sample losses are combined.
    public var reduction: Reduction
    /// ε: how much of the target is spread evenly over the classes.
    public var labelSmoothing: Float
    /// A loss with the given class weights, ignored index, reduction and label smoothing.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Float = 0) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
    }
    /// `crossEntropy(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        crossEntropy(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, labelSmoothing: labelSmoothing)
    }
}

/// The negative log-likelihood as a loss object, like `torch.nn.NLLLoss`; see
/// ``nllLoss(_:_:weight:ignoreIndex:reduction:)``.
public struct NLLLoss: Sendable {
    /// A weight per class, or nil.
    public var weight: Tensor?
    /// Targets equal to this are left out.
    public var ignoreIndex: Int
    /// How the per-sample losses are combined.
    public var reduction: Reduction
    /// A loss with the given class weights, ignored index and reduction (the mean by default).
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
    }
    /// `nllLoss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }
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
