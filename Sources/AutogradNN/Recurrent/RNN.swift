import AutogradCore
import AutogradEngine

/// A multi-layer Elman network, like `torch.nn.RNN`: for each step
/// `h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)` (or ReLU). Layers, dropout, directions and
/// parameter names as in ``LSTM``.
///
/// ```swift
/// let rnn = RNN(inputSize: 8, hiddenSize: 16, nonlinearity: .relu)
/// let (output, h) = rnn(x, h0)
/// ```
public final class RNN: RNNBase {
    /// The activation of an Elman layer.
    public enum Nonlinearity: String, Sendable {
        /// `tanh`, the default.
        case tanh
        /// `relu`.
        case relu
    }

    /// The activation every layer applies.
    public var nonlinearity: Nonlinearity { mode == .rnnRelu ? .relu : .tanh }

    /// The layers, with PyTorch's arguments and initialisation (uniform in `±1/√hiddenSize`),
    /// their parameters of `dtype`.
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh, bias: Bool = true,
        batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32,
        generator: RandomGenerator = .default
    ) {
        super.init(mode: nonlinearity == .relu ? .rnnRelu : .rnnTanh, inputSize: inputSize, hiddenSize: hiddenSize,
                   numLayers: numLayers, bias: bias, batchFirst: batchFirst, dropout: dropout,
                   bidirectional: bidirectional, dtype: dtype, generator: generator)
    }

    /// Runs the network over `input` from `hidden` (zeros when nil), as ``GRU/callAsFunction(_:_:)``
    /// does; returns the output at every step and the final hidden states.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor? = nil) -> (output: Tensor, hidden: Tensor) {
        callWithHooks(input) { x in
            let (output, h, _) = run(x, hidden: hidden, cell: nil)
            return (output, h)
        }
    }

    /// The output alone, from a zero state.
    public override func forward(_ input: Tensor) -> Tensor { run(input, hidden: nil, cell: nil).output }
}
