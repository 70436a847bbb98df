import Autograd
import Foundation

/// The shape of the character LSTM `autograd train --model lstm` builds, and its checkpoint
/// metadata: `embedding_size`, `hidden_size`, `num_layers`, `vocab_size`, `block_size` (the
/// length of the training blocks, which the validation loss is measured over) and
/// `dropout`.
struct LSTMConfig: Equatable {
    /// The width of the token embeddings.
    var embeddingSize = 64
    /// The width of each LSTM layer's hidden and cell state.
    var hiddenSize = 256
    /// The number of stacked LSTM layers.
    var numLayers = 2
    /// The number of tokens.
    var vocabSize: Int
    /// The length of the training blocks and of the validation blocks.
    var blockSize = 64
    /// Dropout on the embeddings, between the layers and on the output, while training.
    var dropout = 0.0

    /// The largest `embedding_size` and `hidden_size` accepted.
    static let maximumWidth = 100_000
    /// The most layers accepted.
    static let maximumLayers = 1000
    /// The longest block accepted.
    static let maximumBlockSize = 1_000_000
    /// The largest vocabulary accepted.
    static let maximumVocabSize = 10_000_000

    /// The configuration as checkpoint metadata.
    var metadata: [String: String] {
        ["embedding_size": String(embeddingSize), "hidden_size": String(hiddenSize), "num_layers": String(numLayers),
         "vocab_size": String(vocabSize), "block_size": String(blockSize), "dropout": String(dropout)]
    }

    /// A configuration.
    init(embeddingSize: Int = 64, hiddenSize: Int = 256, numLayers: Int = 2, vocabSize: Int, blockSize: Int = 64, dropout: Double = 0) {
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.vocabSize = vocabSize
        self.blockSize = blockSize
        self.dropout = dropout
    }

    /// The configuration `metadata` records (see ``metadata``; `dropout` may be missing).
    /// - Throws: a one-line ``CommandError`` naming `file`, the first field that is missing
    ///   or out of range, and its value; or saying that the model would have more than
    ///   `maximumParameters` parameters.
    init(metadata: [String: String], file: String, maximumParameters: Int) throws {
        func whole(_ key: String, _ limit: Int) throws -> Int {
            guard let text = metadata[key] else {
                throw CommandError("\(file) does not record the lstm's \(key) (its metadata needs embedding_size, hidden_size, num_layers, vocab_size and block_size)")
            }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), (1...limit).contains(value) else {
                throw CommandError("\(file): the metadata's \(key) '\(Self.clipped(text))' is not a whole number from 1 to \(limit)")
            }
            return value
        }
        let embeddingSize = try whole("embedding_size", Self.maximumWidth)
        let hiddenSize = try whole("hidden_size", Self.maximumWidth)
        let numLayers = try whole("num_layers", Self.maximumLayers)
        let vocabSize = try whole("vocab_size", Self.maximumVocabSize)
        let blockSize = try whole("block_size", Self.maximumBlockSize)
        var dropout = 0.0
        if let text = metadata["dropout"] {
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), (0...1).contains(value) else {
                throw CommandError("\(file): the metadata's dropout '\(Self.clipped(text))' is not a probability from 0 to 1")
            }
            dropout = value
        }
        self.init(embeddingSize: embeddingSize, hiddenSize: hiddenSize, numLayers: numLayers, vocabSize: vocabSize,
                  blockSize: blockSize, dropout: dropout)
        guard let count = parameterCount, count <= maximumParameters else {
            throw CommandError("\(file): an lstm of embedding_size \(embeddingSize), hidden_size \(hiddenSize), num_layers \(numLayers) and vocab_size \(vocabSize) would have more than \(maximumParameters) parameters, the most this tool builds")
        }
    }

    /// The number of parameters of a ``CharLSTM`` of this configuration, or nil when it
    /// overflows `Int`: the embedding `V·E`, per layer `4H·(input + H) + 8H` (the first
    /// layer's input is `E`, the others' `H`), and the decoder `V·H + V`.
    var parameterCount: Int? {
        func product(_ values: Int...) -> Int? {
            var total = 1
            for value in values {
                let (next, overflow) = total.multipliedReportingOverflow(by: value)
                guard !overflow else { return nil }
                total = next
            }
            return total
        }
        func sum(_ values: Int?...) -> Int? {
            var total = 0
            for value in values {
                guard let value else { return nil }
                let (next, overflow) = total.addingReportingOverflow(value)
                guard !overflow else { return nil }
                total = next
            }
            return total
        }
        let (e, h, v) = (embeddingSize, hiddenSize, vocabSize)
        let firstLayer = sum(product(4, h, e), product(4, h, h), product(8, h))
        let otherLayer = sum(product(8, h, h), product(8, h))
        return sum(product(v, e), firstLayer, otherLayer.flatMap { product(numLayers - 1, $0) }, product(v, h), v)
    }

    /// One line describing the model, such as `embedding 64, 2 layers of 256, block 64, dropout 0.0`.
    var summary: String {
        "embedding \(embeddingSize), \(numLayers) layer\(numLayers == 1 ? "" : "s") of \(hiddenSize), block \(blockSize), dropout \(dropout)"
    }

    /// `value`, cut to 40 characters, with line breaks shown as `\n`, for one-line messages.
    private static func clipped(_ value: String) -> String {
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return shown.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// A ``CharLSTM`` as a ``CharacterLanguageModel``: the network and the block length it
/// trains on and is measured over (which the network itself does not hold).
final class LSTMLanguageModel: CharacterLanguageModel {
    /// The network.
    let network: CharLSTM
    /// Its shape.
    let config: LSTMConfig

    /// A new network of `config`, its weights drawn from `generator` (PyTorch's
    /// initialisation of each layer).
    init(_ config: LSTMConfig, generator: RandomGenerator = .default) {
        self.config = config
        network = CharLSTM(vocabSize: config.vocabSize, embeddingDim: config.embeddingSize, hiddenSize: config.hiddenSize,
                           numLayers: config.numLayers, dropout: config.dropout, generator: generator)
    }

    var module: Module { network }
    var contextLength: Int { config.blockSize }

    /// The mean cross-entropy of predicting `y` from `x`, every row from a zero state.
    func meanLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
        crossEntropy(network(x).reshape([-1, config.vocabSize]), y.reshape([-1]))
    }

    /// Feeds the prompt from a zero state, then draws each next token from the softmax of
    /// the last logits divided by `temperature` (keeping only the `topK` largest, ties with
    /// the k-th included, as ``GPT/generate(_:maxNewTokens:temperature:topK:generator:)``
    /// does) and feeds it back alone, carrying the LSTM's (h, c) state.
    func sample(prompt: [Int], count: Int, temperature: Double, topK: Int?, generator: RandomGenerator) -> [Int] {
        var tokens = prompt
        guard count > 0, !prompt.isEmpty else { return tokens }
        noGrad {
            var (logits, state) = network(Tensor([prompt]), nil)
            for step in 0..<count {
                var last = logits.select(dim: 1, index: logits.shape[1] - 1) / temperature
                if let topK {
                    let k = min(topK, last.shape[1])
                    let (v, _) = last.topk(k)
                    last = last.maskedFill(last .< v.slice(dim: 1, start: k - 1, end: k), -.infinity)
                }
                let next = Tensor.multinomial(last.softmax(dim: -1), numSamples: 1, generator: generator)
                tokens.append(next.asArray(Int.self)[0])
                if step + 1 < count { (logits, state) = network(next, state) }
            }
        }
        return tokens
    }

    var architectureMetadata: [String: String] { config.metadata }
    var summary: String { config.summary }

    /// The network of `config` with the checkpoint's weights, in evaluation mode.
    /// - Throws: a one-line ``CommandError`` when the tensors do not fit that network.
    static func load(_ config: LSTMConfig, tensors: [String: Tensor], file: String) throws -> LSTMLanguageModel {
        let model = LSTMLanguageModel(config)
        for entry in model.network.stateDict() {
            if let tensor = tensors[entry.name], tensor.dtype != entry.tensor.dtype {
                throw CommandError("\(file) does not fit the lstm its metadata describes: \(entry.name) is \(tensor.dtype), not \(entry.tensor.dtype)")
            }
        }
        do {
            try model.network.loadStateDict(tensors)
        } catch {
            throw CommandError("\(file) does not fit the lstm its metadata describes: \(error)")
        }
        model.network.eval()
        return model
    }
}
