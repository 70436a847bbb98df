import ArgumentParser
import Autograd
import Foundation

/// `autograd train`: trains a classifier on the digits (or MNIST), printing one line per
/// epoch, then writes the checkpoint and an SVG plot of the run; or, with `--model gpt` or
/// `--model lstm`, a character-level language model on the bundled Shakespeare text (see
/// ``LanguageModelTraining``).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier on the bundled digits (or MNIST), or a character GPT or LSTM on Shakespeare, and save a safetensors checkpoint.",
        discussion: """
            Classifiers: Adam (or SGD with Nesterov momentum) with cross-entropy and a \
            cosine-annealed learning rate. The digits are split 80/20 with a fixed seed, so \
            --seed changes only the initial weights, the dropout masks and the batch order. \
            --model gpt trains nanoGPT's transformer on the bundled Shakespeare text (the \
            first 90% of the characters; the last 10% are the validation split) with \
            nanoGPT's CPU settings unless told otherwise; --model lstm trains a character \
            LSTM (embedding 64, two layers of 256) on the same data with Adam.
            """)

    @Option(help: "The model: mlp or cnn (image classifiers), or gpt or lstm (character-level language models).")
    var model: TrainedModel = .mlp

    @Option(help: "Passes over the training set (default: 20 for mlp, 15 for cnn).")
    var epochs: Int?

    @Option(help: "Examples per optimizer step, 1 to \(Train.maximumBatchSize) (more than the training set gives one batch of all of it; default: 32, 12 blocks for gpt, 32 for lstm).")
    var batchSize: Int?

    @Option(help: "The initial learning rate (default: 0.003 for adam, 0.05 for sgd, 0.001 for gpt, 0.002 for lstm).")
    var learningRate: Float?

    @Option(help: "The optimizer for mlp and cnn: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: " or ")) (default: adam).")
    var optimizer: OptimizerKind?

    @Option(help: "The seed for the weights, dropout and shuffling (or the batches; default: 0, 1337 for gpt and lstm).")
    var seed: UInt64?

    @Option(name: .customLong("data"), help: "The data set for mlp and cnn: digits (bundled; the default) or mnist (needs --data-path).")
    var dataChoice: DataKind?

    @Option(help: "The folder holding MNIST's IDX files (for --data mnist).")
    var dataPath: String?

    @Option(help: "Where to write the checkpoint (default: <data>-<model>.safetensors; shakespeare-gpt.safetensors, shakespeare-lstm.safetensors).")
    var save: String?

    @Option(help: "Where to write the SVG plot of loss and accuracy (default: the checkpoint's name with .svg).")
    var plot: String?

    @Option(help: "The dropout probability, from 0 to 1, replacing the model's (0.2 for mlp, 0.25 for cnn, 0 for gpt and lstm).")
    var dropout: Float?

    @Flag(help: "Train as one process of an MPI job (mpirun, srun): --batch-size is the global batch, each process takes its share of every batch, and rank 0 alone prints and saves.")
    var distributed = false

    @OptionGroup(title: "Language models (--model gpt or lstm); the gpt's are named after nanoGPT's settings")
    var languageModel: LanguageModelOptions

    /// The largest `--batch-size` accepted.
    static let maximumBatchSize = Int(Int32.max)

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let batchSize, !(1...Train.maximumBatchSize).contains(batchSize) {
            throw ValidationError("--batch-size must be from 1 to \(Train.maximumBatchSize), got \(batchSize)")
        }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        if let dropout, !(0...1).contains(dropout) { throw ValidationError("--dropout must be from 0 to 1, got \(dropout)") }
        if let languageModel = model.languageModel {
            let classifierOnly: [(String, Bool)] = [
                ("--epochs", epochs != nil), ("--optimizer", optimizer != nil), ("--data", dataChoice != nil),
                ("--data-path", dataPath != nil), ("--plot", plot != nil), ("--distributed", distributed),
            ]
            if let name = classifierOnly.first(where: \.1)?.0 {
                throw ValidationError("\(name) does not apply to --model \(languageModel.rawValue) (it trains on the bundled Shakespeare text for --max-iters steps)")
            }
            if let flag = self.languageModel.given.first(where: { !$0.models.contains(languageModel) }) {
                throw ValidationError(flag.refusal(for: languageModel))
            }
            if languageModel == .gpt { try self.languageModel.validateGPTShape() }
            try OutputLocation.checkFile(checkpointPath, option: "--save")
            return
        }
        if let flag = languageModel.given.first {
            throw ValidationError(flag.refusal(for: nil))
        }
        if data == .mnist && dataPath == nil { throw ValidationError("--data mnist needs --data-path DIR") }
        try OutputLocation.checkFile(checkpointPath, option: "--save")
        try OutputLocation.checkFile(plotPath, option: "--plot")
    }

    /// The data set of a classifier.
    private var data: DataKind { dataChoice ?? .digits }

    /// The optimizer of a classifier.
    private var optimizerKind: OptimizerKind { optimizer ?? .adam }

    /// The settings of a language-model run, defaults filled in.
    private func resolvedLanguageModelOptions(for kind: LanguageModelKind) -> ResolvedLanguageModelOptions {
        var options = ResolvedLanguageModelOptions.defaults(for: kind)
        let given = languageModel
        options.maxIters = given.maxIters ?? options.maxIters
        options.batchSize = batchSize ?? options.batchSize
        options.blockSize = given.blockSize ?? options.blockSize
        options.nLayer = given.nLayer ?? options.nLayer
        options.nHead = given.nHead ?? options.nHead
        options.nEmbd = given.nEmbd ?? options.nEmbd
        options.dropout = dropout.map(Double.init) ?? options.dropout
        options.bias = given.bias ?? options.bias
        options.embeddingSize = given.embeddingSize ?? options.embeddingSize
        options.hiddenSize = given.hiddenSize ?? options.hiddenSize
        options.numLayers = given.numLayers ?? options.numLayers
        options.learningRate = learningRate ?? options.learningRate
        options.minLearningRate = given.minLr ?? options.minLearningRate
        options.warmupIters = given.warmupIters ?? options.warmupIters
        options.lrDecayIters = given.lrDecayIters ?? options.maxIters
        options.weightDecay = given.weightDecay ?? options.weightDecay
        options.beta1 = given.beta1 ?? options.beta1
        options.beta2 = given.beta2 ?? options.beta2
        options.gradClip = given.gradClip ?? options.gradClip
        options.evalInterval = given.evalInterval ?? options.evalInterval
        options.evalIters = given.evalIters ?? options.evalIters
        options.seed = seed ?? options.seed
        return options
    }

    /// Where the checkpoint goes.
    private var checkpointPath: String {
        if let languageModel = model.languageModel { return save ?? "shakespeare-\(languageModel.rawValue).safetensors" }
        return save ?? "\(data.rawValue)-\(model.rawValue).safetensors"
    }

    /// Where the plot goes.
    private var plotPath: String {
        plot ?? (checkpointPath.hasSuffix(".safetensors") ? String(checkpointPath.dropLast(".safetensors".count)) : checkpointPath) + ".svg"
    }

    func run() throws {
        if let languageModel = model.languageModel {
            return try LanguageModelTraining(kind: languageModel, options: resolvedLanguageModelOptions(for: languageModel),
                                             checkpointPath: checkpointPath).run()
        }
        guard let classifier = model.classifier else { preconditionFailure("every model is a classifier or a language model") }
        guard distributed else { return try train(classifier, group: nil) }
        let group = try DistributedTraining.makeGroup()
        do {
            try train(classifier, group: group)
        } catch where group.worldSize > 1 {
            // The other processes would wait for this one until the collective timeout.
            group.abort("Error: rank \(group.rank): \(AutogradCommand.oneLine(String(describing: error)))")
        }
    }

    /// Trains the classifier `model` in this process, or as one process of `group` (rank 0
    /// prints and saves).
    private func train(_ model: ModelKind, group: ProcessGroup?) throws {
        let isMain = (group?.rank ?? 0) == 0
        func print(_ line: String) { if isMain { Swift.print(line) } }
        let (train, test) = try data.load(path: dataPath)
        let epochs = self.epochs ?? model.defaultEpochs
        let learningRate = self.learningRate ?? optimizerKind.defaultLearningRate
        let classes = Int(train.targets.scalars.max() ?? 0) + 1
        guard classes >= 2 else { throw CommandError("every training label is 0; a classifier needs at least 2 classes") }
        // Like PyTorch's DataLoader, a batch size beyond the data gives one batch of all of it.
        let requestedBatchSize = self.batchSize ?? 32
        let batchSize = min(requestedBatchSize, train.count)
        let seed = self.seed ?? 0

        manualSeed(seed)
        let network = try model.make(imageShape: train.imageShape, classes: classes, dropout: dropout)
        let parallel = group.map { DistributedDataParallel(network, group: $0) }
        let optimizer = optimizerKind.make(parameters: network.parameters(), learningRate: learningRate)
        let scheduler = CosineAnnealingLR(optimizer: optimizer, tMax: epochs)
        let loader = DataLoader(train, batchSize: batchSize, shuffle: true)
        print("training \(model.rawValue) (\(network.parameterCount) parameters) on \(data.rawValue): \(train.count) train, \(test.count) test examples")
        let batchNote = batchSize < requestedBatchSize ? " (the whole training set)" : ""
        print("\(optimizerKind.rawValue), learning rate \(learningRate) (cosine annealed), batch size \(batchSize)\(batchNote), \(epochs) epoch\(epochs == 1 ? "" : "s"), seed \(seed)")
        if let group { print(DistributedTraining.summary(group, batchSize: batchSize)) }

        let clock = ContinuousClock()
        let start = clock.now
        var history: [EpochRecord] = []
        for epoch in 1...epochs {
            let epochStart = clock.now
            var progress = ProgressBar(label: "epoch \(epoch)/\(epochs)", total: loader.count)
            // Open MPI gives every process a terminal even when the job's output is a file.
            progress.isShown = progress.isShown && group?.usesMPI != true
            let loss: Double
            do {
                if let parallel {
                    loss = try trainOneEpoch(parallel, data: train, batchSize: batchSize, optimizer: optimizer, progress: progress)
                } else {
                    loss = try trainOneEpoch(network, loader: loader, optimizer: optimizer, progress: progress)
                }
            } catch let diverged as NonFiniteLoss {
                progress.clear()
                throw CommandError("the loss became \(diverged.loss) at epoch \(epoch), step \(diverged.step) of \(loader.count) (learning rate \(learningRate)); stopped without saving")
            }
            if let name = network.firstNonFiniteParameter() {
                progress.clear()
                throw CommandError("the weights of \(name) became nan or infinite in epoch \(epoch) (learning rate \(learningRate)); stopped without saving")
            }
            scheduler.step()
            let record = EpochRecord(
                epoch: epoch, loss: loss,
                trainAccuracy: accuracy(of: network, on: train, group: group), testAccuracy: accuracy(of: network, on: test, group: group),
                seconds: seconds(from: epochStart, to: clock.now))
            history.append(record)
            progress.clear()
            print(String(format: "epoch %\(String(epochs).count)d/%d  loss %.4f  train %6.2f%%  test %6.2f%%  %.2fs",
                         epoch, epochs, record.loss, record.trainAccuracy * 100, record.testAccuracy * 100, record.seconds))
        }

        guard let final = history.last else { throw CommandError("no epoch ran; nothing to save") }
        guard isMain else { return }
        let metadata = [
            "model": model.rawValue, "data": data.rawValue, "classes": String(classes),
            "image_shape": train.imageShape.map(String.init).joined(separator: ","),
            "epochs": String(epochs), "seed": String(seed), "test_accuracy": String(format: "%.4f", final.testAccuracy),
        ]
        try network.save(to: URL(fileURLWithPath: checkpointPath), metadata: metadata)
        let title = "\(model.rawValue) on \(data.rawValue): test accuracy \(String(format: "%.2f", final.testAccuracy * 100))%"
        do {
            try trainingPlotSVG(history, title: title).write(toFile: plotPath, atomically: true, encoding: .utf8)
        } catch {
            throw CommandError("cannot write the plot \(plotPath): \(error.localizedDescription)")
        }
        print(String(format: "test accuracy %.2f%% after %d epoch%@ in %.1fs; saved %@ and %@",
                     final.testAccuracy * 100, epochs, epochs == 1 ? "" : "s", seconds(from: start, to: clock.now), checkpointPath, plotPath))
    }
}

/// A training loss that is nan or infinite, which ends training.
struct NonFiniteLoss: Error {
    /// The loss.
    let loss: Float
    /// The step of the epoch, from 1, whose loss it was.
    let step: Int
}

/// One pass of optimizer steps over `loader` with the cross-entropy loss; returns the mean
/// loss per example.
/// - Throws: ``NonFiniteLoss`` at the first step whose loss is nan or infinite, before
///   that step updates the weights.
func trainOneEpoch(_ model: Module, loader: DataLoader<TensorDataset>, optimizer: any Optimizer, progress: ProgressBar) throws -> Double {
    model.train()
    var totalLoss = 0.0, seen = 0
    for (step, (images, labels)) in loader.enumerated() {
        optimizer.zeroGrad()
        let loss = crossEntropy(model(images), labels)
        let value = loss.item()
        guard value.isFinite else { throw NonFiniteLoss(loss: value, step: step + 1) }
        loss.backward()
        optimizer.step()
        totalLoss += Double(value) * Double(labels.count)
        seen += labels.count
        progress.update(step + 1, status: String(format: "loss %.4f", totalLoss / Double(seen)))
    }
    return totalLoss / Double(max(seen, 1))
}

extension Module {
    /// The name of the first parameter holding a nan or infinite value, if any.
    func firstNonFiniteParameter() -> String? {
        namedParameters().first { !$0.parameter.scalars.allSatisfy(\.isFinite) }?.name
    }
}

/// The seconds between two instants.
func seconds(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> Double {
    let duration = start.duration(to: end)
    return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}
