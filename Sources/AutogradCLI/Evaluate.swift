import ArgumentParser
import Autograd
import Foundation

/// `autograd evaluate FILE` (or `--checkpoint FILE`): the accuracy of a classifier
/// checkpoint written by `train`, or the validation loss of a language-model checkpoint.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the test accuracy (or, for a gpt or lstm, the validation loss) of a checkpoint written by `autograd train`.",
        discussion: """
            The model and data set are read from the checkpoint's metadata; --model and --data \
            override them for classifiers (for checkpoints made elsewhere, such as by PyTorch). \
            For a gpt checkpoint (nanoGPT's n_layer, n_head, n_embd, block_size, vocab_size, \
            bias and vocab in the metadata) or an lstm checkpoint (model lstm, embedding_size, \
            hidden_size, num_layers, vocab_size, block_size and vocab) it prints the mean \
            cross-entropy over every non-overlapping block of block_size characters of the \
            Shakespeare validation split, each lstm block from a zero state.
            """)

    /// Which examples to score.
    enum Split: String, CaseIterable, ExpressibleByArgument {
        case test, train, all
    }

    @Argument(help: "The safetensors checkpoint (or give it with --checkpoint).")
    var file: String?

    @Option(help: "The safetensors checkpoint.")
    var checkpoint: String?

    @Option(help: "Which examples to score: test, train or all.")
    var split: Split = .test

    @Option(help: "The model, if the checkpoint does not record it: mlp or cnn.")
    var model: ModelKind?

    @Option(help: "The data set, if the checkpoint does not record it: digits or mnist.")
    var data: DataKind?

    @Option(help: "The folder holding MNIST's IDX files (for mnist checkpoints).")
    var dataPath: String?

    func validate() throws {
        switch (file, checkpoint) {
        case (nil, nil): throw ValidationError("give the checkpoint to evaluate: autograd evaluate FILE or --checkpoint FILE")
        case (_?, _?): throw ValidationError("give the checkpoint once: as FILE or as --checkpoint FILE, not both")
        default: break
        }
    }

    func run() throws {
        guard let file = file ?? checkpoint else { throw ValidationError("give the checkpoint to evaluate") }
        let contents = try Safetensors.read(from: URL(fileURLWithPath: file))
        if let languageModel = try LanguageModelCheckpoint(file: file, contents: contents) {
            guard model == nil, data == nil, dataPath == nil, split == .test else {
                throw ValidationError("--model, --data, --data-path and --split apply to classifier checkpoints; \(file) is a \(languageModel.kind.rawValue)")
            }
            return try evaluate(languageModel)
        }
        try evaluateClassifier(file: file, contents: contents)
    }

    /// Prints the validation loss of a language model.
    private func evaluate(_ checkpoint: LanguageModelCheckpoint) throws {
        let model = try checkpoint.kind.load(checkpoint)
        let data = try shakespeare(encodedWith: checkpoint.vocabulary, file: checkpoint.file)
        let characters = data.tokens(.validation).count
        guard model.contextLength < characters else {
            throw CommandError("\(checkpoint.file): block_size \(model.contextLength) is longer than the Shakespeare validation split allows (\(characters) characters: blocks of at most \(characters - 1) with their next characters)")
        }
        let (loss, blocks) = validationLoss(model, data: data)
        print(String(format: "val loss %.4f (%@ %@, %@: mean cross-entropy over all %d non-overlapping blocks of %d characters of the Shakespeare validation split)",
                     loss, checkpoint.file, checkpoint.kind.rawValue, model.summary, blocks, model.contextLength))
    }

    /// Prints the accuracy of an image classifier.
    private func evaluateClassifier(file: String, contents: SafetensorsFile) throws {
        let checkpoint = CheckpointMetadata(file: file, metadata: contents.metadata, tensors: contents.tensors.mapValues(\.tensor))
        let model = try checkpoint.model(override: model)
        let data = try checkpoint.data(override: data)
        let (train, test) = try data.load(path: dataPath)
        try checkpoint.checkImageShape(train.imageShape, data: data)
        let classes = try checkpoint.classes(model: model, fallback: Int(train.targets.scalars.max() ?? 0) + 1)
        let network = try model.make(imageShape: train.imageShape, classes: classes)
        try network.loadStateDict(checkpoint.tensors)
        let examples: TensorDataset
        switch split {
        case .test: examples = test
        case .train: examples = train
        case .all:
            examples = TensorDataset(inputs: cat([train.inputs, test.inputs]), targets: cat([train.targets, test.targets]))
        }
        let (fraction, correct) = accuracy(of: network, on: examples)
        let scope = split == .all ? "accuracy on all examples" : "\(split.rawValue) accuracy"
        print(String(format: "%@ of %@ (%@ on %@): %.2f%% (%d/%d)",
                     scope, file, model.rawValue, data.rawValue, fraction * 100, correct, examples.count))
    }
}
