import AutogradCore
import AutogradEngine

/// Class-index targets checked against an input of `classes` classes, with the positions
/// they pick and which of them are ignored (`ignoreIndex`): what `nll_loss` and
/// `cross_entropy` share.
struct ClassTargets {
    /// The target's shape (the input's without the class dimension).
    let shape: [Int]
    /// The class index of each target, row-major; ignored targets hold `ignoreIndex`.
    let labels: [Int]
    /// Whether each target is ignored.
    let ignored: [Bool]
    /// Where each target's class sits in the row-major input (ignored ones: the input's
    /// element count, one past the end).
    let positions: [Int]
    /// The number of classes.
    let classes: Int

    /// Checks `target` (an integer tensor) against `input`'s shape and class count, naming
    /// `op` in errors.
    init(_ target: Tensor, input: Tensor, classDim: Int, ignoreIndex: Int, op: String) {
        var expected = input.shape
        expected.remove(at: classDim)
        checkUsage(target.shape == expected,
                   "\(op): expected target of shape \(expected) for input of shape \(input.shape), got \(target.shape)")
        checkUsage(!target.dtype.isFloatingPoint && target.dtype != .bool,
                   "\(op): expected scalar type Long but found \(target.dtype.scalarTypeName) (class indices are an integer tensor)")
        let classes = input.shape[classDim]
        let labels = target.asArray(Int.self)
        // For a target at sample n and position p (of P positions after the class
        // dimension), the input element is (n·C + class)·P + p.
        let batch = classDim == 0 ? 1 : target.shape[0]
        let perSample = labels.count / Swift.max(batch, 1)
        shape = target.shape
        self.labels = labels
        self.classes = classes
        ignored = labels.map { $0 == ignoreIndex }
        positions = labels.enumerated().map { i, label in
            if label == ignoreIndex { return input.count }
            checkUsage(label >= 0 && label < classes, "\(op): target \(label) is out of bounds for \(classes) classes")
            let (sample, position) = (i / perSample, i % perSample)
            return (sample * classes + label) * perSample + position
        }
    }

    /// Whether any target is ignored.
    var hasIgnored: Bool { ignored.contains(true) }

    /// The ignored targets as a bool tensor of the target's shape.
    var ignoredMask: Tensor {
        Tensor(NDArray(shape: shape, integers: ignored.map { $0 ? 1 : 0 }, dtype: .bool))
    }

    /// `-weight[class]·input[class]` per target (0 where ignored), of the target's shape;
    /// the gradient reaches only the picked entries.
    func negativeLogLikelihood(_ input: Tensor, weight: Tensor?) -> Tensor {
        var flat = input.reshape([-1])
        if hasIgnored { flat = cat([flat, Tensor.zeros([1], dtype: input.dtype)]) }
        let losses = -flat.indexSelect(dim: 0, indices: positions).reshape(shape)
        return weight.map { losses * targetWeights($0) } ?? losses
    }

    /// `weight[class]` per target (0 where ignored), of the target's shape.
    func targetWeights(_ weight: Tensor) -> Tensor {
        var table = weight
        if hasIgnored { table = cat([weight, Tensor.zeros([1], dtype: weight.dtype)]) }
        return table.indexSelect(dim: 0, indices: zip(labels, ignored).map { $1 ? classes : $0 }).reshape(shape)
    }

    /// Per-target losses reduced as PyTorch reduces `nll_loss`: the mean divides the sum by
    /// the total weight of the targets not ignored (their number without class weights).
    func reduce(_ losses: Tensor, reduction: Reduction, weight: Tensor?) -> Tensor {
        switch reduction {
        case .none, .sum, .batchMean: return reduction.apply(losses)
        case .mean:
            if let weight { return losses.sum() / targetWeights(weight).sum() }
            return losses.sum() / Double(ignored.filter { !$0 }.count)
        }
    }
}

/// Stops with PyTorch's message unless `weight` has one entry per class.
func checkClassWeight(_ weight: Tensor?, classes: Int) {
    guard let weight else { return }
    checkUsage(weight.rank == 1 && weight.count == classes,
               "weight tensor should be defined either for all \(classes) classes or no classes but got weight tensor of shape: \(weight.shape)")
}
