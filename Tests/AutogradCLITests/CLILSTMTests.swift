import Autograd
import Foundation
import XCTest
@testable import AutogradCLI

/// `autograd train --model lstm`, and `evaluate` and `generate` on LSTM checkpoints: a tiny
/// run writes a checkpoint that evaluates to the loss it printed, a checkpoint of known
/// weights gives PyTorch's validation loss and greedy text, sampling is reproducible, and
/// hostile checkpoints and misplaced options end with one `Error: ...` line.
final class CLILSTMTests: XCTestCase {
    private var cli: CLIProcess!

    override func setUpWithError() throws { cli = try CLIProcess() }
    override func tearDown() { cli.removeFolder() }

    /// The Shakespeare vocabulary.
    private let vocabulary = Array("\n !&',-.:;?ABCDEFGHIJKLMNOPQRSTUVWYZ[\\]_abcdefghijklmnopqrstuvwxyz")

    /// A tiny LSTM over the Shakespeare vocabulary.
    private func tinyModel() -> LSTMLanguageModel {
        LSTMLanguageModel(LSTMConfig(embeddingSize: 4, hiddenSize: 8, numLayers: 2, vocabSize: 66, blockSize: 16),
                          generator: RandomGenerator(seed: 4))
    }

    /// The model of `make_lstm_cli_fixtures.py`: element i of the k-th tensor of
    /// ``LSTMCheckpointReference/names`` is `1.5·sin(0.37·i + 1.3·k + 0.1)`.
    private func referenceModel() throws -> LSTMLanguageModel {
        let reference = LSTMCheckpointReference.self
        let model = LSTMLanguageModel(LSTMConfig(embeddingSize: reference.embeddingSize, hiddenSize: reference.hiddenSize,
                                                 numLayers: reference.numLayers, vocabSize: vocabulary.count,
                                                 blockSize: reference.blockSize))
        let shapes = Dictionary(uniqueKeysWithValues: model.network.stateDict().map { ($0.name, $0.tensor.shape) })
        XCTAssertEqual(Set(shapes.keys), Set(reference.names))
        var tensors: [String: Tensor] = [:]
        for (k, name) in reference.names.enumerated() {
            let shape = try XCTUnwrap(shapes[name])
            let count = shape.reduce(1, *)
            tensors[name] = Tensor(shape: shape, scalars: (0..<count).map { i in Float(1.5 * sin(0.37 * Double(i) + 1.3 * Double(k) + 0.1)) })
        }
        try model.network.loadStateDict(tensors)
        return model
    }

    /// Writes `model` with the metadata `train` writes, `changes` applied (nil removes a key),
    /// and `transform` applied to the tensors; returns the path.
    @discardableResult
    private func write(
        _ model: LSTMLanguageModel, _ changes: [String: String?] = [:], name: String = "lstm.safetensors",
        transform: ([SafetensorsEntry]) -> [SafetensorsEntry] = { $0 }
    ) throws -> String {
        var metadata = model.architectureMetadata
        metadata["model"] = "lstm"
        metadata["vocab"] = LanguageModelCheckpoint.encode(vocabulary: vocabulary)
        for (key, value) in changes { metadata[key] = value }
        let entries = transform(model.network.stateDict().map { SafetensorsEntry(name: $0.name, tensor: $0.tensor) })
        try Safetensors.write(entries, metadata: metadata, to: cli.folder.appendingPathComponent(name))
        return cli.path(name)
    }

    func testTrainingWritesACheckpointThatEvaluatesToThePrintedLoss() throws {
        let result = try cli.run(["train", "--model", "lstm", "--max-iters", "4", "--batch-size", "2", "--block-size", "8",
                                  "--embedding-size", "4", "--hidden-size", "8", "--eval-interval", "2", "--eval-iters", "1",
                                  "--save", "tiny.safetensors"])
        XCTAssertEqual(result.status, 0, result.errors)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "training lstm (1882 parameters: embedding 4, 2 layers of 8, block 8, dropout 0.0) on Shakespeare: 1189667 train and 132186 validation characters, 66 distinct")
        XCTAssertEqual(lines.dropFirst().first, "Adam, learning rate 0.002 (0 warm-up steps, cosine decay to 0.0002 at step 4), betas (0.9, 0.999), gradient clipping 1.0, batch 2 × 8, 4 steps, seed 1337")
        XCTAssertEqual(lines.filter { $0.hasPrefix("step ") }.map { String($0.prefix(while: { $0 != ":" })) }, ["step 0", "step 2", "step 4"])
        let suffix = " (mean cross-entropy over all 16523 non-overlapping validation blocks of 8 characters)"
        let lossLine = try XCTUnwrap(lines.first { $0.hasPrefix("val loss ") && $0.hasSuffix(suffix) }, result.output)
        let printed = String(lossLine.dropFirst("val loss ".count).prefix(while: { $0 != " " }))
        // Four steps from PyTorch's initialisation barely move the loss from ln 66 ≈ 4.19.
        XCTAssertEqual(try XCTUnwrap(Double(printed)), log(66), accuracy: 0.1)
        XCTAssertEqual(try cli.files(), ["tiny.safetensors"])

        let checkpoint = try Safetensors.read(from: cli.folder.appendingPathComponent("tiny.safetensors"))
        XCTAssertEqual(checkpoint.metadata, [
            "model": "lstm", "embedding_size": "4", "hidden_size": "8", "num_layers": "2", "vocab_size": "66",
            "block_size": "8", "dropout": "0.0", "vocab": LanguageModelCheckpoint.encode(vocabulary: vocabulary),
            "data": "shakespeare", "steps": "4", "seed": "1337", "val_loss": printed,
        ])
        var expectedShapes = ["encoder.weight": [66, 4], "decoder.weight": [66, 8], "decoder.bias": [66]]
        for layer in 0..<2 {
            expectedShapes["rnn.weight_ih_l\(layer)"] = [32, layer == 0 ? 4 : 8]
            expectedShapes["rnn.weight_hh_l\(layer)"] = [32, 8]
            expectedShapes["rnn.bias_ih_l\(layer)"] = [32]
            expectedShapes["rnn.bias_hh_l\(layer)"] = [32]
        }
        XCTAssertEqual(checkpoint.tensors.mapValues(\.tensor.shape), expectedShapes)

        let evaluation = try cli.run(["evaluate", "--checkpoint", "tiny.safetensors"])
        XCTAssertEqual(evaluation.status, 0, evaluation.errors)
        XCTAssertEqual(evaluation.output, "val loss \(printed) (tiny.safetensors lstm, embedding 4, 2 layers of 8, block 8, dropout 0.0: mean cross-entropy over all 16523 non-overlapping blocks of 8 characters of the Shakespeare validation split)\n")
        let sample = try cli.run(["generate", "--checkpoint", "tiny.safetensors", "--tokens", "30", "--seed", "3"])
        XCTAssertEqual(sample.status, 0, sample.errors)
        XCTAssertEqual(sample.output.unicodeScalars.count, 1 + 30 + 1, sample.output)    // the prompt "\n", 30, print's "\n"
    }

    func testEvaluateAndGreedyGenerateGivePyTorchsNumbers() throws {
        let reference = LSTMCheckpointReference.self
        let path = try write(try referenceModel())
        let evaluation = try cli.run(["evaluate", path])
        XCTAssertEqual(evaluation.status, 0, evaluation.errors)
        let printed = String(evaluation.output.dropFirst("val loss ".count).prefix(while: { $0 != " " }))
        XCTAssertEqual(try XCTUnwrap(Double(printed), evaluation.output), reference.validationLoss, accuracy: 1.5e-4)
        XCTAssertTrue(evaluation.output.contains("over all \(reference.blocks) non-overlapping blocks of \(reference.blockSize) characters"),
                      evaluation.output)
        // Each next character is the most likely one, so the text is PyTorch's whatever the seed.
        let greedy = try cli.run(["generate", "--checkpoint", path, "--prompt", reference.greedyPrompt, "--tokens", "40",
                                  "--top-k", "1", "--seed", "9"])
        XCTAssertEqual(greedy.status, 0, greedy.errors)
        XCTAssertEqual(greedy.output, reference.greedyText + "\n")
    }

    func testSamplingCarriesTheStateAsFeedingTheWholeTextDoes() throws {
        let model = try referenceModel()
        model.network.eval()
        let prompt = Array("ROMEO:\n".unicodeScalars.map { vocabulary.firstIndex(of: Character($0))! })
        let tokens = model.sample(prompt: prompt, count: 12, temperature: 1, topK: 1, generator: RandomGenerator(seed: 1))
        XCTAssertEqual(Array(tokens.prefix(prompt.count)), prompt)
        XCTAssertEqual(tokens.count, prompt.count + 12)
        // Greedy: every sampled token is the argmax of the logits of the whole text before it.
        let logits = noGrad { model.network(Tensor([Array(tokens.dropLast())])) }
        let predicted = logits.argmax(dim: -1).asArray(Int.self)
        XCTAssertEqual(Array(predicted.suffix(12)), Array(tokens.suffix(12)))
        XCTAssertEqual(model.sample(prompt: prompt, count: 0, temperature: 1, topK: nil, generator: RandomGenerator(seed: 1)), prompt)
    }

    func testGenerateIsReproducibleAndPrintsOnlyTheVocabulary() throws {
        let path = try write(tinyModel())
        func generate(seed: Int) throws -> String {
            let result = try cli.run(["generate", "--checkpoint", path, "--tokens", "60", "--temperature", "1.5",
                                      "--top-k", "0", "--seed", String(seed), "--prompt", "JULIET:"])
            XCTAssertEqual(result.status, 0, result.errors)
            return String(result.output.dropLast())     // print's line break
        }
        let first = try generate(seed: 5)
        XCTAssertTrue(first.hasPrefix("JULIET:"), first)
        XCTAssertEqual(first.unicodeScalars.count, 67, first)
        XCTAssertTrue(first.allSatisfy(vocabulary.contains), first)
        XCTAssertEqual(try generate(seed: 5), first)
        XCTAssertNotEqual(try generate(seed: 6), first)
    }

    func testHostileLSTMCheckpointsAreRefused() throws {
        let model = tinyModel()
        let cases: [([String: String?], String)] = [
            (["vocab": nil], "does not record its vocabulary"),
            (["hidden_size": nil], "does not record the lstm's hidden_size (its metadata needs embedding_size, hidden_size, num_layers, vocab_size and block_size)"),
            (["num_layers": "-2"], "the metadata's num_layers '-2' is not a whole number from 1 to 1000"),
            (["embedding_size": "wide"], "the metadata's embedding_size 'wide' is not a whole number from 1 to 100000"),
            (["block_size": "1\n2"], "the metadata's block_size '1\\n2' is not a whole number from 1 to 1000000"),
            (["vocab_size": "99999999999999999999"], "the metadata's vocab_size '99999999999999999999' is not a whole number"),
            (["dropout": "2"], "the metadata's dropout '2' is not a probability from 0 to 1"),
            (["hidden_size": "100000", "num_layers": "1000"], "would have more than 100000000 parameters, the most this tool builds"),
            (["vocab_size": "10"], "vocab_size 10 is smaller than its vocabulary of 66 characters"),
            (["num_layers": "3"], "does not fit the lstm its metadata describes: checkpoint lacks entries the model has: rnn.weight_ih_l2"),
            (["num_layers": "1"], "does not fit the lstm its metadata describes: checkpoint has entries the model lacks: rnn.bias_hh_l1"),
            (["hidden_size": "12"], "does not fit the lstm its metadata describes: size mismatch for rnn.weight_ih_l0"),
        ]
        for (changes, message) in cases {
            let path = try write(model, changes)
            try cli.expectFailure(["generate", "--checkpoint", path, "--tokens", "3"], status: 1, message: message)
            try cli.expectFailure(["evaluate", "--checkpoint", path], status: 1, message: message)
        }
        let transforms: [(([SafetensorsEntry]) -> [SafetensorsEntry], String)] = [
            ({ $0.filter { $0.name != "decoder.bias" } }, "checkpoint lacks entries the model has: decoder.bias"),
            ({ $0.map { $0.name == "decoder.bias" ? SafetensorsEntry(name: $0.name, tensor: Tensor(NDArray(shape: [66], integers: Array(repeating: 1, count: 66), dtype: .int64))) : $0 } },
             "does not fit the lstm its metadata describes: decoder.bias is torch.int64, not torch.float32"),
        ]
        for (transform, message) in transforms {
            let path = try write(model, transform: transform)
            try cli.expectFailure(["generate", "--checkpoint", path, "--tokens", "3"], status: 1, message: message)
            try cli.expectFailure(["evaluate", "--checkpoint", path], status: 1, message: message)
        }
        // Sampling needs no blocks; the validation loss needs at least one.
        let long = try write(model, ["block_size": "132186"])
        try cli.expectFailure(["evaluate", "--checkpoint", long], status: 1,
                              message: "block_size 132186 is longer than the Shakespeare validation split allows (132186 characters: blocks of at most 132185")
        XCTAssertEqual(try cli.run(["generate", "--checkpoint", long, "--tokens", "3"]).status, 0)
        try cli.expectFailure(["generate", "--checkpoint", try write(model, ["model": "rnn"])], status: 1,
                              message: "is not a language-model checkpoint (its metadata names no gpt or lstm)")
    }

    func testTrainRefusesOptionsOfOtherModels() throws {
        let cases: [([String], Int32, String)] = [
            (["--model", "lstm", "--n-layer", "3"], 64, "--n-layer applies to --model gpt only (for lstm: --num-layers)"),
            (["--model", "lstm", "--n-head", "3"], 64, "--n-head applies to --model gpt only"),
            (["--model", "lstm", "--n-embd", "32"], 64, "--n-embd applies to --model gpt only (for lstm: --embedding-size and --hidden-size)"),
            (["--model", "lstm", "--weight-decay", "0.1"], 64, "--weight-decay applies to --model gpt only"),
            (["--model", "lstm", "--no-bias"], 64, "--bias/--no-bias applies to --model gpt only"),
            (["--model", "gpt", "--hidden-size", "32"], 64, "--hidden-size applies to --model lstm only (for gpt: --n-embd)"),
            (["--model", "gpt", "--num-layers", "3"], 64, "--num-layers applies to --model lstm only (for gpt: --n-layer)"),
            (["--model", "mlp", "--embedding-size", "8"], 64, "--embedding-size applies to --model lstm only"),
            (["--max-iters", "5"], 64, "--max-iters applies to --model gpt or lstm only"),
            (["--model", "lstm", "--epochs", "3"], 64, "--epochs does not apply to --model lstm"),
            (["--model", "lstm", "--hidden-size", "0"], 64, "--hidden-size must be from 1 to 100000, got 0"),
            (["--model", "lstm", "--num-layers", "1001"], 64, "--num-layers must be from 1 to 1000, got 1001"),
            (["--model", "lstm", "--embedding-size=-1"], 64, "--embedding-size must be from 1 to 100000, got -1"),
            (["--model", "lstm", "--block-size", "132186"], 1,
             "--block-size 132186 is too long: the Shakespeare validation split has 132186 characters, so blocks (and their next characters) can be at most 132185 long"),
        ]
        for (options, status, message) in cases {
            try cli.expectFailure(["train"] + options, status: status, message: message)
        }
        XCTAssertEqual(try cli.files(), [])
    }

    func testTheDefaultsAndTheParameterCount() {
        let options = ResolvedLanguageModelOptions.defaults(for: .lstm)
        XCTAssertEqual([options.embeddingSize, options.hiddenSize, options.numLayers, options.blockSize, options.batchSize],
                       [64, 256, 2, 64, 32])
        XCTAssertEqual(options.gradClip, 1)
        XCTAssertEqual(options.learningRate, 2e-3)
        XCTAssertEqual([options.maxIters, options.lrDecayIters, options.warmupIters], [1000, 1000, 0])
        XCTAssertEqual(ResolvedLanguageModelOptions.defaults(for: .gpt).batchSize, 12)
        // The configuration: embedding 65×64, two layers of 256.
        XCTAssertEqual(LSTMConfig(vocabSize: 65).parameterCount, 65 * 64 + (1024 * 64 + 1024 * 256 + 2048) + (1024 * 512 + 2048) + 65 * 256 + 65)
        for config in [LSTMConfig(embeddingSize: 3, hiddenSize: 5, numLayers: 1, vocabSize: 7),
                       LSTMConfig(embeddingSize: 4, hiddenSize: 6, numLayers: 3, vocabSize: 2, blockSize: 9, dropout: 0.5)] {
            XCTAssertEqual(config.parameterCount, LSTMLanguageModel(config).module.parameterCount)
            XCTAssertEqual(try LSTMConfig(metadata: config.metadata, file: "f", maximumParameters: 1000), config)
        }
        XCTAssertNil(LSTMConfig(embeddingSize: 1, hiddenSize: Int.max / 2, numLayers: 2, vocabSize: 1).parameterCount)
    }
}
