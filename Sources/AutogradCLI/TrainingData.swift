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
    func load(path: String?) throws -> (train: TensorDataset, test: TensorDataset) {
        switch self {
        case .digits:
            let (train, test) = try Digits.trainTestSplit()
            return (TensorDataset(train), TensorDataset(test))
        case .mnist:
            guard let path else { throw CommandError("--data mnist needs --data-path DIR (the folder holding MNIST's IDX files)") }
            let directory = URL(fileURLWithPath: path)
            return try MNIST.load(directory: directory)
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

/// A failure while a command runs, printed by ArgumentParser as one `Error: ...` line
/// (without the usage text a ``ValidationError`` brings).
struct CommandError: Error, CustomStringConvertible {
    /// The message.
    let description: String
    /// An error with the given message.
    init(_ description: String) { self.description = description }
}

/// Throws unless the folder that will hold `path` exists, so a run does not train for
/// minutes and then fail to save.
func checkWritableLocation(_ path: String, option: String) throws {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("\(option): the folder \(folder) does not exist")
    }
}
