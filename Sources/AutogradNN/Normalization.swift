import AutogradCore
import AutogradEngine

/// Batch normalisation, the shared implementation of ``BatchNorm1d`` and ``BatchNorm2d``
/// (PyTorch's `_BatchNorm`): each channel (dimension 1) is normalised over the batch and
/// any spatial dimensions, then scaled and shifted:
/// `y = (x - mean) / √(var + eps) · weight + bias`.
///
/// In training mode the batch's mean and biased variance are used, and the running
/// statistics are updated with `momentum` (`running = (1 - momentum)·running +
/// momentum·batch`, the variance unbiased); in evaluation mode the running statistics are
/// used. `momentum: nil` gives a cumulative average, as in PyTorch.
public class BatchNorm: Module {
    /// The per-channel scale (ones at first), or nil without `affine`.
    public var weight: Parameter?
    /// The per-channel shift (zeros at first), or nil without `affine`.
    public var bias: Parameter?
    /// The running mean of each channel, or nil without `trackRunningStats`.
    public var runningMean: Buffer?
    /// The running (unbiased) variance of each channel, or nil without `trackRunningStats`.
    public var runningVar: Buffer?
    /// How many training batches updated the running statistics (stored as int64).
    public var numBatchesTracked: Buffer?
    /// The number of channels.
    public let numFeatures: Int
    /// Added to the variance for stability.
    public let eps: Float
    /// The weight of each new batch in the running statistics; nil for a cumulative average.
    public let momentum: Float?
    /// The input ranks the layer accepts.
    private let acceptedRanks: [Int]

    init(numFeatures: Int, eps: Float, momentum: Float?, affine: Bool, trackRunningStats: Bool, acceptedRanks: [Int]) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.acceptedRanks = acceptedRanks
        if affine {
            weight = Parameter(Tensor.ones([numFeatures]))
            bias = Parameter(Tensor.zeros([numFeatures]))
        }
        if trackRunningStats {
            runningMean = Buffer(Tensor.zeros([numFeatures]))
            runningVar = Buffer(Tensor.ones([numFeatures]))
            numBatchesTracked = Buffer(Tensor(0))
        }
    }

    /// Normalises `input` (`[N, C, ...]`) per channel.
    public override func forward(_ input: Tensor) -> Tensor {
        checkUsage(acceptedRanks.contains(input.rank),
                     "\(typeName): expected \(acceptedRanks.map { "\($0)D" }.joined(separator: " or ")) input (got \(input.rank)D input of shape \(input.shape))")
        checkUsage(input.shape[1] == numFeatures,
                     "\(typeName): expected input with \(numFeatures) channels, got shape \(input.shape)")
        let dims = [0] + Array(2..<input.rank)
        var channelShape = [Int](repeating: 1, count: input.rank)
        channelShape[1] = numFeatures
        let mean: Tensor, variance: Tensor
        if isTraining || runningMean == nil {
            let samples = input.count / numFeatures
            checkUsage(!isTraining || samples > 1,
                         "\(typeName): Expected more than 1 value per channel when training, got input size \(input.shape)")
            mean = input.mean(dims: dims, keepDim: true)
            let centred = input - mean
            variance = (centred * centred).mean(dims: dims, keepDim: true)
            if isTraining { updateRunningStatistics(mean: mean, variance: variance, samples: samples) }
        } else {
            mean = runningMean!.value.reshape(channelShape)
            variance = runningVar!.value.reshape(channelShape)
        }
        var output = (input - mean) / (variance + eps).sqrt()
        if let weight { output = output * weight.reshape(channelShape) }
        if let bias { output = output + bias.reshape(channelShape) }
        return output
    }

    /// Moves the running statistics towards this batch's.
    private func updateRunningStatistics(mean: Tensor, variance: Tensor, samples: Int) {
        guard let runningMean, let runningVar, let numBatchesTracked else { return }
        noGrad {
            numBatchesTracked.value += 1
            let factor = momentum ?? 1 / numBatchesTracked.value.item()
            let unbiased = variance.detach() * (Float(samples) / Float(samples - 1))
            runningMean.value.copy(from: runningMean.value * (1 - factor) + mean.detach().reshape([numFeatures]) * factor)
            runningVar.value.copy(from: runningVar.value * (1 - factor) + unbiased.reshape([numFeatures]) * factor)
        }
    }

    /// PyTorch's settings string, such as `16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True`.
    public override var extraDescription: String {
        "\(numFeatures), eps=\(formatPyTorchFloat(eps)), momentum=\(momentum.map(formatPyTorchFloat) ?? "None"), affine=\(weight == nil ? "False" : "True"), bias=\(weight == nil ? "False" : "True"), track_running_stats=\(runningMean == nil ? "False" : "True")"
    }
}

/// Batch normalisation of `[N, C]` or `[N, C, L]` inputs, like `torch.nn.BatchNorm1d`;
/// see ``BatchNorm``.
public final class BatchNorm1d: BatchNorm {
    /// A layer for `numFeatures` channels, with PyTorch's defaults.
    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, acceptedRanks: [2, 3])
    }
}

/// Batch normalisation of images `[N, C, H, W]`, like `torch.nn.BatchNorm2d`; see ``BatchNorm``.
public final class BatchNorm2d: BatchNorm {
    /// A layer for `numFeatures` channels, with PyTorch's defaults.
    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, acceptedRanks: [4])
    }
}

/// Layer normalisation, like `torch.nn.LayerNorm`: each sample is normalised over its last
/// `normalizedShape.count` dimensions, then scaled and shifted elementwise:
/// `y = (x - mean) / √(var + eps) · weight + bias` (biased variance).
public final class LayerNorm: Module {
    /// The scale, of shape `normalizedShape` (ones at first), or nil without `elementwiseAffine`.
    public var weight: Parameter?
    /// The shift, of shape `normalizedShape` (zeros at first), or nil.
    public var bias: Parameter?
    /// The trailing shape normalised over.
    public let normalizedShape: [Int]
    /// Added to the variance for stability.
    public let eps: Float

    /// A layer normalising over trailing dimensions of `normalizedShape`; `bias: false`
    /// keeps the scale but drops the shift (nanoGPT's layers), and `dtype` is the
    /// parameters' dtype.
    public init(normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                dtype: DType = .float32) {
        checkUsage(!normalizedShape.isEmpty, "LayerNorm: normalized_shape must not be empty")
        self.normalizedShape = normalizedShape
        self.eps = eps
        if elementwiseAffine {
            weight = Parameter(Tensor.ones(normalizedShape, dtype: dtype))
            if bias { self.bias = Parameter(Tensor.zeros(normalizedShape, dtype: dtype)) }
        }
    }

    /// Normalises `input`, whose trailing dimensions must be `normalizedShape`.
    public override func forward(_ input: Tensor) -> Tensor {
        checkUsage(Array(input.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "layer_norm: Given normalized_shape=\(normalizedShape), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size \(input.shape)")
        return input.layerNorm(normalizedShape: normalizedShape, weight: weight, bias: bias, eps: Double(eps))
    }

    /// PyTorch's settings string, such as `(16,), eps=1e-05, elementwise_affine=True`.
    public override var extraDescription: String {
        "\(formatPyTorchTuple(normalizedShape)), eps=\(formatPyTorchFloat(eps)), elementwise_affine=\(weight == nil ? "False" : "True"), bias=\(bias == nil ? "False" : "True")"
    }
}

/// A list of sizes as Python prints a tuple: `(5,)`, `(3, 5)`.
func formatPyTorchTuple(_ values: [Int]) -> String {
    values.count == 1 ? "(\(values[0]),)" : "(\(values.map(String.init).joined(separator: ", ")))"
}

/// A float as Python prints it in a module's repr: `0.1`, `1e-05` (the shortest
/// decimal that reads back as the same `Float`, widened to `Double`).
func formatPyTorchFloat(_ value: Float) -> String { "\(Double("\(value)")!)" }
