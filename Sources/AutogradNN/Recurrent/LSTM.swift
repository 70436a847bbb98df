import AutogradCore
import AutogradEngine

/// A multi-layer long short-term memory network, like `torch.nn.LSTM`.
///
/// For each step, with gates from `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh` in PyTorch's order
/// i, f, g, o: `c' = σ(f)·c + σ(i)·tanh(g)` and `h' = σ(o)·tanh(c')`. Layers stack (each
/// takes the previous one's output), with ``RNNBase/dropout`` between them while training;
/// a bidirectional layer also runs the sequence backwards and concatenates the two
/// outputs. Parameters are PyTorch's (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
/// `bias_hh_l0`, `..._reverse`), so checkpoints move both ways.
///
/// ```swift
/// let lstm = LSTM(inputSize: 64, hiddenSize: 256, numLayers: 2, batchFirst: true)
/// let (output, (h, c)) = lstm(x)             // x: [batch, steps, 64] → output [batch, steps, 256]
/// let (next, state) = lstm(y, (h, c))        // continue from a state; h, c: [2, batch, 256]
/// let features = lstm(x)                     // the output alone (forward(_:))
/// ```
public final class LSTM: RNNBase {
    /// The layers, with PyTorch's arguments and initialisation (uniform in `±1/√hiddenSize`),
    /// their parameters of `dtype`.
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32, generator: RandomGenerator = .default
    ) {
        super.init(mode: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype,
                   generator: generator)
    }

    /// Runs the network over `input` (`[T, N, inputSize]`, `[N, T, inputSize]` with
    /// ``RNNBase/batchFirst``, or unbatched `[T, inputSize]`) from `state` `(h0, c0)`, each
    /// `[layers·directions, N, hiddenSize]` (unbatched `[layers·directions, hiddenSize]`),
    /// zeros when nil. Returns the last layer's hidden state at every step
    /// (`[T, N, directions·hiddenSize]`, laid out like the input) and the final `(h, c)` of
    /// every layer and direction, like PyTorch's `output, (h_n, c_n)`.
    public func callAsFunction(
        _ input: Tensor, _ state: (h: Tensor, c: Tensor)? = nil
    ) -> (output: Tensor, state: (h: Tensor, c: Tensor)) {
        callWithHooks(input) { x in
            let (output, h, c) = run(x, hidden: state?.h, cell: state?.c)
            return (output, (h, c!))
        }
    }

    /// The output alone, from zero states.
    public override func forward(_ input: Tensor) -> Tensor { run(input, hidden: nil, cell: nil).output }
}
