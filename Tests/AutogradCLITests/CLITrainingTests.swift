import XCTest

/// `autograd train` on hostile options and data: each ends with one `Error: ...` line and
/// a non-zero status, writes nothing, and never traps.
final class CLITrainingTests: XCTestCase {
    private var cli: CLIProcess!

    override func setUpWithError() throws { cli = try CLIProcess() }
    override func tearDown() { cli.removeFolder() }

    /// A training run on the tiny IDX data in `data/`, saving into the test's folder.
    private func train(_ options: [String]) -> [String] {
        ["train", "--data", "mnist", "--data-path", cli.path("data"), "--epochs", "1", "--save", cli.path("model.safetensors")] + options
    }

    func testABatchSizeNearIntMaxIsRejected() throws {
        for size in [Int.max, Int.max - 1, Int(Int32.max) + 1, 0, -5] {
            try cli.expectFailure(train(["--batch-size=\(size)"]), status: 64, message: "--batch-size must be from 1 to 2147483647, got \(size)")
        }
        XCTAssertEqual(try cli.files(), [])
    }

    func testABatchSizeBeyondTheDataGivesOneBatchOfAllOfIt() throws {
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"))
        let result = try cli.run(train(["--batch-size", "2147483647"]))
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("batch size 8 (the whole training set)"), result.output)
        XCTAssertEqual(try cli.files(), ["data", "model.safetensors", "model.svg"])
    }

    func testAnInfiniteLearningRateStopsWhenTheLossIsNaNAndSavesNothing() throws {
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"))
        try cli.expectFailure(
            train(["--learning-rate", "inf", "--batch-size", "2"]), status: 1,
            message: "the loss became nan at epoch 1, step 2 of 4 (learning rate inf); stopped without saving")
        XCTAssertEqual(try cli.files(), ["data"])
    }

    func testAnInfiniteLearningRateWithOneBatchAnEpochStopsOnTheWeights() throws {
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"))
        try cli.expectFailure(
            train(["--learning-rate", "inf", "--optimizer", "sgd", "--batch-size", "8"]), status: 1,
            message: "became nan or infinite in epoch 1 (learning rate inf); stopped without saving")
        XCTAssertEqual(try cli.files(), ["data"])
    }

    func testTestImagesOfAnotherSizeThanTheTrainingImagesAreRejected() throws {
        let data = cli.folder.appendingPathComponent("data")
        try CLIFixtures.writeIDX(in: data, trainSize: (4, 4), testSize: (5, 5))
        try cli.expectFailure(
            train([]), status: 1,
            message: "the test images are 5×5 pixels but the training images in \(data.path)/train-images-idx3-ubyte are 4×4")
        XCTAssertEqual(try cli.files(), ["data"])
    }

    func testACNNOnImagesSmallerThanItsPoolingIsRejected() throws {
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"), trainSize: (1, 1))
        try cli.expectFailure(
            train(["--model", "cnn"]), status: 1,
            message: "the cnn needs images of at least 2×2 pixels (its 2×2 max pooling), but these are 1×1")
        // Images without pixels are refused by the loader itself, for every model.
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"), trainSize: (0, 0))
        for model in ["cnn", "mlp"] {
            try cli.expectFailure(
                train(["--model", model]), status: 1,
                message: "the images are 0×0 pixels; they need at least one row and one column")
        }
        XCTAssertEqual(try cli.files(), ["data"])
    }

    func testACNNOnTheSmallestImagesItAcceptsTrains() throws {
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"), trainSize: (2, 2))
        let result = try cli.run(train(["--model", "cnn"]))
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(try cli.files().contains("model.safetensors"))
    }

    func testImagesTooLargeForTheModelAreRejectedBeforeBuildingIt() throws {
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"), trainCount: 2, trainSize: (700, 700), testCount: 2)
        try cli.expectFailure(train([]), status: 1, message: "the mlp for 1×700×700 images would have more than 100000000 parameters")
    }

    func testLabelsOfOneClassAreRejected() throws {
        try CLIFixtures.writeIDX(in: cli.folder.appendingPathComponent("data"), trainCount: 1, testCount: 1)
        try cli.expectFailure(train([]), status: 1, message: "every training label is 0; a classifier needs at least 2 classes")
    }

    func testUsageErrorsAreOneLineToo() throws {
        try cli.expectFailure(["train", "--no-such-option"], status: 64, message: "Unknown option '--no-such-option'")
        try cli.expectFailure(["train", "--learning-rate", "nan"], status: 64, message: "--learning-rate must be positive, got nan")
    }
}
