import Autograd
import Foundation

/// A character-level language model that `autograd train`, `evaluate` and `generate` work
/// with. The GPT conforms below; another model (a character LSTM) joins by conforming and
/// adding a case to ``LanguageModelKind``.
protocol CharacterLanguageModel: AnyObject {
    /// The model as a module: its parameters, modes and checkpoint.
    var module: Module { get }
    /// The block length the validation loss is measured over (the GPT's `block_size`).
    var contextLength: Int { get }
    /// The mean cross-entropy of predicting `y` from `x` (int64 `[B, T]` each).
    func meanLoss(_ x: Tensor, _ y: Tensor) -> Tensor
    /// `prompt` followed by `count` sampled tokens.
    func sample(prompt: [Int], count: Int, temperature: Double, topK: Int?, generator: RandomGenerator) -> [Int]
    /// The checkpoint metadata describing the architecture (without `model` and `vocab`).
    var architectureMetadata: [String: String] { get }
    /// One line describing the architecture, such as `4 layers, 4 heads, 128 wide, block 64, no bias`.
    var summary: String { get }
}

extension GPT: CharacterLanguageModel {
    var module: Module { self }
    var contextLength: Int { config.blockSize }

    func meanLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
        guard let loss = self(x, targets: y).loss else { preconditionFailure("GPT.forward returns a loss when given targets") }
        return loss
    }

    func sample(prompt: [Int], count: Int, temperature: Double, topK: Int?, generator: RandomGenerator) -> [Int] {
        generate(Tensor([prompt]), maxNewTokens: count, temperature: temperature, topK: topK, generator: generator)
            .asArray(Int.self)
    }

    var architectureMetadata: [String: String] { config.metadata }

    var summary: String {
        "\(config.nLayer) layer\(config.nLayer == 1 ? "" : "s"), \(config.nHead) head\(config.nHead == 1 ? "" : "s"), \(config.nEmbd) wide, block \(config.blockSize), \(config.bias ? "with" : "no") bias, dropout \(config.dropout)"
    }
}

/// The character-level language models the tool builds. Another joins by conforming to
/// ``CharacterLanguageModel`` and adding a case here: its defaults in
/// ``ResolvedLanguageModelOptions/defaults(for:)``, `make`, `optimizer` and `load`.
enum LanguageModelKind: String, CaseIterable {
    /// nanoGPT's transformer (``GPT``).
    case gpt
    /// A character LSTM (``CharLSTM``: embedding, stacked LSTM, linear decoder).
    case lstm

    /// The kind a checkpoint's metadata records (`model`, or nanoGPT's config fields alone).
    static func recorded(in metadata: [String: String]) -> LanguageModelKind? {
        if let name = metadata["model"] { return LanguageModelKind(rawValue: name) }
        return metadata["n_layer"] != nil && metadata["n_embd"] != nil ? .gpt : nil
    }

    /// A new model for `vocabularySize` characters, with its weights drawn from `generator`.
    func make(_ options: ResolvedLanguageModelOptions, vocabularySize: Int, generator: RandomGenerator) -> CharacterLanguageModel {
        switch self {
        case .gpt:
            return GPT(GPTConfig(blockSize: options.blockSize, vocabSize: vocabularySize, nLayer: options.nLayer,
                                 nHead: options.nHead, nEmbd: options.nEmbd, dropout: options.dropout, bias: options.bias),
                       generator: generator)
        case .lstm:
            return LSTMLanguageModel(LSTMConfig(embeddingSize: options.embeddingSize, hiddenSize: options.hiddenSize,
                                                numLayers: options.numLayers, vocabSize: vocabularySize,
                                                blockSize: options.blockSize, dropout: options.dropout),
                                     generator: generator)
        }
    }

    /// The optimizer the model trains with: for the GPT, nanoGPT's AdamW with weight decay
    /// on the parameters of two or more dimensions only; for the LSTM, Adam on every
    /// parameter (as `word_language_model` trains, with Adam in place of its plain SGD).
    func optimizer(for model: CharacterLanguageModel, _ options: ResolvedLanguageModelOptions) -> any Optimizer {
        switch self {
        case .gpt:
            guard let gpt = model as? GPT else { preconditionFailure("a gpt is a GPT") }
            return gpt.configureOptimizers(weightDecay: options.weightDecay, learningRate: options.learningRate,
                                           betas: (options.beta1, options.beta2))
        case .lstm:
            return Adam(parameters: model.module.parameters(), learningRate: options.learningRate,
                        betas: (options.beta1, options.beta2))
        }
    }

    /// One line describing the optimizer and the schedule of a run with `options`.
    func optimizerSummary(_ options: ResolvedLanguageModelOptions) -> String {
        let schedule = "learning rate \(options.learningRate) (\(options.warmupIters) warm-up steps, cosine decay to \(options.minLearningRate) at step \(options.lrDecayIters))"
        let clipping = "gradient clipping \(options.gradClip == 0 ? "off" : String(options.gradClip))"
        let run = "batch \(options.batchSize) × \(options.blockSize), \(options.maxIters) steps, seed \(options.seed)"
        switch self {
        case .gpt:
            return "AdamW, \(schedule), betas (\(options.beta1), \(options.beta2)), weight decay \(options.weightDecay) on 2-D weights, \(clipping), \(run)"
        case .lstm:
            return "Adam, \(schedule), betas (\(options.beta1), \(options.beta2)), \(clipping), \(run)"
        }
    }

    /// The model a checkpoint describes, with its weights loaded, in evaluation mode. A
    /// failed load throws before anything is returned.
    /// - Throws: a one-line ``CommandError`` naming the file and what is wrong.
    func load(_ checkpoint: LanguageModelCheckpoint) throws -> CharacterLanguageModel {
        switch self {
        case .gpt:
            guard let config = GPTConfig(metadata: checkpoint.metadata, maximumParameters: ModelKind.maximumParameters) else {
                throw CommandError("\(checkpoint.file): the metadata's n_layer, n_head, n_embd, block_size, vocab_size and bias do not describe a GPT (positive whole numbers, n_embd a multiple of n_head, bias true or false, at most \(ModelKind.maximumParameters) parameters)")
            }
            guard config.vocabSize >= checkpoint.vocabulary.count else {
                throw CommandError("\(checkpoint.file): vocab_size \(config.vocabSize) is smaller than its vocabulary of \(checkpoint.vocabulary.count) characters")
            }
            let model = GPT(config)
            var tensors = checkpoint.tensors
            // The output layer shares the token embeddings: a file may hold either name.
            if tensors["lm_head.weight"] == nil, let shared = tensors["transformer.wte.weight"] { tensors["lm_head.weight"] = shared }
            if tensors["transformer.wte.weight"] == nil, let shared = tensors["lm_head.weight"] { tensors["transformer.wte.weight"] = shared }
            do {
                try model.loadStateDict(tensors)
            } catch {
                throw CommandError("\(checkpoint.file) does not fit the GPT its metadata describes: \(error)")
            }
            model.eval()
            return model
        case .lstm:
            let config = try LSTMConfig(metadata: checkpoint.metadata, file: checkpoint.file,
                                        maximumParameters: ModelKind.maximumParameters)
            guard config.vocabSize >= checkpoint.vocabulary.count else {
                throw CommandError("\(checkpoint.file): vocab_size \(config.vocabSize) is smaller than its vocabulary of \(checkpoint.vocabulary.count) characters")
            }
            return try LSTMLanguageModel.load(config, tensors: checkpoint.tensors, file: checkpoint.file)
        }
    }
}

/// The settings of a language-model training run, defaults filled in (nanoGPT's for the
/// GPT; ``defaults(for:)`` gives each model's).
struct ResolvedLanguageModelOptions {
    var maxIters = 2000, batchSize = 12, blockSize = 64, nLayer = 4, nHead = 4, nEmbd = 128
    var embeddingSize = 64, hiddenSize = 256, numLayers = 2
    var dropout = 0.0, bias = false
    var learningRate: Float = 1e-3, minLearningRate: Float = 1e-4, warmupIters = 100, lrDecayIters = 2000
    var weightDecay: Float = 0.1, beta1: Float = 0.9, beta2: Float = 0.99, gradClip: Float = 1
    var evalInterval = 250, evalIters = 20, seed: UInt64 = 1337

    /// The defaults of `kind`: nanoGPT's CPU settings for the GPT; for the LSTM, embedding
    /// 64, two layers of 256, blocks of 64, batches of 32, Adam (learning rate 2e-3, betas
    /// 0.9/0.999) with a cosine decay to 2e-4, gradient clipping at 1.0, 1000 steps.
    static func defaults(for kind: LanguageModelKind) -> ResolvedLanguageModelOptions {
        var options = ResolvedLanguageModelOptions()
        switch kind {
        case .gpt:
            break
        case .lstm:
            options.maxIters = 1000
            options.lrDecayIters = 1000
            options.batchSize = 32
            options.learningRate = 2e-3
            options.minLearningRate = 2e-4
            options.warmupIters = 0
            options.beta2 = 0.999
            options.weightDecay = 0
        }
        return options
    }

    /// nanoGPT's learning rate at step `it` (from 0): a linear warm-up over `warmupIters`
    /// steps, then a cosine decay from `learningRate` to `minLearningRate` at `lrDecayIters`,
    /// then `minLearningRate`.
    func learningRate(at it: Int) -> Float {
        let (lr, minLR) = (Double(learningRate), Double(minLearningRate))
        if it < warmupIters { return Float(lr * Double(it + 1) / Double(warmupIters + 1)) }
        if it > lrDecayIters { return minLearningRate }
        let decayRatio = lrDecayIters == warmupIters ? 1 : Double(it - warmupIters) / Double(lrDecayIters - warmupIters)
        let coefficient = 0.5 * (1 + cos(Double.pi * decayRatio))
        return Float(minLR + coefficient * (lr - minLR))
    }
}

/// What `evaluate` and `generate` read from a language-model checkpoint: the metadata, the
/// vocabulary (`vocab`, the characters in index order as a JSON string) and the tensors.
struct LanguageModelCheckpoint {
    /// The checkpoint's path, for messages.
    let file: String
    /// The header's `__metadata__`.
    let metadata: [String: String]
    /// The characters, in token order.
    let vocabulary: [Character]
    /// The tensors by name.
    let tensors: [String: Tensor]
    /// The model kind.
    let kind: LanguageModelKind

    /// Reads `contents` (of `file`) as a language-model checkpoint, or returns nil when its
    /// metadata does not say it is one.
    /// - Throws: a one-line ``CommandError`` when it says so but its vocabulary is missing
    ///   or malformed.
    init?(file: String, contents: SafetensorsFile) throws {
        guard let kind = LanguageModelKind.recorded(in: contents.metadata) else { return nil }
        self.file = file
        self.kind = kind
        metadata = contents.metadata
        tensors = contents.tensors.mapValues(\.tensor)
        guard let encoded = metadata["vocab"] else {
            throw CommandError("\(file) does not record its vocabulary (the metadata's vocab: the characters in index order as a JSON string)")
        }
        guard let text = try? JSONDecoder().decode(String.self, from: Data(encoded.utf8)) else {
            throw CommandError("\(file): the metadata's vocab is not a JSON string")
        }
        let characters = text.unicodeScalars.map(Character.init)
        guard !characters.isEmpty, Set(characters).count == characters.count else {
            throw CommandError("\(file): the metadata's vocab must list distinct characters, got \(characters.count) characters with \(Set(characters).count) distinct")
        }
        vocabulary = characters
    }

    /// The vocabulary as checkpoint metadata: a JSON string of the characters in index order.
    static func encode(vocabulary: [Character]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(String(vocabulary))) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}

/// The bundled Shakespeare text encoded with `vocabulary`.
/// - Throws: a one-line ``CommandError`` when the text has characters outside it.
func shakespeare(encodedWith vocabulary: [Character], file: String) throws -> CharacterDataset {
    let text = try ShakespeareText.text()
    guard let data = CharacterDataset(text: text, vocabulary: vocabulary) else {
        let missing = CharacterDataset(text: text).vocabulary.filter { !vocabulary.contains($0) }
        throw CommandError("\(file)'s vocabulary lacks characters of the Shakespeare text: \(String(reflecting: String(missing)))")
    }
    return data
}

/// nanoGPT's `estimate_loss`: the mean loss over `iterations` random batches of each split,
/// in evaluation mode and without recording.
func estimateLoss(_ model: CharacterLanguageModel, data: CharacterDataset, iterations: Int, batchSize: Int,
                  generator: RandomGenerator) -> (train: Double, validation: Double) {
    model.module.eval()
    defer { model.module.train() }
    func mean(_ split: CharacterDataset.Split) -> Double {
        noGrad {
            var total = 0.0
            for _ in 0..<iterations {
                let (x, y) = data.batch(split, batchSize: batchSize, blockSize: model.contextLength, generator: generator)
                total += Double(model.meanLoss(x, y).item())
            }
            return total / Double(iterations)
        }
    }
    return (mean(.train), mean(.validation))
}

/// The validation loss as reported: the mean cross-entropy over every non-overlapping
/// validation block of the model's context length, and the number of blocks.
func validationLoss(_ model: CharacterLanguageModel, data: CharacterDataset) -> (loss: Double, blocks: Int) {
    model.module.eval()
    let blocks = max(data.tokens(.validation).count - 1, 0) / model.contextLength
    return (data.loss(.validation, blockSize: model.contextLength) { model.meanLoss($0, $1) }, blocks)
}
