import ArgumentParser
import Autograd
import Foundation

/// The options of `autograd train --model gpt` beyond the shared ones, named as nanoGPT's
/// configuration variables (`--max-iters` is `max_iters`); each defaults to nanoGPT's
/// setting for a CPU (its README's "I only have a macbook" run of `shakespeare_char`).
struct LanguageModelOptions: ParsableArguments {
    @Option(help: "Optimizer steps (default: 2000).")
    var maxIters: Int?

    @Option(help: "Characters of context, the length of each training block (default: 64).")
    var blockSize: Int?

    @Option(help: "Transformer blocks (default: 4).")
    var nLayer: Int?

    @Option(help: "Attention heads per block (default: 4).")
    var nHead: Int?

    @Option(help: "Embedding width, a multiple of --n-head (default: 128).")
    var nEmbd: Int?

    @Flag(inversion: .prefixedNo, help: "Biases in the linear layers and layer norms (default: --no-bias).")
    var bias: Bool?

    @Option(help: "The learning rate the cosine decay ends at (default: 0.0001).")
    var minLr: Float?

    @Option(help: "Steps of linear learning-rate warm-up (default: 100).")
    var warmupIters: Int?

    @Option(help: "The step the cosine decay reaches --min-lr (default: --max-iters).")
    var lrDecayIters: Int?

    @Option(help: "AdamW's weight decay on the parameters of two or more dimensions (default: 0.1).")
    var weightDecay: Float?

    @Option(help: "AdamW's first beta (default: 0.9).")
    var beta1: Float?

    @Option(help: "AdamW's second beta (default: 0.99).")
    var beta2: Float?

    @Option(help: "Clip the gradient norm at this value; 0 turns clipping off (default: 1.0).")
    var gradClip: Float?

    @Option(help: "Steps between the loss reports (default: 250).")
    var evalInterval: Int?

    @Option(help: "Random batches each split's loss is estimated on at a report (default: 20).")
    var evalIters: Int?

    /// The flags given, as they are spelled on the command line (to refuse them for models
    /// they do not apply to).
    var given: [String] {
        let flags: [(String, Bool)] = [
            ("--max-iters", maxIters != nil), ("--block-size", blockSize != nil), ("--n-layer", nLayer != nil),
            ("--n-head", nHead != nil), ("--n-embd", nEmbd != nil), ("--bias/--no-bias", bias != nil),
            ("--min-lr", minLr != nil), ("--warmup-iters", warmupIters != nil), ("--lr-decay-iters", lrDecayIters != nil),
            ("--weight-decay", weightDecay != nil), ("--beta1", beta1 != nil), ("--beta2", beta2 != nil),
            ("--grad-clip", gradClip != nil), ("--eval-interval", evalInterval != nil), ("--eval-iters", evalIters != nil),
        ]
        return flags.filter(\.1).map(\.0)
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
        let (heads, width) = (nHead ?? 4, nEmbd ?? 128)
        if width % heads != 0 { throw ValidationError("--n-embd (\(width)) must be a multiple of --n-head (\(heads))") }
    }
}

/// `autograd train --model gpt`: trains a character-level language model on the bundled
/// Shakespeare text as nanoGPT's `train.py` does, reporting the estimated train and
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
        manualSeed(options.seed)
        let generator = RandomGenerator.default
        let model = kind.make(options, vocabularySize: data.vocabularySize, generator: generator)
        let optimizer = kind.optimizer(for: model, options)
        let parameters = model.module.parameters()
        let clock = ContinuousClock()
        let start = clock.now
        print("training \(kind.rawValue) (\(model.module.parameterCount) parameters: \(model.summary)) on Shakespeare: \(data.tokens(.train).count) train and \(data.tokens(.validation).count) validation characters, \(data.vocabularySize) distinct")
        print("AdamW, learning rate \(options.learningRate) (\(options.warmupIters) warm-up steps, cosine decay to \(options.minLearningRate) at step \(options.lrDecayIters)), betas (\(options.beta1), \(options.beta2)), weight decay \(options.weightDecay) on 2-D weights, gradient clipping \(options.gradClip == 0 ? "off" : String(options.gradClip)), batch \(options.batchSize) × \(options.blockSize), \(options.maxIters) steps, seed \(options.seed)")

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
