import AutogradCore
import AutogradEngine

/// Randomly zeroes elements during training, like `torch.nn.Dropout`: each element is
/// kept with probability `1 - p` and scaled by `1 / (1 - p)`, so the expected value is
/// unchanged; in evaluation mode the input passes through untouched.
public final class Dropout: Module {
    /// The probability of zeroing an element.
    public let p: Float
    /// Where the masks come from.
    private let generator: RandomGenerator

    /// A layer zeroing elements with probability `p`, drawing masks from `generator`.
    public init(p: Float = 0.5, generator: RandomGenerator = .default) {
        checkUsage(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
        self.generator = generator
    }

    /// `input` times a random mask scaled by `1 / (1 - p)` when training; `input` otherwise.
    public override func forward(_ input: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return input }
        return dropoutMask(input, p: Double(p), generator: generator)
    }

    /// PyTorch's settings string, `p=0.5, inplace=False`.
    public override var extraDescription: String { "p=\(formatPyTorchFloat(p)), inplace=False" }
}
