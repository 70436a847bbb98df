import ArgumentParser
import Autograd
import Foundation

/// The options of `autograd train --model gpt` and `--model lstm` beyond the shared ones.
/// The GPT's are named as nanoGPT's configuration variables (`--max-iters` is `max_iters`)
/// and default to nanoGPT's setting for a CPU (its README's "I only have a macbook" run of
/// `shakespeare_char`); the LSTM's sizes are named as `torch.nn.LSTM`'s arguments.
struct LanguageModelOptions: ParsableArguments {
    @Option(help: "Optimizer steps (default: 2000 for gpt, 1000 for lstm).")
    var maxIters: Int?

    @Option(help: "Characters of context, the length of each training block and of the validation blocks (default: 64).")
    var blockSize: Int?

    @Option(help: "Transformer blocks (gpt; default: 4).")
    var nLayer: Int?

    @Option(help: "Attention heads per block (gpt; default: 4).")
    var nHead: Int?

    @Option(help: "Embedding width, a multiple of --n-head (gpt; default: 128).")
    var nEmbd: Int?

    @Flag(inversion: .prefixedNo, help: "Biases in the linear layers and layer norms (gpt; default: --no-bias).")
    var bias: Bool?

    @Option(help: "Width of the token embeddings (lstm; default: 64).")
    var embeddingSize: Int?

    @Option(help: "Width of each LSTM layer's hidden and cell state (lstm; default: 256).")
    var hiddenSize: Int?

    @Option(help: "Stacked LSTM layers (lstm; default: 2).")
    var numLayers: Int?

    @Option(help: "The learning rate the cosine decay ends at (default: 0.0001 for gpt, 0.0002 for lstm).")
    var minLr: Float?

    @Option(help: "Steps of linear learning-rate warm-up (default: 100 for gpt, 0 for lstm).")
    var warmupIters: Int?

    @Option(help: "The step the cosine decay reaches --min-lr (default: --max-iters).")
    var lrDecayIters: Int?

    @Option(help: "AdamW's weight decay on the parameters of two or more dimensions (gpt; default: 0.1).")
    var weightDecay: Float?

    @Option(help: "Adam's first beta (default: 0.9).")
    var beta1: Float?

    @Option(help: "Adam's second beta (default: 0.99 for gpt, 0.999 for lstm).")
    var beta2: Float?

    @Option(help: "Clip the gradient norm at this value; 0 turns clipping off (default: 1.0).")
    var gradClip: Float?

    @Option(help: "Steps between the loss reports (default: 250).")
    var evalInterval: Int?

    @Option(help: "Random batches each split's loss is estimated on at a report (default: 20).")
    var evalIters: Int?

    /// A flag given on the command line and the models it applies to.
    struct GivenFlag {
        /// The flag as it is spelled on the command line.
        let name: String
        /// The models it applies to.
        let models: [LanguageModelKind]
        /// What to use instead, for the models it does not apply to.
        let instead: [LanguageModelKind: String]

        /// Why it does not apply to `model` (nil for a classifier), as a sentence.
        func refusal(for model: LanguageModelKind?) -> String {
            let message = "\(name) applies to --model \(models.map(\.rawValue).joined(separator: " or ")) only"
            guard let model, let alternative = instead[model] else { return message }
            return "\(message) (for \(model.rawValue): \(alternative))"
        }
    }

    /// The flags given, as they are spelled on the command line, with the models they apply
    /// to (to refuse them for other models).
    var given: [GivenFlag] {
        let both = LanguageModelKind.allCases
        let flags: [(String, Bool, [LanguageModelKind], [LanguageModelKind: String])] = [
            ("--max-iters", maxIters != nil, both, [:]), ("--block-size", blockSize != nil, both, [:]),
            ("--n-layer", nLayer != nil, [.gpt], [.lstm: "--num-layers"]), ("--n-head", nHead != nil, [.gpt], [:]),
            ("--n-embd", nEmbd != nil, [.gpt], [.lstm: "--embedding-size and --hidden-size"]),
            ("--bias/--no-bias", bias != nil, [.gpt], [:]),
            ("--embedding-size", embeddingSize != nil, [.lstm], [.gpt: "--n-embd"]),
            ("--hidden-size", hiddenSize != nil, [.lstm], [.gpt: "--n-embd"]),
            ("--num-layers", numLayers != nil, [.lstm], [.gpt: "--n-layer"]),
            ("--min-lr", minLr != nil, both, [:]), ("--warmup-iters", warmupIters != nil, both, [:]),
            ("--lr-decay-iters", lrDecayIters != nil, both, [:]),
            ("--weight-decay", weightDecay != nil, [.gpt], [:]), ("--beta1", beta1 != nil, both, [:]),
            ("--beta2", beta2 != nil, both, [:]), ("--grad-clip", gradClip != nil, both, [:]),
            ("--eval-interval", evalInterval != nil, both, [:]), ("--eval-iters", evalIters != nil, both, [:]),
        ]
        return flags.filter(\.1).map { GivenFlag(name: $0.0, models: $0.2, instead: $0.3) }
    }

    /// Throws a ``ValidationError`` for a setting out of range.
    func validate() throws {
        func positive(_ value: Int?, _ name: String, limit: Int = 1_000_000_000) throws {
            if let value, !(1...limit).contains(value) { throw ValidationError("\(name) must be from 1 to \(limit), got \(value)") }
        }
        try positive(maxIters, "--max-iters")
        try positive(blockSize, "--block-size", limit: 1_000_000)
        try positive(nLayer, "--n-layer", limit: 1000)
        try positive(nHead, "--n-head", limit: 10_000)
        try positive(nEmbd, "--n-embd", limit: 100_000)
        try positive(embeddingSize, "--embedding-size", limit: LSTMConfig.maximumWidth)
        try positive(hiddenSize, "--hidden-size", limit: LSTMConfig.maximumWidth)
        try positive(numLayers, "--num-layers", limit: LSTMConfig.maximumLayers)
        try positive(evalInterval, "--eval-interval")
        try positive(evalIters, "--eval-iters", limit: 1_000_000)
        if let warmupIters, warmupIters < 0 { throw ValidationError("--warmup-iters must not be negative, got \(warmupIters)") }
        if let lrDecayIters, lrDecayIters < 1 { throw ValidationError("--lr-decay-iters must be at least 1, got \(lrDecayIters)") }
        if let minLr, !(minLr >= 0 && minLr.isFinite) { throw ValidationError("--min-lr must be zero or positive, got \(minLr)") }
        if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) { throw ValidationError("--weight-decay must be zero or positive, got \(weightDecay)") }
        for (name, beta) in [("--beta1", beta1), ("--beta2", beta2)] {
            if let beta, !(0..<1).contains(beta) { throw ValidationError("\(name) must be from 0 up to (not including) 1, got \(beta)") }
        }
        if let gradClip, !(gradClip >= 0 && gradClip.isFinite) { throw ValidationError("--grad-clip must be zero or positive, got \(gradClip)") }
    }

    /// Throws a ``ValidationError`` unless the GPT's width is a multiple of its heads.
    func validateGPTShape() throws {
        let (heads, width) = (nHead ?? 4, nEmbd ?? 128)
        if width % heads != 0 { throw ValidationError("--n-embd (\(width)) must be a multiple of --n-head (\(heads))") }
    }
}

/// `autograd train --model gpt` (or `lstm`): trains a character-level language model on the
/// bundled Shakespeare text as nanoGPT's `train.py` does, reporting the estimated train and
/// validation losses every `evalInterval` steps, then the validation loss over every
/// validation block, and saves the checkpoint.
struct LanguageModelTraining {
    /// The model.
    let kind: LanguageModelKind
    /// The settings, defaults filled in.
    let options: ResolvedLanguageModelOptions
    /// Where the checkpoint goes.
    let checkpointPath: String

    func run() throws {
        let data = try ShakespeareText.load()
        let shortest = min(data.tokens(.train).count, data.tokens(.validation).count)
        guard options.blockSize < shortest else {
            throw CommandError("--block-size \(options.blockSize) is too long: the Shakespeare validation split has \(shortest) characters, so blocks (and their next characters) can be at most \(shortest - 1) long")
        }
        manualSeed(options.seed)
        let generator = RandomGenerator.default
        let model = kind.make(options, vocabularySize: data.vocabularySize, generator: generator)
        let optimizer = kind.optimizer(for: model, options)
        let parameters = model.module.parameters()
        let clock = ContinuousClock()
        let start = clock.now
        print("training \(kind.rawValue) (\(model.module.parameterCount) parameters: \(model.summary)) on Shakespeare: \(data.tokens(.train).count) train and \(data.tokens(.validation).count) validation characters, \(data.vocabularySize) distinct")
        print(kind.optimizerSummary(options))

        model.module.train()
        var progress = ProgressBar(label: "steps", total: 0)
        for step in 0...options.maxIters {
            if step % options.evalInterval == 0 || step == options.maxIters {
                progress.clear()
                let losses = estimateLoss(model, data: data, iterations: options.evalIters, batchSize: options.batchSize, generator: generator)
                print(String(format: "step %d: train loss %.4f, val loss %.4f", step, losses.train, losses.validation))
                fflush(nil)
                let end = min(step + options.evalInterval, options.maxIters)
                progress = ProgressBar(label: "steps \(step + 1)-\(end)", total: end - step)
            }
            guard step < options.maxIters else { break }
            // determine and set the learning rate for this iteration
            let lr = options.learningRate(at: step)
            for index in optimizer.groups.indices { optimizer.groups[index].learningRate = lr }
            let (x, y) = data.batch(.train, batchSize: options.batchSize, blockSize: options.blockSize, generator: generator)
            let loss = model.meanLoss(x, y)
            let value = loss.item()
            guard value.isFinite else {
                progress.clear()
                throw CommandError("the loss became \(value) at step \(step + 1) (learning rate \(lr)); stopped without saving")
            }
            loss.backward()
            if options.gradClip > 0 { clipGradNorm(parameters, maxNorm: options.gradClip) }
            optimizer.step()
            optimizer.zeroGrad()
            progress.update(step % options.evalInterval + 1, status: String(format: "loss %.4f", value))
        }
        progress.clear()
        if let name = model.module.firstNonFiniteParameter() {
            throw CommandError("the weights of \(name) became nan or infinite; stopped without saving")
        }
        let trained = seconds(from: start, to: clock.now)
        let (loss, blocks) = validationLoss(model, data: data)
        print(String(format: "val loss %.4f (mean cross-entropy over all %d non-overlapping validation blocks of %d characters)",
                     loss, blocks, model.contextLength))
        var metadata = model.architectureMetadata
        metadata["model"] = kind.rawValue
        metadata["vocab"] = LanguageModelCheckpoint.encode(vocabulary: data.vocabulary)
        metadata["data"] = "shakespeare"
        metadata["steps"] = String(options.maxIters)
        metadata["seed"] = String(options.seed)
        metadata["val_loss"] = String(format: "%.4f", loss)
        try model.module.save(to: URL(fileURLWithPath: checkpointPath), metadata: metadata)
        print(String(format: "trained %d steps in %.1fs (%.1fs in all); saved %@", options.maxIters, trained,
                     seconds(from: start, to: clock.now), checkpointPath))
    }
}
