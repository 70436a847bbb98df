import ArgumentParser
import Autograd
import Foundation

/// The data sets `autograd train` and `evaluate` read.
enum DataKind: String, CaseIterable, ExpressibleByArgument {
    /// The UCI digits bundled with the package, split 80/20 with a fixed seed.
    case digits
    /// MNIST's IDX files from `--data-path`.
    case mnist

    /// The training and test examples.
    /// - Throws: a one-line error when a file is missing or damaged (the MNIST loader
    ///   refuses empty files and test images of another size than the training images).
    func load(path: String?) throws -> (train: TensorDataset, test: TensorDataset) {
        switch self {
        case .digits:
            let split = try Digits.trainTestSplit()
            return (TensorDataset(split.train), TensorDataset(split.test))
        case .mnist:
            guard let path else { throw CommandError("--data mnist needs --data-path DIR (the folder holding MNIST's IDX files)") }
            return try MNIST.load(directory: URL(fileURLWithPath: path))
        }
    }
}

/// The fraction of `dataset`'s examples that `model` (in evaluation mode) classifies
/// correctly, and how many that is.
func accuracy(of model: Module, on dataset: TensorDataset, batchSize: Int = 512) -> (fraction: Double, correct: Int) {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    var correct = 0
    noGrad {
        for start in stride(from: 0, to: dataset.count, by: batchSize) {
            let (images, labels) = dataset.batch(Array(start..<min(start + batchSize, dataset.count)))
            let predictions = model(images).argmax(dim: 1).scalars
            correct += zip(predictions, labels.scalars).filter { $0 == $1 }.count
        }
    }
    return (dataset.count == 0 ? 0 : Double(correct) / Double(dataset.count), correct)
}

extension TensorDataset {
    /// All the examples of `subset`, gathered into tensors of their own.
    init<Base: Dataset>(_ subset: Subset<Base>) {
        let (inputs, targets) = subset.batch(Array(0..<subset.count))
        self.init(inputs: inputs, targets: targets)
    }

    /// The shape of one input, `[channels, height, width]`.
    var imageShape: [Int] { Array(inputShape.dropFirst()) }
}

/// A shape written as `1×28×28`.
func describe(shape: [Int]) -> String {
    shape.map(String.init).joined(separator: "×")
}
