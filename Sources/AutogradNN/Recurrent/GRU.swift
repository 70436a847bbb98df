import AutogradCore
import AutogradEngine

/// A multi-layer gated recurrent unit network, like `torch.nn.GRU`.
///
/// For each step, with gates in PyTorch's order r, z, n:
/// `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
/// `n = tanh(W_in x + b_in + r·(W_hn h + b_hn))` and `h' = (1 - z)·n + z·h`. Layers,
/// dropout, directions and parameter names as in ``LSTM``.
///
/// ```swift
/// let gru = GRU(inputSize: 16, hiddenSize: 32, numLayers: 2, bidirectional: true)
/// let (output, h) = gru(x)                   // x: [steps, batch, 16] → output [steps, batch, 64]
/// ```
public final class GRU: RNNBase {
    /// The layers, with PyTorch's arguments and initialisation (uniform in `±1/√hiddenSize`),
    /// their parameters of `dtype`.
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32, generator: RandomGenerator = .default
    ) {
        super.init(mode: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype,
                   generator: generator)
    }

    /// Runs the network over `input` (`[T, N, inputSize]`, `[N, T, inputSize]` with
    /// ``RNNBase/batchFirst``, or unbatched `[T, inputSize]`) from `hidden`
    /// (`[layers·directions, N, hiddenSize]`, unbatched `[layers·directions, hiddenSize]`),
    /// zeros when nil. Returns the last layer's output at every step and the final hidden
    /// state of every layer and direction, like PyTorch's `output, h_n`.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor? = nil) -> (output: Tensor, hidden: Tensor) {
        callWithHooks(input) { x in
            let (output, h, _) = run(x, hidden: hidden, cell: nil)
            return (output, h)
        }
    }

    /// The output alone, from a zero state.
    public override func forward(_ input: Tensor) -> Tensor { run(input, hidden: nil, cell: nil).output }
}
