import Foundation
import XCTest
import Autograd

/// The GPT port against nanoGPT's architecture in PyTorch (Fixtures/gpt.json).
final class GPTTests: XCTestCase {
    private let fixtures = GPTFixtures.shared

    func testParameterNamesOrderAndTiedOutputWeight() {
        for fixture in fixtures.cases {
            let model = GPT(fixture.config.gptConfig)
            XCTAssertEqual(model.namedParameters().map(\.name), fixture.namedParameters, fixture.name)
            XCTAssertEqual(Set(model.stateDict().map(\.name)), Set(fixture.state.keys), fixture.name)
            XCTAssertTrue(model.lmHead.weight === model.transformer.wte.weight, "lm_head.weight is wte.weight")
            XCTAssertTrue((model.transformer["wte"] as? Embedding)?.weight === model.lmHead.weight)
            XCTAssertEqual(model.numParameters(), fixture.numParams, fixture.name)
            XCTAssertEqual(fixture.config.gptConfig.parameterCount, model.parameterCount, fixture.name)
        }
    }

    func testLogitsLossAndEveryGradientMatchPyTorch() throws {
        for fixture in fixtures.cases {
            let model = try GPT.loaded(fixture.config, state: fixture.state)
            let (logits, loss) = model(fixture.idx.tensor(), targets: fixture.targets.tensor())
            assertMatches(logits, fixture.logits, rtol: 1e-4, "\(fixture.name) logits")
            let value = try XCTUnwrap(loss)
            XCTAssertEqual(Double(value.item()), fixture.loss, accuracy: 1e-4 * fixture.loss, fixture.name)
            value.backward()
            let parameters = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor) })
            for (name, expected) in fixture.grads {
                assertMatches(parameters[name]?.grad, expected, rtol: 1e-4, atol: 1e-6, "\(fixture.name) \(name).grad")
            }
        }
    }

    func testWithoutTargetsOnlyTheLastPositionIsProjected() throws {
        for fixture in fixtures.cases {
            let model = try GPT.loaded(fixture.config, state: fixture.state)
            let (logits, loss) = model(fixture.idx.tensor())
            XCTAssertNil(loss)
            assertMatches(logits, fixture.lastLogits, rtol: 1e-4, "\(fixture.name) last logits")
            assertMatches(model.forward(fixture.idx.tensor()), fixture.lastLogits, rtol: 1e-4, "\(fixture.name) forward(_:)")
        }
    }

    func testConfigureOptimizersSplitsDecayAndTakesPyTorchsStep() throws {
        for fixture in fixtures.cases {
            let model = try GPT.loaded(fixture.config, state: fixture.state)
            let names = Dictionary(uniqueKeysWithValues: model.namedParameters().map { (ObjectIdentifier($0.parameter), $0.name) })
            let optimizer = model.configureOptimizers(weightDecay: 0.1, learningRate: 1e-3, betas: (0.9, 0.99))
            XCTAssertEqual(optimizer.groups.count, 2)
            XCTAssertEqual(optimizer.groups[0].parameters.map { names[ObjectIdentifier($0)]! }, fixture.decay)
            XCTAssertEqual(optimizer.groups[1].parameters.map { names[ObjectIdentifier($0)]! }, fixture.noDecay)
            XCTAssertEqual(optimizer.groups.map(\.weightDecay), [0.1, 0])
            XCTAssertEqual(optimizer.betas.0, 0.9)
            XCTAssertEqual(optimizer.betas.1, 0.99)
            model(fixture.idx.tensor(), targets: fixture.targets.tensor()).loss!.backward()
            optimizer.step()
            let state = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor) })
            for (name, expected) in fixture.afterStep {
                assertMatchesAfterFirstStep(state[name], expected, gradient: fixture.grads[name],
                                            "\(fixture.name) \(name) after one step")
            }
        }
    }

    /// `assertMatches(rtol: 1e-4, atol: 1e-6)`, except where PyTorch's gradient is roundoff:
    /// the attention's key bias gets a gradient that is zero in exact arithmetic (softmax
    /// ignores a constant added to every key's score; PyTorch's is about 1e-12), and Adam's
    /// first step lr·g/(|g| + eps) turns such noise into a step anywhere in [-lr, lr]. Those
    /// elements are held to that bound.
    private func assertMatchesAfterFirstStep(_ actual: Tensor?, _ expected: TensorFixture, gradient: TensorFixture?,
                                             _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let gradient, let actual, actual.shape == expected.shape else {
            assertMatches(actual, expected, rtol: 1e-4, atol: 1e-6, message, file: file, line: line)
            return
        }
        let learningRate = 1e-3
        for (index, (a, e)) in zip(actual.asArray(Double.self), expected.values).enumerated() {
            let g = Swift.abs(gradient.values[index])
            let tolerance = g > 0 && g < 1e-9 ? learningRate : 1e-6 + 1e-4 * Swift.abs(e)
            if Swift.abs(a - e) > tolerance {
                XCTFail("\(message): element \(index) is \(a), PyTorch gives \(e)", file: file, line: line)
                return
            }
        }
    }

    func testInitialisationIsNanoGPTs() {
        let config = GPTConfig(blockSize: 32, vocabSize: 100, nLayer: 3, nHead: 4, nEmbd: 64, bias: true)
        let model = GPT(config, generator: RandomGenerator(seed: 5))
        func std(_ t: Tensor) -> Double {
            let values = t.asArray(Double.self)
            let mean = values.reduce(0, +) / Double(values.count)
            return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        }
        let residual = 0.02 / (2.0 * 3).squareRoot()
        for (name, parameter) in model.namedParameters() {
            if name.hasSuffix("c_proj.weight") {
                XCTAssertEqual(std(parameter), residual, accuracy: residual * 0.1, name)
            } else if name.hasSuffix(".bias") {
                XCTAssertTrue(parameter.asArray(Double.self).allSatisfy { $0 == 0 }, name)
            } else if name.contains("ln_") {
                XCTAssertTrue(parameter.asArray(Double.self).allSatisfy { $0 == 1 }, name)
            } else {
                XCTAssertEqual(std(parameter), 0.02, accuracy: 0.002, name)
            }
        }
    }

    func testNamesOfSubmodulesAreNanoGPTs() {
        let model = GPT(GPTConfig(blockSize: 8, vocabSize: 5, nLayer: 1, nHead: 1, nEmbd: 4, bias: false))
        XCTAssertEqual(model.namedModules().map(\.name), [
            "", "transformer", "transformer.wte", "transformer.wpe", "transformer.drop", "transformer.h",
            "transformer.h.0", "transformer.h.0.ln_1", "transformer.h.0.attn", "transformer.h.0.attn.c_attn",
            "transformer.h.0.attn.c_proj", "transformer.h.0.attn.attn_dropout", "transformer.h.0.attn.resid_dropout",
            "transformer.h.0.ln_2", "transformer.h.0.mlp", "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.gelu",
            "transformer.h.0.mlp.c_proj", "transformer.h.0.mlp.dropout", "transformer.ln_f", "lm_head",
        ])
        XCTAssertEqual(model.stateDict().map(\.name).last, "lm_head.weight")
    }

    func testForwardHooksSeeTheTokensAndLogits() throws {
        let fixture = fixtures.cases[0]
        let model = try GPT.loaded(fixture.config, state: fixture.state)
        var seen: [[Int]] = []
        let handle = model.registerForwardHook { _, input, output in
            seen.append(input.shape + output.shape)
            return nil
        }
        _ = model(fixture.idx.tensor(), targets: fixture.targets.tensor())
        handle.remove()
        _ = model(fixture.idx.tensor())
        XCTAssertEqual(seen, [[3, 8, 3, 8, 11]])
    }

    func testGenerateContinuesThePromptReproducibly() throws {
        let fixture = fixtures.cases[1]
        let model = try GPT.loaded(fixture.config, state: fixture.state)
        model.eval()
        let prompt = Tensor([[1, 2, 3], [4, 5, 6]])
        let first = model.generate(prompt, maxNewTokens: 12, temperature: 0.9, topK: 5, generator: RandomGenerator(seed: 7))
        let second = model.generate(prompt, maxNewTokens: 12, temperature: 0.9, topK: 5, generator: RandomGenerator(seed: 7))
        XCTAssertEqual(first.shape, [2, 15])
        XCTAssertEqual(first.dtype, .int64)
        XCTAssertEqual(first.asArray(Int.self), second.asArray(Int.self))
        XCTAssertEqual(first.slice(dim: 1, start: 0, end: 3).asArray(Int.self), [1, 2, 3, 4, 5, 6])
        XCTAssertTrue(first.asArray(Int.self).allSatisfy { (0..<13).contains($0) })
    }

    func testTopKOfOneIsGreedyDecodingPastTheBlockSize() throws {
        let fixture = fixtures.cases[1]    // block size 10: the context is cropped after it
        let model = try GPT.loaded(fixture.config, state: fixture.state)
        let generated = model.generate(Tensor([[0, 7]]), maxNewTokens: 12, topK: 1, generator: RandomGenerator(seed: 1))
        var tokens = [0, 7]
        for _ in 0..<12 {
            let context = Array(tokens.suffix(10))
            let logits = model(Tensor([context])).logits.reshape([-1])
            tokens.append(logits.argmax().asArray(Int.self)[0])
        }
        XCTAssertEqual(generated.asArray(Int.self), tokens)
    }

    func testValidationLossIsNanoGPTCheckDefinition() throws {
        let fixture = fixtures.validation
        let data = CharacterDataset(text: fixture.text)
        XCTAssertEqual(String(data.vocabulary), fixture.vocab)
        let model = try GPT.loaded(fixture.config, state: fixture.state)
        model.eval()
        let blocks = data.sequentialBlocks(.validation, blockSize: fixture.blockSize)
        XCTAssertEqual(blocks.x.shape, [fixture.blocks, fixture.blockSize])
        let loss = data.loss(.validation, blockSize: fixture.blockSize, batchSize: 5) { x, y in model(x, targets: y).loss! }
        XCTAssertEqual(loss, fixture.loss, accuracy: 1e-5 * fixture.loss)
    }

    func testConfigMetadataRoundTripsAndRefusesBadValues() {
        let config = GPTConfig(blockSize: 64, vocabSize: 66, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false)
        XCTAssertEqual(config.metadata["bias"], "false")
        XCTAssertEqual(GPTConfig(metadata: config.metadata), config)
        XCTAssertEqual(config.parameterCount, 66 * 128 + 64 * 128 + 4 * (12 * 128 * 128 + 2 * 128) + 128)
        var bad = config.metadata
        bad["n_head"] = "3"
        XCTAssertNil(GPTConfig(metadata: bad), "128 is not a multiple of 3")
        bad = config.metadata
        bad["n_layer"] = "-1"
        XCTAssertNil(GPTConfig(metadata: bad))
        bad = config.metadata
        bad["bias"] = "maybe"
        XCTAssertNil(GPTConfig(metadata: bad))
        bad = config.metadata
        bad["n_embd"] = "4000000"
        XCTAssertNil(GPTConfig(metadata: bad), "too many parameters")
        bad = config.metadata
        bad.removeValue(forKey: "vocab_size")
        XCTAssertNil(GPTConfig(metadata: bad))
    }
}
