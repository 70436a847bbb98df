import Autograd
import Foundation
import XCTest
@testable import AutogradCLI

/// `autograd train --model gpt`, `evaluate` and `generate` on language-model checkpoints:
/// options out of range and hostile checkpoints end with one `Error: ...` line, and
/// sampling is reproducible. (Training itself runs outside the test suite.)
final class CLILanguageModelTests: XCTestCase {
    private var cli: CLIProcess!

    override func setUpWithError() throws { cli = try CLIProcess() }
    override func tearDown() { cli.removeFolder() }

    /// The Shakespeare vocabulary.
    private let vocabulary = Array("\n !&',-.:;?ABCDEFGHIJKLMNOPQRSTUVWYZ[\\]_abcdefghijklmnopqrstuvwxyz")

    /// A tiny GPT over `vocabularySize` characters.
    private func tinyModel(vocabularySize: Int = 66, bias: Bool = false) -> GPT {
        GPT(GPTConfig(blockSize: 16, vocabSize: vocabularySize, nLayer: 1, nHead: 2, nEmbd: 8, bias: bias),
            generator: RandomGenerator(seed: 4))
    }

    /// Writes `model` with the metadata `train` writes, `changes` applied (nil removes a key),
    /// and `transform` applied to the tensors; returns the path.
    @discardableResult
    private func write(
        _ model: GPT, _ changes: [String: String?] = [:], name: String = "gpt.safetensors",
        transform: ([SafetensorsEntry]) -> [SafetensorsEntry] = { $0 }
    ) throws -> String {
        var metadata = model.config.metadata
        metadata["model"] = "gpt"
        metadata["vocab"] = LanguageModelCheckpoint.encode(vocabulary: vocabulary)
        for (key, value) in changes { metadata[key] = value }
        let entries = transform(model.stateDict().map { SafetensorsEntry(name: $0.name, tensor: $0.tensor) })
        try Safetensors.write(entries, metadata: metadata, to: cli.folder.appendingPathComponent(name))
        return cli.path(name)
    }

    func testTrainRefusesOptionsOfTheOtherKindOfModel() throws {
        try cli.expectFailure(["train", "--model", "gpt", "--epochs", "3"], status: 64,
                              message: "--epochs does not apply to --model gpt")
        try cli.expectFailure(["train", "--model", "gpt", "--optimizer", "sgd"], status: 64,
                              message: "--optimizer does not apply to --model gpt")
        try cli.expectFailure(["train", "--n-layer", "2"], status: 64, message: "--n-layer applies to --model gpt only")
        try cli.expectFailure(["train", "--model", "cnn", "--no-bias"], status: 64, message: "--bias/--no-bias applies to --model gpt only")
        XCTAssertEqual(try cli.files(), [])
    }

    func testTrainRefusesLanguageModelSettingsOutOfRange() throws {
        let cases: [([String], String)] = [
            (["--n-embd", "100", "--n-head", "3"], "--n-embd (100) must be a multiple of --n-head (3)"),
            (["--max-iters", "0"], "--max-iters must be from 1 to 1000000000, got 0"),
            (["--block-size=-4"], "--block-size must be from 1 to 1000000, got -4"),
            (["--beta2", "1"], "--beta2 must be from 0 up to (not including) 1, got 1.0"),
            (["--grad-clip", "nan"], "--grad-clip must be zero or positive, got nan"),
            (["--warmup-iters=-1"], "--warmup-iters must not be negative, got -1"),
            (["--batch-size", "0"], "--batch-size must be from 1 to 2147483647, got 0"),
            (["--learning-rate=-1"], "--learning-rate must be positive, got -1.0"),
            (["--save", "/nonexistent-folder/x.safetensors"], "--save"),
        ]
        for (options, message) in cases {
            try cli.expectFailure(["train", "--model", "gpt"] + options, status: 64, message: message)
        }
        XCTAssertEqual(try cli.files(), [])
    }

    func testTheLearningRateScheduleIsNanoGPTs() {
        let options = ResolvedLanguageModelOptions()      // 1e-3 to 1e-4, 100 warm-up steps, 2000 steps
        // Values of nanoGPT's get_lr for these settings, computed in Python.
        let expected: [(Int, Double)] = [(0, 9.900990099009901e-06), (99, 0.0009900990099009901), (100, 0.001),
                                         (1050, 0.00055), (1999, 0.00010000061514202532), (2000, 0.0001), (2500, 0.0001)]
        for (step, rate) in expected {
            XCTAssertEqual(Double(options.learningRate(at: step)), rate, accuracy: rate * 1e-6, "step \(step)")
        }
    }

    func testGenerateIsReproducibleAndStartsWithThePrompt() throws {
        let path = try write(tinyModel())
        let first = try cli.run(["generate", "--checkpoint", path, "--tokens", "40", "--seed", "5", "--prompt", "ROMEO:"])
        XCTAssertEqual(first.status, 0, first.errors)
        let text = String(first.output.dropLast())     // print's line break
        XCTAssertTrue(text.hasPrefix("ROMEO:"), text)
        XCTAssertEqual(text.unicodeScalars.count, 46, text)
        XCTAssertTrue(text.allSatisfy(vocabulary.contains), text)
        let again = try cli.run(["generate", "--checkpoint", path, "--tokens", "40", "--seed", "5", "--prompt", "ROMEO:"])
        XCTAssertEqual(again.output, first.output)
        // Keeping only the most likely character makes the seed irrelevant.
        let greedy = try cli.run(["generate", "--checkpoint", path, "--tokens", "20", "--top-k", "1", "--seed", "1"])
        let greedyAgain = try cli.run(["generate", "--checkpoint", path, "--tokens", "20", "--top-k", "1", "--seed", "2"])
        XCTAssertEqual(greedy.output, greedyAgain.output)
    }

    func testACheckpointHoldingOnlyOneOfTheTiedNamesLoads() throws {
        let path = try write(tinyModel()) { $0.filter { $0.name != "lm_head.weight" } }
        let result = try cli.run(["generate", "--checkpoint", path, "--tokens", "5"])
        XCTAssertEqual(result.status, 0, result.errors)
    }

    func testGenerateRefusesBadArguments() throws {
        let path = try write(tinyModel())
        try cli.expectFailure(["generate", "--checkpoint", path, "--tokens=-1"], status: 64, message: "--tokens must be from 0 to 1000000, got -1")
        try cli.expectFailure(["generate", "--checkpoint", path, "--temperature", "0"], status: 64, message: "--temperature must be positive, got 0.0")
        try cli.expectFailure(["generate", "--checkpoint", path, "--top-k=-3"], status: 64, message: "--top-k must be 0 (all) or positive, got -3")
        try cli.expectFailure(["generate", "--checkpoint", path, "--prompt", ""], status: 64, message: "--prompt needs at least one character")
        try cli.expectFailure(["generate", "--checkpoint", path, "--prompt", "Xerxes"], status: 1,
                              message: "the prompt has characters outside the model's vocabulary: \"X\"")
        try cli.expectFailure(["generate", "--checkpoint", cli.path("missing.safetensors")], status: 1, message: "cannot read checkpoint")
    }

    func testHostileLanguageModelCheckpointsAreRefused() throws {
        let model = tinyModel()
        let cases: [([String: String?], String)] = [
            (["vocab": nil], "does not record its vocabulary"),
            (["vocab": "abc"], "the metadata's vocab is not a JSON string"),
            (["vocab": "\"aab\""], "the metadata's vocab must list distinct characters, got 3 characters with 2 distinct"),
            (["vocab": "\"\""], "the metadata's vocab must list distinct characters, got 0 characters with 0 distinct"),
            (["n_head": "3"], "do not describe a GPT"),
            (["n_layer": "-2"], "do not describe a GPT"),
            (["n_embd": "99999999"], "do not describe a GPT"),
            (["bias": "sometimes"], "do not describe a GPT"),
            (["vocab_size": "10"], "vocab_size 10 is smaller than its vocabulary of 66 characters"),
            (["n_layer": "2"], "does not fit the GPT its metadata describes: checkpoint lacks entries the model has: transformer.h.1.ln_1.weight"),
            (["bias": "true"], "does not fit the GPT its metadata describes: checkpoint lacks entries the model has"),
            (["block_size": "32"], "does not fit the GPT its metadata describes: size mismatch for transformer.wpe.weight"),
        ]
        for (changes, message) in cases {
            let path = try write(model, changes)
            try cli.expectFailure(["generate", "--checkpoint", path, "--tokens", "3"], status: 1, message: message)
            try cli.expectFailure(["evaluate", "--checkpoint", path], status: 1, message: message)
        }
    }

    func testEvaluateRefusesAVocabularyWithoutTheTextsCharactersAndClassifierOptions() throws {
        let model = tinyModel(vocabularySize: 66)
        let path = try write(model, ["vocab": LanguageModelCheckpoint.encode(vocabulary: vocabulary.dropLast() + ["\u{e9}"])])
        try cli.expectFailure(["evaluate", "--checkpoint", path], status: 1,
                              message: "vocabulary lacks characters of the Shakespeare text: \"z\"")
        let honest = try write(model, name: "honest.safetensors")
        try cli.expectFailure(["evaluate", "--checkpoint", honest, "--data", "mnist"], status: 64,
                              message: "--model, --data, --data-path and --split apply to classifier checkpoints")
        try cli.expectFailure(["evaluate"], status: 64, message: "give the checkpoint to evaluate")
        try cli.expectFailure(["generate", "--checkpoint", cli.path("../\(cli.folder.lastPathComponent)/none")], status: 1,
                              message: "cannot read checkpoint")
    }
}
