import ArgumentParser
import Autograd
import Foundation

/// `autograd evaluate FILE`: the accuracy of a checkpoint written by `train`.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the test accuracy of a checkpoint written by `autograd train`.",
        discussion: "The model and data set are read from the checkpoint's metadata; --model and --data override them (for checkpoints made elsewhere, such as by PyTorch).")

    /// Which examples to score.
    enum Split: String, CaseIterable, ExpressibleByArgument {
        case test, train, all
    }

    @Argument(help: "The safetensors checkpoint.")
    var file: String

    @Option(help: "Which examples to score: test, train or all.")
    var split: Split = .test

    @Option(help: "The model, if the checkpoint does not record it: mlp or cnn.")
    var model: ModelKind?

    @Option(help: "The data set, if the checkpoint does not record it: digits or mnist.")
    var data: DataKind?

    @Option(help: "The folder holding MNIST's IDX files (for mnist checkpoints).")
    var dataPath: String?

    func run() throws {
        let contents = try Safetensors.read(from: URL(fileURLWithPath: file))
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
