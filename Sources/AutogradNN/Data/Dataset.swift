import AutogradCore
import AutogradEngine

/// A collection of examples, each an input and a target, like `torch.utils.data.Dataset`.
///
/// Conforming types give ``count`` and ``subscript(_:)``; ``batch(_:)`` stacks examples by
/// default and can be replaced by a faster gather (``TensorDataset`` does).
public protocol Dataset {
    /// The number of examples.
    var count: Int { get }
    /// The example at `index`.
    subscript(index: Int) -> (input: Tensor, target: Tensor) { get }
    /// The examples at `indices` stacked along a new first dimension.
    func batch(_ indices: [Int]) -> (input: Tensor, target: Tensor)
}

extension Dataset {
    /// Stacks the examples at `indices`.
    public func batch(_ indices: [Int]) -> (input: Tensor, target: Tensor) {
        let examples = indices.map { self[$0] }
        return (stack(examples.map(\.input)), stack(examples.map(\.target)))
    }
}

/// A dataset of two tensors whose first dimensions index the examples, like
/// `torch.utils.data.TensorDataset`.
///
/// The inputs can instead be kept as bytes (``init(byteInputs:shape:divisor:targets:)``,
/// what ``MNIST`` does), made into floats only for the examples a batch takes.
/// ```swift
/// let data = TensorDataset(inputs: images, targets: labels)   // [N, 1, 8, 8] and [N]
/// let (image, label) = data[0]
/// ```
public struct TensorDataset: Dataset {
    /// The inputs, as a tensor or as bytes.
    private enum Inputs {
        case tensor(Tensor)
        case bytes(ByteInputs)
    }

    private let storedInputs: Inputs
    /// All targets, `[count, ...]`.
    public let targets: Tensor

    /// A dataset pairing row `i` of `inputs` with row `i` of `targets`.
    public init(inputs: Tensor, targets: Tensor) {
        checkUsage(inputs.rank > 0 && targets.rank > 0 && inputs.shape[0] == targets.shape[0],
                     "TensorDataset: size mismatch between tensors (inputs \(inputs.shape), targets \(targets.shape))")
        self.storedInputs = .tensor(inputs)
        self.targets = targets
    }

    /// A dataset whose inputs of `shape` (`[count, ...]`, row-major) stay bytes until a
    /// batch or an example is taken, when each becomes `Float(byte) / divisor`: the
    /// default 255 maps pixels to 0…1, as torchvision's `ToTensor` does.
    public init(byteInputs: [UInt8], shape: [Int], divisor: Float = 255, targets: Tensor) {
        precondition(!shape.isEmpty && targets.rank > 0 && shape[0] == targets.shape[0],
                     "TensorDataset: size mismatch between inputs \(shape) and targets \(targets.shape)")
        self.storedInputs = .bytes(ByteInputs(bytes: byteInputs, shape: shape, divisor: divisor))
        self.targets = targets
    }

    /// All inputs, `[count, ...]`. For a dataset that keeps its inputs as bytes this makes
    /// a float tensor of all of them, four times their size; ``batch(_:)`` and
    /// ``inputShape`` do not.
    public var inputs: Tensor {
        switch storedInputs {
        case .tensor(let tensor): return tensor
        case .bytes(let bytes): return bytes.batch(Array(0..<bytes.shape[0]))
        }
    }

    /// The inputs' bytes when the dataset keeps them as bytes, nil when it holds a tensor.
    public var inputBytes: [UInt8]? {
        if case .bytes(let bytes) = storedInputs { return bytes.bytes }
        return nil
    }

    /// The shape of ``inputs``, `[count, ...]`.
    public var inputShape: [Int] {
        switch storedInputs {
        case .tensor(let tensor): return tensor.shape
        case .bytes(let bytes): return bytes.shape
        }
    }

    /// The number of examples.
    public var count: Int { targets.shape[0] }

    /// Row `index` of the inputs and of the targets.
    public subscript(index: Int) -> (input: Tensor, target: Tensor) {
        switch storedInputs {
        case .tensor(let tensor): return (tensor[index], targets[index])
        case .bytes(let bytes): return (bytes.example(index), targets[index])
        }
    }

    /// The rows at `indices`, gathered in one copy each.
    public func batch(_ indices: [Int]) -> (input: Tensor, target: Tensor) {
        switch storedInputs {
        case .tensor(let tensor): return (tensor.indexSelect(dim: 0, indices: indices), targets.indexSelect(dim: 0, indices: indices))
        case .bytes(let bytes): return (bytes.batch(indices), targets.indexSelect(dim: 0, indices: indices))
        }
    }
}

/// The examples of `base` at `indices`, like `torch.utils.data.Subset`.
public struct Subset<Base: Dataset>: Dataset {
    /// The dataset the examples come from.
    public let base: Base
    /// Which of its examples this subset holds, in order.
    public let indices: [Int]

    /// The examples of `base` at `indices`.
    public init(_ base: Base, indices: [Int]) {
        checkUsage(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "Subset: index out of range for a dataset of \(base.count) examples")
        self.base = base
        self.indices = indices
    }

    /// The number of examples.
    public var count: Int { indices.count }

    /// Example `indices[index]` of the base dataset.
    public subscript(index: Int) -> (input: Tensor, target: Tensor) { base[indices[index]] }

    /// The base dataset's batch of the corresponding examples.
    public func batch(_ positions: [Int]) -> (input: Tensor, target: Tensor) { base.batch(positions.map { indices[$0] }) }
}

/// Splits `dataset` at random into non-overlapping subsets whose sizes are the given
/// fractions of it, like `torch.utils.data.random_split` with fractions: sizes are
/// rounded down and the remainder is dealt one at a time to the first subsets.
/// ```swift
/// let parts = randomSplit(digits, fractions: [0.8, 0.2], generator: RandomGenerator(seed: 0))
/// let (train, test) = (parts[0], parts[1])
/// ```
public func randomSplit<D: Dataset>(_ dataset: D, fractions: [Double], generator: RandomGenerator = .default) -> [Subset<D>] {
    checkUsage(!fractions.isEmpty && fractions.allSatisfy { $0 >= 0 } && Swift.abs(fractions.reduce(0, +) - 1) < 1e-6,
                 "random_split: fractions must be non-negative and sum to 1, got \(fractions)")
    var sizes = fractions.map { Int(($0 * Double(dataset.count)).rounded(.down)) }
    for i in 0..<(dataset.count - sizes.reduce(0, +)) { sizes[i % sizes.count] += 1 }
    let order = generator.permutation(dataset.count)
    var start = 0
    return sizes.map { size in
        defer { start += size }
        return Subset(dataset, indices: Array(order[start..<start + size]))
    }
}
