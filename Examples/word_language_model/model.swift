// model.py: RNNModel, an embedding, a recurrent network and a linear layer back to the words.
import Autograd

/// The recurrent networks `--model` chooses from.
enum RNNType: String, CaseIterable {
    /// `nn.LSTM`.
    case LSTM
    /// `nn.GRU`.
    case GRU
    /// `nn.RNN(nonlinearity='tanh')`.
    case RNN_TANH
    /// `nn.RNN(nonlinearity='relu')`.
    case RNN_RELU
}

/// The recurrent state between batches: `(h, c)` for an LSTM, `h` for the others; each
/// `[nlayers, batch, nhid]`.
enum Hidden {
    /// An LSTM's hidden and cell states.
    case lstm(h: Tensor, c: Tensor)
    /// A GRU's or an Elman network's hidden state.
    case single(Tensor)
}

/// `repackage_hidden`: wraps hidden states in new Tensors, to detach them from their history.
func repackageHidden(_ h: Hidden) -> Hidden {
    switch h {
    case .lstm(let h, let c): return .lstm(h: h.detach(), c: c.detach())
    case .single(let h): return .single(h.detach())
    }
}

/// Container module with an encoder, a recurrent module, and a decoder (model.py's
/// `RNNModel`). Its state dict has the original's keys: `encoder.weight`,
/// `rnn.weight_ih_l0`, ..., `decoder.weight`, `decoder.bias`.
final class RNNModel: Module {
    /// `self.drop`: dropout on the embeddings and on the recurrent output.
    let drop: Dropout
    /// `self.encoder`: word embeddings, `[ntoken, ninp]`.
    let encoder: Embedding
    /// `self.rnn`: an `LSTM`, a `GRU` or an `RNN` (sequence-first, as in the original).
    let rnn: RNNBase
    /// `self.decoder`: hidden state to word scores.
    let decoder: Linear
    /// `self.rnn_type`.
    let rnnType: RNNType
    /// `self.ntoken`: the vocabulary's size.
    let ntoken: Int
    /// `self.nhid`: the hidden size.
    let nhid: Int
    /// `self.nlayers`: the number of recurrent layers.
    let nlayers: Int

    /// `RNNModel(rnn_type, ntoken, ninp, nhid, nlayers, dropout, tie_weights)`; with
    /// `tieWeights`, `nhid` must equal `ninp` (main.swift checks it).
    init(_ rnnType: RNNType, ntoken: Int, ninp: Int, nhid: Int, nlayers: Int, dropout: Float = 0.5, tieWeights: Bool = false) {
        self.ntoken = ntoken
        drop = Dropout(p: dropout)
        encoder = Embedding(numEmbeddings: ntoken, embeddingDim: ninp)
        switch rnnType {
        case .LSTM: rnn = LSTM(inputSize: ninp, hiddenSize: nhid, numLayers: nlayers, dropout: Double(dropout))
        case .GRU: rnn = GRU(inputSize: ninp, hiddenSize: nhid, numLayers: nlayers, dropout: Double(dropout))
        case .RNN_TANH: rnn = RNN(inputSize: ninp, hiddenSize: nhid, numLayers: nlayers, nonlinearity: .tanh, dropout: Double(dropout))
        case .RNN_RELU: rnn = RNN(inputSize: ninp, hiddenSize: nhid, numLayers: nlayers, nonlinearity: .relu, dropout: Double(dropout))
        }
        decoder = Linear(inFeatures: nhid, outFeatures: ntoken)
        // Optionally tie weights as in "Using the Output Embedding to Improve Language
        // Models" (Press & Wolf 2016) and "Tying Word Vectors and Word Classifiers"
        // (Inan et al. 2016).
        if tieWeights {
            precondition(nhid == ninp, "When using the tied flag, nhid must be equal to emsize")
            decoder.weight = encoder.weight
        }
        self.rnnType = rnnType
        self.nhid = nhid
        self.nlayers = nlayers
        super.init()
        initWeights()
    }

    /// `init_weights`: embeddings and decoder weights uniform in ±0.1, decoder bias zero.
    func initWeights() {
        let initrange: Float = 0.1
        Init.uniform(encoder.weight, a: -initrange, b: initrange)
        if let bias = decoder.bias { Init.zeros(bias) }
        Init.uniform(decoder.weight, a: -initrange, b: initrange)
    }

    /// `forward(input, hidden)`: log-probabilities `[T·B, ntoken]` of the next word for
    /// word numbers `input` `[T, B]`, and the final state.
    func callAsFunction(_ input: Tensor, _ hidden: Hidden) -> (Tensor, Hidden) {
        let emb = drop(encoder(input))
        let (output, newHidden) = runRNN(emb, hidden)
        let dropped = drop(output)
        // decoded = self.decoder(output); decoded = decoded.view(-1, self.ntoken): the same
        // rows, flattened before the decoder rather than after it.
        let decoded = decoder(dropped.reshape([-1, nhid]))
        return (decoded.logSoftmax(dim: 1), newHidden)
    }

    /// `self.rnn(emb, hidden)`, for whichever network `rnn` is.
    private func runRNN(_ emb: Tensor, _ hidden: Hidden) -> (Tensor, Hidden) {
        switch (rnn, hidden) {
        case (let lstm as LSTM, .lstm(let h, let c)):
            let (output, state) = lstm(emb, (h, c))
            return (output, .lstm(h: state.h, c: state.c))
        case (let gru as GRU, .single(let h)):
            let (output, state) = gru(emb, h)
            return (output, .single(state))
        case (let elman as RNN, .single(let h)):
            let (output, state) = elman(emb, h)
            return (output, .single(state))
        default:
            preconditionFailure("a \(rnnType.rawValue) model was given the wrong kind of hidden state")
        }
    }

    /// `init_hidden(bsz)`: zero states for a batch of `bsz` sequences.
    func initHidden(_ bsz: Int) -> Hidden {
        let zeros = { Tensor.zeros([self.nlayers, bsz, self.nhid]) }
        return rnnType == .LSTM ? .lstm(h: zeros(), c: zeros()) : .single(zeros())
    }
}
