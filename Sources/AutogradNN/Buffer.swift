import AutogradEngine

/// A tensor a module keeps as state without training it, like a tensor registered with
/// PyTorch's `register_buffer`: ``BatchNorm2d``'s running statistics, for example.
///
/// Buffers are saved in checkpoints with the parameters, under the same kind of dotted
/// name (`"1.running_mean"`), and never receive gradients.
public final class Buffer {
    /// The current value; checkpoints store it in its dtype (an int64 counter such as
    /// `num_batches_tracked` as int64, like PyTorch's files).
    public var value: Tensor

    /// A buffer holding `value`.
    public init(_ value: Tensor) {
        self.value = value
    }
}
