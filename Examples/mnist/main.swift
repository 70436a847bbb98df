// main.py of pytorch/examples' mnist, ported: a small convolutional network trained with
// Adadelta and a step-decayed learning rate. MNIST is not shipped, so unless --data points
// at its IDX files this port trains on the bundled 8×8 digits, with fc1 resized to match.
import ArgumentParser
import Autograd
import Foundation

/// The network: two 3×3 convolutions, 2×2 max pooling, dropout and two linear layers.
/// On 28×28 MNIST images fc1 takes 64·12·12 = 9216 features, as in the original; on the
/// 8×8 digits, 64·2·2 = 256 (6×6 after conv1, 4×4 after conv2, 2×2 after pooling).
final class Net: Module {
    /// `nn.Conv2d(1, 32, 3, 1)`.
    let conv1 = Conv2d(inChannels: 1, outChannels: 32, kernelSize: 3, stride: 1)
    /// `nn.Conv2d(32, 64, 3, 1)`.
    let conv2 = Conv2d(inChannels: 32, outChannels: 64, kernelSize: 3, stride: 1)
    /// `nn.Dropout(0.25)`.
    let dropout1 = Dropout(p: 0.25)
    /// `nn.Dropout(0.5)`.
    let dropout2 = Dropout(p: 0.5)
    /// `nn.Linear(9216, 128)` on MNIST, `nn.Linear(256, 128)` on the 8×8 digits.
    let fc1: Linear
    /// `nn.Linear(128, 10)`.
    let fc2 = Linear(inFeatures: 128, outFeatures: 10)

    /// The network for images of `height`×`width` pixels (28×28 in the original).
    init(height: Int = 28, width: Int = 28) {
        fc1 = Linear(inFeatures: 64 * ((height - 4) / 2) * ((width - 4) / 2), outFeatures: 128)
    }

    /// Log-probabilities `[N, 10]` of the digits in images `[N, 1, H, W]`.
    override func forward(_ x: Tensor) -> Tensor {
        var x = conv1(x)
        x = x.relu()
        x = conv2(x)
        x = x.relu()
        x = maxPool2d(x, kernelSize: (2, 2))
        x = dropout1(x)
        x = x.flatten(startDim: 1)
        x = fc1(x)
        x = x.relu()
        x = dropout2(x)
        x = fc2(x)
        let output = x.logSoftmax(dim: 1)
        return output
    }
}

/// `transforms.Normalize((mean,), (std,))`, applied to each batch as it is taken.
struct Normalize {
    /// The pixels' mean over the training images.
    let mean: Float
    /// Their standard deviation.
    let std: Float
    /// `(x - mean) / std`.
    func callAsFunction(_ x: Tensor) -> Tensor { (x - mean) / std }
}

/// One pass over the training set, printing the loss every `logInterval` batches.
func train(_ args: MNISTExample, _ model: Net, _ trainLoader: DataLoader<TensorDataset>, _ normalize: Normalize,
           _ optimizer: Adadelta, _ epoch: Int) {
    model.train()
    for (batchIdx, (input, target)) in trainLoader.enumerated() {
        let data = normalize(input)
        optimizer.zeroGrad()
        let output = model(data)
        let loss = nllLoss(output, target)
        loss.backward()
        optimizer.step()
        if batchIdx % args.logInterval == 0 {
            print(String(format: "Train Epoch: %d [%d/%d (%.0f%%)]\tLoss: %.6f",
                         epoch, batchIdx * data.shape[0], trainLoader.dataset.count,
                         100 * Double(batchIdx) / Double(trainLoader.count), loss.item()))
            fflush(nil)
            if args.dryRun { break }
        }
    }
}

/// The average loss and the accuracy on the test set.
func test(_ model: Net, _ testLoader: DataLoader<TensorDataset>, _ normalize: Normalize) {
    model.eval()
    var testLoss = 0.0
    var correct = 0
    noGrad {
        for (input, target) in testLoader {
            let output = model(normalize(input))
            testLoss += Double(nllLoss(output, target, reduction: .sum).item())  // sum up batch loss
            let pred = output.argmax(dim: 1, keepDim: true)  // get the index of the max log-probability
            correct += Int((pred .== target.reshape(pred.shape)).sum().item())
        }
    }
    testLoss /= Double(testLoader.dataset.count)
    print(String(format: "\nTest set: Average loss: %.4f, Accuracy: %d/%d (%.0f%%)\n",
                 testLoss, correct, testLoader.dataset.count, 100 * Double(correct) / Double(testLoader.dataset.count)))
    fflush(nil)
}

/// main.py's command line (argparse's flags, same names and defaults).
struct MNISTExample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-mnist",
        abstract: "PyTorch MNIST Example, ported (it trains on the bundled 8×8 digits unless --data names MNIST's folder).")

    @Option(name: .customLong("batch-size"), help: "input batch size for training")
    var batchSize = 64
    @Option(name: .customLong("test-batch-size"), help: "input batch size for testing")
    var testBatchSize = 1000
    @Option(help: "number of epochs to train")
    var epochs = 14
    @Option(help: "learning rate")
    var lr: Float = 1.0
    @Option(help: "Learning rate step gamma")
    var gamma: Float = 0.7
    @Flag(name: .customLong("dry-run"), help: "quickly check a single pass")
    var dryRun = false
    @Option(help: "random seed")
    var seed: UInt64 = 1
    @Option(name: .customLong("log-interval"), help: "how many batches to wait before logging training status")
    var logInterval = 10
    @Flag(name: .customLong("save-model"), help: "For Saving the current Model (mnist_cnn.safetensors)")
    var saveModel = false
    @Option(help: "the folder holding MNIST's IDX files, gzip-compressed or not (not in the original, which downloads them; default: the bundled 8×8 digits)")
    var data: String?

    func validate() throws {
        let positive = [("--batch-size", batchSize), ("--test-batch-size", testBatchSize), ("--epochs", epochs),
                        ("--log-interval", logInterval)]
        if let (name, value) = positive.first(where: { $0.1 < 1 }) { throw ValidationError("\(name) must be positive, got \(value)") }
        if !(lr >= 0) { throw ValidationError("Invalid learning rate: \(lr)") }
    }

    func run() throws {
        let args = self
        manualSeed(args.seed)

        let dataset1: TensorDataset, dataset2: TensorDataset
        let normalize: Normalize
        if let path = args.data {
            (dataset1, dataset2) = try MNIST.load(directory: URL(fileURLWithPath: path))
            normalize = Normalize(mean: 0.1307, std: 0.3081)
        } else {
            // The UCI digits: 1,438 training and 359 test images (a fixed split, seed 0);
            // their pixels' mean and standard deviation replace MNIST's.
            let (train, test) = try Digits.trainTestSplit()
            (dataset1, dataset2) = (gathered(train), gathered(test))
            normalize = Normalize(mean: 0.3053, std: 0.3760)
        }
        let (height, width) = (dataset1.inputShape[2], dataset1.inputShape[3])
        guard dataset1.inputShape[1] == 1, height >= 6, width >= 6 else {
            throw RunError("Net needs grey images of at least 6×6 pixels, got \(dataset1.inputShape.dropFirst().map(String.init).joined(separator: "×"))")
        }
        let trainLoader = DataLoader(dataset1, batchSize: args.batchSize, shuffle: true)
        let testLoader = DataLoader(dataset2, batchSize: args.testBatchSize)

        let model = Net(height: height, width: width)
        let optimizer = Adadelta(parameters: model.parameters(), learningRate: args.lr)

        let scheduler = StepLR(optimizer: optimizer, stepSize: 1, gamma: args.gamma)
        for epoch in 1...args.epochs {
            train(args, model, trainLoader, normalize, optimizer, epoch)
            test(model, testLoader, normalize)
            scheduler.step()
        }

        if args.saveModel {
            try model.save(to: URL(fileURLWithPath: "mnist_cnn.safetensors"))
        }
    }
}

/// All the examples of `subset` as a data set of their own.
func gathered(_ subset: Subset<TensorDataset>) -> TensorDataset {
    let (inputs, targets) = subset.batch(Array(0..<subset.count))
    return TensorDataset(inputs: inputs, targets: targets)
}

/// A failure while the program runs, printed as `Error: <message>`.
struct RunError: Error, CustomStringConvertible {
    /// The message.
    let description: String
    /// An error with `description` as its message.
    init(_ description: String) { self.description = description }
}

MNISTExample.main()
