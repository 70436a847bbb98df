import XCTest
import Autograd

/// End to end on a slice of the bundled digits: a few optimizer steps lower the loss, and
/// a fixed seed gives the same run twice. (Training to accuracy is `autograd train`'s job.)
final class TrainingTests: XCTestCase {
    /// Trains a small model for `epochs` passes over 64 digits in shuffled batches of 16;
    /// returns each epoch's mean loss and the final parameters.
    private func run(seed: UInt64, epochs: Int, model kind: String) throws -> (losses: [Float], parameters: [[Float]]) {
        let digits = try Digits.load()
        let slice = Subset(digits, indices: Array(0..<64))
        manualSeed(seed)
        let model: Module = kind == "cnn"
            ? Sequential(Conv2d(inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4), ReLU(),
                         MaxPool2d(kernelSize: 2), Flatten(), Dropout(p: 0.1), Linear(inFeatures: 64, outFeatures: 10))
            : Sequential(Flatten(), Linear(inFeatures: 64, outFeatures: 32), ReLU(), Dropout(p: 0.1), Linear(inFeatures: 32, outFeatures: 10))
        let optimizer = Adam(parameters: model.parameters(), learningRate: 0.01)
        let loader = DataLoader(slice, batchSize: 16, shuffle: true)
        var losses: [Float] = []
        for _ in 0..<epochs {
            var total: Float = 0
            for (images, labels) in loader {
                optimizer.zeroGrad()
                let loss = CrossEntropyLoss()(model(images), labels)
                loss.backward()
                optimizer.step()
                total += loss.item()
            }
            losses.append(total / Float(loader.count))
        }
        return (losses, model.parameters().map(\.scalars))
    }

    func testAFewStepsLowerTheLoss() throws {
        for kind in ["mlp", "cnn"] {
            let losses = try run(seed: 1, epochs: 5, model: kind).losses
            XCTAssertLessThan(losses.last!, 0.7 * losses.first!, "\(kind): \(losses)")
        }
    }

    func testTheSameSeedGivesTheSameRun() throws {
        let first = try run(seed: 7, epochs: 1, model: "cnn"), second = try run(seed: 7, epochs: 1, model: "cnn")
        XCTAssertEqual(first.losses, second.losses)
        XCTAssertEqual(first.parameters, second.parameters)
        XCTAssertNotEqual(try run(seed: 8, epochs: 1, model: "cnn").losses, first.losses)
    }
}
