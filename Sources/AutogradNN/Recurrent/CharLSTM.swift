import AutogradCore
import AutogradEngine

/// A character-level language model: an embedding, a stacked ``LSTM`` and a linear layer
/// back to the vocabulary, laid out as PyTorch's `word_language_model` example's `RNNModel`
/// (`encoder`, `rnn`, `decoder`), so its state dict has the same keys
/// (`encoder.weight`, `rnn.weight_ih_l0`, ..., `decoder.weight`, `decoder.bias`).
///
/// Inputs are batch-first token indices `[B, T]` (int64); the output is logits `[B, T, V]`.
/// Dropout (0 by default) applies, while training, to the embeddings, between the LSTM's
/// layers and to its output, as in `RNNModel`.
///
/// ```swift
/// let model = CharLSTM(vocabSize: 65)                 // embedding 64, 2 layers of 256
/// let logits = model(tokens)                          // tokens: [32, 64] → [32, 64, 65]
/// let loss = crossEntropy(logits.reshape([-1, 65]), targets.reshape([-1]))
/// var state: (h: Tensor, c: Tensor)? = nil           // sampling, one step at a time
/// (logits, state) = model(nextToken, state)           // nextToken: [1, 1]
/// ```
public final class CharLSTM: Module {
    /// Token embeddings, `[vocabSize, embeddingDim]`.
    public let encoder: Embedding
    /// The recurrent layers (batch-first).
    public let rnn: LSTM
    /// The output projection to the vocabulary.
    public let decoder: Linear
    /// The number of distinct tokens.
    public let vocabSize: Int
    /// Dropout on the embeddings, between layers and on the LSTM's output, while training.
    public let dropout: Double
    /// Where dropout masks come from.
    private let generator: RandomGenerator

    /// The model with PyTorch's default initialisation of each layer.
    public init(
        vocabSize: Int, embeddingDim: Int = 64, hiddenSize: Int = 256, numLayers: Int = 2, dropout: Double = 0,
        generator: RandomGenerator = .default
    ) {
        checkUsage(vocabSize > 0, "CharLSTM: vocabSize must be positive, got \(vocabSize)")
        self.vocabSize = vocabSize
        self.dropout = dropout
        self.generator = generator
        encoder = Embedding(numEmbeddings: vocabSize, embeddingDim: embeddingDim, generator: generator)
        rnn = LSTM(inputSize: embeddingDim, hiddenSize: hiddenSize, numLayers: numLayers, batchFirst: true,
                   dropout: numLayers > 1 ? dropout : 0, generator: generator)
        decoder = Linear(inFeatures: hiddenSize, outFeatures: vocabSize, generator: generator)
    }

    /// Logits `[B, T, vocabSize]` for token indices `[B, T]` and the final LSTM state, from
    /// `state` (`[numLayers, B, hiddenSize]` each; zeros when nil), so text can be sampled
    /// a step at a time.
    public func callAsFunction(
        _ tokens: Tensor, _ state: (h: Tensor, c: Tensor)?
    ) -> (logits: Tensor, state: (h: Tensor, c: Tensor)) {
        callWithHooks(tokens) { logits($0, state) }
    }

    /// Logits `[B, T, vocabSize]` for token indices `[B, T]`, from a zero state.
    public override func forward(_ tokens: Tensor) -> Tensor { logits(tokens, nil).logits }

    private func logits(_ tokens: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (logits: Tensor, state: (h: Tensor, c: Tensor)) {
        checkUsage(tokens.rank == 2, "CharLSTM: expected token indices [batch, steps], got shape \(tokens.shape)")
        let (output, finalState) = rnn(drop(encoder(tokens)), state)
        let (batch, steps) = (tokens.shape[0], tokens.shape[1])
        // One matrix product for every position: [B·T, H] · W_decᵀ.
        let logits = decoder(drop(output).reshape([batch * steps, rnn.hiddenSize]))
        return (logits.reshape([batch, steps, vocabSize]), finalState)
    }

    private func drop(_ x: Tensor) -> Tensor {
        isTraining && dropout > 0 ? dropoutMask(x, p: dropout, generator: generator) : x
    }
}
