import Foundation
import XCTest
import Autograd

/// The contents of `Fixtures/gpt.json`, written by `Scripts/fixtures/make_gpt_fixtures.py`:
/// tiny GPTs of nanoGPT's architecture built in PyTorch.
struct GPTFixtures: Decodable {
    /// nanoGPT's config fields.
    struct Config: Decodable {
        let n_layer: Int, n_head: Int, n_embd: Int, block_size: Int, vocab_size: Int, bias: Bool, dropout: Double

        /// The same configuration for the Swift model.
        var gptConfig: GPTConfig {
            GPTConfig(blockSize: block_size, vocabSize: vocab_size, nLayer: n_layer, nHead: n_head, nEmbd: n_embd,
                      dropout: dropout, bias: bias)
        }
    }
    /// One model with one batch: outputs, gradients and the state after an AdamW step.
    struct Case: Decodable {
        let name: String, config: Config, state: [String: TensorFixture]
        let namedParameters: [String], numParams: Int, decay: [String], noDecay: [String]
        let idx: TensorFixture, targets: TensorFixture, logits: TensorFixture, loss: Double, lastLogits: TensorFixture
        let grads: [String: TensorFixture], afterStep: [String: TensorFixture]
    }
    /// The validation-loss definition of nanogpt_check.py on a short text.
    struct Validation: Decodable {
        let text: String, vocab: String, config: Config, state: [String: TensorFixture]
        let blockSize: Int, loss: Double, blocks: Int
    }

    let cases: [Case]
    let validation: Validation

    /// Loads the fixtures once per test run.
    static let shared: GPTFixtures = {
        let url = Bundle.module.url(forResource: "gpt", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(GPTFixtures.self, from: Data(contentsOf: url))
    }()
}

extension GPT {
    /// A model of `config` holding PyTorch's `state` (every key, `lm_head.weight` too).
    static func loaded(_ config: GPTFixtures.Config, state: [String: TensorFixture]) throws -> GPT {
        let model = GPT(config.gptConfig)
        try model.loadStateDict(state.mapValues { $0.tensor() })
        return model
    }
}
