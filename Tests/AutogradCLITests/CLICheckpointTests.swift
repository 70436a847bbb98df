import Autograd
import Foundation
import XCTest
@testable import AutogradCLI

/// `autograd evaluate` on checkpoints whose metadata or tensors are hostile: every field is
/// checked before use, with one `Error: ...` line and status 1.
final class CLICheckpointTests: XCTestCase {
    private var cli: CLIProcess!

    override func setUpWithError() throws {
        cli = try CLIProcess()
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"))
    }

    override func tearDown() { cli.removeFolder() }

    /// The metadata `train` writes for an MLP on the tiny IDX data.
    private let honest = ["model": "mlp", "data": "mnist", "classes": "2", "image_shape": "1,4,4"]

    /// Writes a checkpoint with `changes` applied to ``honest`` (a nil value removes the
    /// key) and evaluates it.
    private func evaluate(
        _ changes: [String: String?], model: ModelKind = .mlp, side: Int = 4, classes: Int = 2, options: [String] = [],
        message: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var metadata = honest
        for (key, value) in changes { metadata[key] = value }
        let url = cli.folder.appendingPathComponent("hostile.safetensors")
        try CLIFixtures.writeCheckpoint(model, side: side, classes: classes, metadata: metadata, to: url)
        try cli.expectFailure(
            ["evaluate", url.path, "--data-path", cli.path("data")] + options, status: 1, message: message, file: file, line: line)
    }

    func testAnHonestCheckpointIsEvaluated() throws {
        let url = cli.folder.appendingPathComponent("honest.safetensors")
        try CLIFixtures.writeCheckpoint(.mlp, metadata: honest, to: url)
        let result = try cli.run(["evaluate", url.path, "--data-path", cli.path("data")])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.hasPrefix("test accuracy of \(url.path) (mlp on mnist): "), result.output)
    }

    func testClassesOutOfRangeOrNotANumberAreRejected() throws {
        for value in ["-1", "0", "1", "1e11", "100000000000", String(Int.max), "99999999999999999999999", "ten", ""] {
            try evaluate(["classes": value], message: "the metadata's classes '\(value)' is not a whole number from 2 to 100000")
        }
    }

    func testClassesThatDisagreeWithTheOutputLayerAreRejected() throws {
        try evaluate(["classes": "7"], message: "the metadata says 7 classes but the output layer 4 has 2")
        try evaluate(["classes": "3", "model": "cnn"], model: .cnn, message: "the metadata says 3 classes but the output layer 11 has 2")
    }

    func testTensorsOfAnotherModelThanTheMetadataSaysAreRejected() throws {
        try evaluate([:], model: .cnn, message: "is not a checkpoint of the mlp: its 4.weight is [32] and 4.bias [32], where the mlp's output layer has [classes, 256] and [classes]")
    }

    func testAnUnknownModelOrDataSetIsRejected() throws {
        try evaluate(["model": "resnet"], message: "the metadata's model 'resnet' is not mlp or cnn; pass --model")
        try evaluate(["model": nil], message: "does not record its model; pass --model mlp or --model cnn")
        try evaluate(["data": "imagenet\nsecond line"], message: "the metadata's data 'imagenet\\nsecond line' is not digits or mnist; pass --data")
        try evaluate(["model": String(repeating: "x", count: 10_000)], message: "the metadata's model '\(String(repeating: "x", count: 40))…'")
    }

    func testAnImageShapeThatIsMalformedOrDiffersFromTheDataIsRejected() throws {
        for value in ["0,0,0", "-1,4,4", "1,4", "1,4,4,4", "1,99999999999999999999,1", "a,b,c"] {
            try evaluate(["image_shape": value], message: "the metadata's image_shape '\(value)' is not three positive whole numbers")
        }
        try evaluate(["image_shape": "1,28,28"], message: "was trained on 1×28×28 images but the mnist images are 1×4×4")
    }

    func testACheckpointForAnotherArchitectureFailsToLoadOnOneLine() throws {
        try evaluate([:], options: ["--model", "cnn"], message: "checkpoint lacks entries the model has: 0.weight")
        try evaluate(["image_shape": nil], side: 5, message: "size mismatch for 1.weight")
    }

    func testAnOutputLayerWithTooManyClassesIsRejected() throws {
        let url = cli.folder.appendingPathComponent("wide.safetensors")
        let entries = [
            SafetensorsEntry(name: "4.weight", tensor: Tensor.zeros([1, 256]), dtype: .float32),
            SafetensorsEntry(name: "4.bias", tensor: Tensor.zeros([1]), dtype: .float32),
        ]
        try Safetensors.write(entries, metadata: ["model": "mlp", "data": "mnist"], to: url)
        try cli.expectFailure(
            ["evaluate", url.path, "--data-path", cli.path("data")], status: 1,
            message: "the output layer 4 has 1 classes; the mlp is built for 2 to 100000")
    }

    func testACNNCheckpointOnImagesTooSmallIsRejected() throws {
        let tiny = cli.folder.appendingPathComponent("tiny")
        try CLIFixtures.writeIDX(in: tiny, trainSize: (1, 1))
        let url = cli.folder.appendingPathComponent("cnn.safetensors")
        try CLIFixtures.writeCheckpoint(.cnn, metadata: ["model": "cnn", "data": "mnist"], to: url)
        try cli.expectFailure(
            ["evaluate", url.path, "--data-path", tiny.path], status: 1,
            message: "the cnn needs images of at least 2×2 pixels (its 2×2 max pooling), but these are 1×1")
    }

    func testAFileThatIsNotACheckpointIsRejected() throws {
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: cli.path("junk.safetensors")))
        try cli.expectFailure(["evaluate", cli.path("junk.safetensors")], status: 1, message: "checkpoint")
        try cli.expectFailure(["evaluate", cli.path("absent.safetensors")], status: 1, message: "cannot read checkpoint")
    }
}
