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
    /// - Throws: a one-line error when a file is missing or damaged, the training set is
    ///   empty, or the test images differ in shape from the training images.
    func load(path: String?) throws -> (train: TensorDataset, test: TensorDataset) {
        let train: TensorDataset, test: TensorDataset
        switch self {
        case .digits:
            let split = try Digits.trainTestSplit()
            (train, test) = (TensorDataset(split.train), TensorDataset(split.test))
        case .mnist:
            guard let path else { throw CommandError("--data mnist needs --data-path DIR (the folder holding MNIST's IDX files)") }
            let directory = URL(fileURLWithPath: path)
            (train, test) = (try MNIST.load(directory: directory, split: .train), try MNIST.load(directory: directory, split: .test))
        }
        let source = path.map { "the \(rawValue) data in \($0)" } ?? "the \(rawValue) data"
        guard train.count > 0 else { throw CommandError("\(source) has no training examples") }
        guard test.imageShape == train.imageShape else {
            throw CommandError("\(source) has test images of \(describe(shape: test.imageShape)) but training images of \(describe(shape: train.imageShape)); they must match")
        }
        return (train, test)
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
    var imageShape: [Int] { Array(inputs.shape.dropFirst()) }
}

/// A shape written as `1×28×28`.
func describe(shape: [Int]) -> String {
    shape.map(String.init).joined(separator: "×")
}
