import AutogradEngine

/// A tensor a module keeps as state without training it, like a tensor registered with
/// PyTorch's `register_buffer`: ``BatchNorm2d``'s running statistics, for example.
///
/// Buffers are saved in checkpoints with the parameters, under the same kind of dotted
/// name (`"1.running_mean"`), and never receive gradients.
public final class Buffer {
    /// The current value.
    public var value: Tensor
    /// How a checkpoint stores the value: `float32`, or `int64` for counters such as
    /// `num_batches_tracked`, so the file has the same types as PyTorch's.
    public let storedType: SafetensorsDType

    /// A buffer holding `value`, stored in checkpoints as `storedType`.
    public init(_ value: Tensor, storedType: SafetensorsDType = .float32) {
        self.value = value
        self.storedType = storedType
    }
}
