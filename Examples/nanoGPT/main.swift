// nanoGPT's train.py (and the sampling of sample.py), ported: trains the character-level GPT
// on the bundled Shakespeare text with the settings of nanoGPT's README for a laptop CPU,
// then samples from it. The model itself is the library's GPT (Sources/AutogradNN/GPT/).
import ArgumentParser
import Autograd
import Foundation

/// train.py's configuration: every setting a flag with nanoGPT's name (`--max_iters=2000`
/// works as in nanoGPT's configurator), defaulting to the README's CPU run.
struct NanoGPT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-nanogpt",
        abstract: "nanoGPT's train.py on the bundled Shakespeare text (character level), then a sample as sample.py draws it.")

    // I/O
    @Option(name: .customLong("eval_interval"), help: "estimate the train and val losses every this many steps")
    var evalInterval = 250
    @Option(name: .customLong("log_interval"), help: "print the training loss every this many steps")
    var logInterval = 10
    @Option(name: .customLong("eval_iters"), help: "batches per loss estimate")
    var evalIters = 20
    // data
    @Option(name: .customLong("batch_size"), help: "sequences per batch")
    var batchSize = 12
    @Option(name: .customLong("block_size"), help: "context length in characters")
    var blockSize = 64
    // model
    @Option(name: .customLong("n_layer")) var nLayer = 4
    @Option(name: .customLong("n_head")) var nHead = 4
    @Option(name: .customLong("n_embd")) var nEmbd = 128
    @Option(help: "for pretraining 0 is good, for finetuning try 0.1+")
    var dropout = 0.0
    @Option(help: "do we use bias inside LayerNorm and Linear layers? (true or false)")
    var bias = false
    // adamw optimizer
    @Option(name: .customLong("learning_rate"), help: "max learning rate")
    var learningRate: Float = 1e-3
    @Option(name: .customLong("max_iters"), help: "total number of training iterations")
    var maxIters = 2000
    @Option(name: .customLong("weight_decay")) var weightDecay: Float = 1e-1
    @Option var beta1: Float = 0.9
    @Option var beta2: Float = 0.99
    @Option(name: .customLong("grad_clip"), help: "clip gradients at this value, or disable if == 0.0")
    var gradClip: Float = 1.0
    // learning rate decay settings
    @Option(name: .customLong("warmup_iters"), help: "how many steps to warm up for")
    var warmupIters = 100
    @Option(name: .customLong("lr_decay_iters"), help: "should be ~= max_iters per Chinchilla")
    var lrDecayIters = 2000
    @Option(name: .customLong("min_lr"), help: "minimum learning rate, should be ~= learning_rate/10 per Chinchilla")
    var minLr: Float = 1e-4
    // system
    @Option var seed: UInt64 = 1337
    // sample.py
    @Option(name: .customLong("num_samples"), help: "number of samples to draw after training (sample.py draws 10)")
    var numSamples = 1
    @Option(name: .customLong("max_new_tokens"), help: "number of tokens generated in each sample")
    var maxNewTokens = 500
    @Option(help: "1.0 = no change, < 1.0 = less random, > 1.0 = more random, in predictions")
    var temperature = 0.8
    @Option(name: .customLong("top_k"), help: "retain only the top_k most likely tokens, clamp others to have 0 probability")
    var topK = 200

    func validate() throws {
        let positive = [("--eval_interval", evalInterval), ("--log_interval", logInterval), ("--eval_iters", evalIters),
                        ("--batch_size", batchSize), ("--block_size", blockSize), ("--n_layer", nLayer),
                        ("--n_head", nHead), ("--n_embd", nEmbd), ("--top_k", topK)]
        if let (name, value) = positive.first(where: { $0.1 < 1 }) { throw ValidationError("\(name) must be positive, got \(value)") }
        if nEmbd % nHead != 0 { throw ValidationError("n_embd (\(nEmbd)) must be a multiple of n_head (\(nHead))") }
        if !(0...1).contains(dropout) { throw ValidationError("dropout probability has to be between 0 and 1, but got \(dropout)") }
        if maxIters < 0 || warmupIters < 0 || numSamples < 0 || maxNewTokens < 0 {
            throw ValidationError("--max_iters, --warmup_iters, --num_samples and --max_new_tokens must be at least 0")
        }
        if lrDecayIters <= warmupIters { throw ValidationError("--lr_decay_iters must be greater than --warmup_iters") }
        if !(learningRate > 0) || !(minLr >= 0) || !(weightDecay >= 0) || !(gradClip >= 0) {
            throw ValidationError("--learning_rate must be positive and --min_lr, --weight_decay and --grad_clip at least 0")
        }
        if !(0..<1).contains(beta1) || !(0..<1).contains(beta2) { throw ValidationError("--beta1 and --beta2 must be in [0, 1)") }
        if !(temperature > 0) { throw ValidationError("--temperature must be positive, got \(temperature)") }
    }

    func run() throws {
        let tokensPerIter = batchSize * blockSize
        print("tokens per iteration will be: \(tokensPerIter)")
        manualSeed(seed)

        // poor man's data loader: data/shakespeare_char's prepare.py and get_batch
        let data = try ShakespeareText.load()
        print("found vocab_size = \(data.vocabularySize) (the bundled Shakespeare text: \(data.tokens(.train).count) train and \(data.tokens(.validation).count) val characters)")

        // model init
        let modelArgs = GPTConfig(blockSize: blockSize, vocabSize: data.vocabularySize, nLayer: nLayer, nHead: nHead,
                                  nEmbd: nEmbd, dropout: dropout, bias: bias)
        let model = GPT(modelArgs)
        print(String(format: "number of parameters: %.2fM", Double(model.numParameters()) / 1e6))

        // optimizer
        let optimizer = model.configureOptimizers(weightDecay: weightDecay, learningRate: learningRate, betas: (beta1, beta2))

        // helps estimate an arbitrarily accurate loss over either split using many batches
        func estimateLoss() -> (train: Float, val: Float) {
            model.eval()
            defer { model.train() }
            let losses = [CharacterDataset.Split.train, .validation].map { split in
                noGrad {
                    (0..<evalIters).map { _ in
                        let (x, y) = data.batch(split, batchSize: batchSize, blockSize: blockSize)
                        return model(x, targets: y).loss!.item()
                    }.reduce(0, +) / Float(evalIters)
                }
            }
            return (losses[0], losses[1])
        }

        // learning rate decay scheduler (cosine with warmup)
        func getLr(_ it: Int) -> Float {
            // 1) linear warmup for warmup_iters steps
            if it < warmupIters { return learningRate * Float(it + 1) / Float(warmupIters + 1) }
            // 2) if it > lr_decay_iters, return min learning rate
            if it > lrDecayIters { return minLr }
            // 3) in between, use cosine decay down to min learning rate
            let decayRatio = Double(it - warmupIters) / Double(lrDecayIters - warmupIters)
            let coeff = Float(0.5 * (1.0 + cos(Double.pi * decayRatio)))  // coeff ranges 0..1
            return minLr + coeff * (learningRate - minLr)
        }

        // training loop
        var (x, y) = data.batch(.train, batchSize: batchSize, blockSize: blockSize)  // fetch the very first batch
        var t0 = Date()
        var iterNum = 0
        while true {
            // determine and set the learning rate for this iteration
            let lr = getLr(iterNum)
            for index in optimizer.groups.indices { optimizer.groups[index].learningRate = lr }

            // evaluate the loss on train/val sets
            if iterNum % evalInterval == 0 {
                let losses = estimateLoss()
                print(String(format: "step %d: train loss %.4f, val loss %.4f", iterNum, losses.train, losses.val))
                fflush(nil)
            }
            // forward backward update
            let (_, loss) = model(x, targets: y)
            // immediately async prefetch next batch while model is doing the forward pass on the GPU
            (x, y) = data.batch(.train, batchSize: batchSize, blockSize: blockSize)
            loss!.backward()
            // clip the gradient
            if gradClip != 0 { clipGradNorm(model.parameters(), maxNorm: gradClip) }
            // step the optimizer
            optimizer.step()
            // flush the gradients as soon as we can, no need for this memory anymore
            optimizer.zeroGrad()

            // timing and logging
            let t1 = Date()
            let dt = t1.timeIntervalSince(t0)
            t0 = t1
            if iterNum % logInterval == 0 {
                let lossf = loss!.item()
                guard lossf.isFinite else { throw RunError("the loss became \(lossf) at iter \(iterNum)") }
                print(String(format: "iter %d: loss %.4f, time %.2fms", iterNum, lossf, dt * 1000))
                fflush(nil)
            }
            iterNum += 1

            // termination conditions
            if iterNum > maxIters { break }
        }

        // sample.py: start from a newline, then sample
        model.eval()
        let startIds = data.encode("\n")
        for _ in 0..<numSamples {
            let y = model.generate(Tensor([startIds]), maxNewTokens: maxNewTokens, temperature: temperature, topK: topK)
            print(data.decode(y[0].asArray(Int.self)))
            print("---------------")
        }
    }
}

/// A failure while the program runs, printed as `Error: <message>`.
struct RunError: Error, CustomStringConvertible {
    /// The message.
    let description: String
    /// An error with `description` as its message.
    init(_ description: String) { self.description = description }
}

NanoGPT.main()
