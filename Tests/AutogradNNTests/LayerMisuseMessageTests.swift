import Foundation
import Testing
import Autograd

/// Misusing the sequence-model layers, losses, containers and init functions stops the
/// program with PyTorch's message, in a child process (see ``MisuseMessageTests``).
@Suite struct LayerMisuseMessageTests {
    static let cases: [Misuse] = [
        Misuse(name: "fan-of-vector", message: "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"),
        Misuse(name: "normal-of-integers", message: "\"normal_kernel_cpu\" not implemented for 'Long'"),
        Misuse(name: "module-list-index", message: "index 3 is out of range"),
        Misuse(name: "module-dict-dot", message: "module name can't contain \".\", got: a.b"),
        Misuse(name: "group-norm-groups", message: "num_channels (6) must be divisible by num_groups (4)"),
        Misuse(name: "group-norm-channels", message: "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [6] and input of shape [2, 4]"),
        Misuse(name: "rms-norm-shape", message: "Given normalized_shape=[3], expected input with shape [*3], but got input of size[2, 4]"),
        Misuse(name: "conv1d-channels", message: "Given groups=1, weight of size [3, 2, 3], expected input[2, 4, 5] to have 2 channels, but got 4 channels instead"),
        Misuse(name: "conv-transpose-channels", message: "Given transposed=1, weight of size [3, 2, 3, 3], expected input[2, 4, 5, 5] to have 3 channels, but got 4 channels instead"),
        Misuse(name: "conv-transpose-output-padding", message: "output padding must be smaller than the stride, but got output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2"),
        Misuse(name: "conv1d-rank", message: "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [2, 2, 2, 2]"),
        Misuse(name: "pad-odd", message: "Padding length must be divisible by 2"),
        Misuse(name: "pad-reflect-too-wide", message: "Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 2 of input [1, 2, 3]"),
        Misuse(name: "pad-reflect-rank", message: "Padding size 2 is not supported for 1D input tensor."),
        Misuse(name: "interpolate-bilinear-rank", message: "Got 3D input, but bilinear mode needs 4D input"),
        Misuse(name: "interpolate-nearest-corners", message: "align_corners option can only be set with the interpolating modes"),
        Misuse(name: "cross-entropy-weight", message: "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]"),
        Misuse(name: "cross-entropy-ignore-probabilities", message: "ignore_index is not supported for floating point target"),
        Misuse(name: "smooth-l1-beta", message: "smooth_l1_loss does not support negative values for beta."),
        Misuse(name: "huber-delta", message: "huber_loss does not support non-positive values for delta."),
        Misuse(name: "bce-range", message: "all elements of input should be between 0 and 1"),
        Misuse(name: "mse-batchmean", message: "batchmean is not a valid value for reduction"),
    ]

    @Test(arguments: cases)
    func misuseStopsWithPyTorchsMessage(_ misuse: Misuse) async {
        await expectStopsWithMessage(misuse, in: .layers)
    }

    /// Runs the misuse called `name`; each must stop the process.
    static func commit(_ name: String) {
        switch name {
        case "fan-of-vector": _ = Init.kaimingUniform(Tensor.zeros([3]))
        case "normal-of-integers": Init.normal(Tensor([1, 2, 3]))
        case "module-list-index": _ = ModuleList([ReLU()])[3]
        case "module-dict-dot": _ = ModuleDict(["a.b": ReLU()])
        case "group-norm-groups": _ = GroupNorm(numGroups: 4, numChannels: 6)
        case "group-norm-channels": _ = GroupNorm(numGroups: 2, numChannels: 6)(Tensor.zeros([2, 4]))
        case "rms-norm-shape": _ = RMSNorm(normalizedShape: [3])(Tensor.zeros([2, 4]))
        case "conv1d-channels": _ = Conv1d(inChannels: 2, outChannels: 3, kernelSize: 3)(Tensor.zeros([2, 4, 5]))
        case "conv-transpose-channels": _ = ConvTranspose2d(inChannels: 3, outChannels: 2, kernelSize: 3)(Tensor.zeros([2, 4, 5, 5]))
        case "conv-transpose-output-padding":
            _ = ConvTranspose2d(inChannels: 3, outChannels: 2, kernelSize: 3, stride: 2, outputPadding: 2)(Tensor.zeros([2, 3, 5, 5]))
        case "conv1d-rank": _ = Conv1d(inChannels: 2, outChannels: 3, kernelSize: 3)(Tensor.zeros([2, 2, 2, 2]))
        case "pad-odd": _ = pad(Tensor.zeros([2, 3]), [1, 2, 3])
        case "pad-reflect-too-wide": _ = pad(Tensor.zeros([1, 2, 3]), [3, 3], mode: .reflect)
        case "pad-reflect-rank": _ = pad(Tensor.zeros([3]), [1, 1], mode: .reflect)
        case "interpolate-bilinear-rank": _ = interpolate(Tensor.zeros([1, 1, 4]), scaleFactor: 2, mode: .bilinear)
        case "interpolate-nearest-corners": _ = interpolate(Tensor.zeros([1, 1, 4]), scaleFactor: 2, alignCorners: true)
        case "cross-entropy-weight": _ = crossEntropy(Tensor.zeros([3, 4]), Tensor([0, 1, 2]), weight: Tensor.ones([3]))
        case "cross-entropy-ignore-probabilities":
            _ = crossEntropy(Tensor.zeros([3, 4]), Tensor.ones([3, 4]), ignoreIndex: 1)
        case "smooth-l1-beta": _ = smoothL1Loss(Tensor.zeros([3]), Tensor.zeros([3]), beta: -1)
        case "huber-delta": _ = huberLoss(Tensor.zeros([3]), Tensor.zeros([3]), delta: 0)
        case "bce-range": _ = bceLoss(Tensor([1.5], dtype: .float32), Tensor([1.0], dtype: .float32))
        case "mse-batchmean": _ = mseLoss(Tensor.zeros([3]), Tensor.zeros([3]), reduction: .batchMean)
        default: Issue.record("unknown misuse \(name)")
        }
    }
}
