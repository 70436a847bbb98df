import AutogradCore
import Foundation

/// The shape of a ``GPT``, like nanoGPT's `GPTConfig` dataclass (same fields, same defaults:
/// GPT-2 small with the vocabulary padded to 50,304).
/// ```swift
/// // nanoGPT's character-level Shakespeare model for a CPU
/// let config = GPTConfig(blockSize: 64, vocabSize: 66, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false)
/// ```
public struct GPTConfig: Equatable, Sendable {
    /// The longest sequence the model reads (the number of position embeddings).
    public var blockSize: Int
    /// The number of tokens in the vocabulary.
    public var vocabSize: Int
    /// The number of transformer blocks.
    public var nLayer: Int
    /// The number of attention heads per block; `nEmbd` must be a multiple of it.
    public var nHead: Int
    /// The width of the residual stream (the embedding size).
    public var nEmbd: Int
    /// The dropout probability after the embeddings, on the attention weights, and after
    /// each residual branch, while training.
    public var dropout: Double
    /// Whether the linear layers and layer norms have biases (GPT-2 has them; without is a
    /// little better and faster).
    public var bias: Bool

    /// A configuration; every field defaults to nanoGPT's.
    public init(
        blockSize: Int = 1024, vocabSize: Int = 50304, nLayer: Int = 12, nHead: Int = 12, nEmbd: Int = 768,
        dropout: Double = 0, bias: Bool = true
    ) {
        self.blockSize = blockSize
        self.vocabSize = vocabSize
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.dropout = dropout
        self.bias = bias
    }

    /// Stops with a message unless every size is positive, `nEmbd` is a multiple of `nHead`
    /// and `dropout` is a probability.
    func check() {
        checkUsage(blockSize >= 1 && vocabSize >= 1 && nLayer >= 1 && nHead >= 1 && nEmbd >= 1,
                   "GPTConfig: block_size, vocab_size, n_layer, n_head and n_embd must be positive, got \(blockSize), \(vocabSize), \(nLayer), \(nHead) and \(nEmbd)")
        checkUsage(nEmbd % nHead == 0, "GPTConfig: n_embd (\(nEmbd)) must be a multiple of n_head (\(nHead))")
        checkUsage(dropout >= 0 && dropout <= 1, "dropout probability has to be between 0 and 1, but got \(dropout)")
    }

    /// The configuration as checkpoint metadata, under nanoGPT's field names: `n_layer`,
    /// `n_head`, `n_embd`, `block_size`, `vocab_size`, `bias` (`true`/`false`) and `dropout`.
    public var metadata: [String: String] {
        ["n_layer": String(nLayer), "n_head": String(nHead), "n_embd": String(nEmbd), "block_size": String(blockSize),
         "vocab_size": String(vocabSize), "bias": bias ? "true" : "false", "dropout": String(dropout)]
    }

    /// The configuration recorded in checkpoint metadata (see ``metadata``), or nil when a
    /// size is missing or not a positive whole number, `bias` is not `true`/`false`/`1`/`0`
    /// (missing means true), `n_embd` is not a multiple of `n_head`, or the model would have
    /// more than `maximumParameters` parameters. `dropout` is optional (0 when missing).
    public init?(metadata: [String: String], maximumParameters: Int = 1_000_000_000) {
        func positive(_ key: String) -> Int? {
            guard let text = metadata[key], let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1 else { return nil }
            return value
        }
        guard let nLayer = positive("n_layer"), let nHead = positive("n_head"), let nEmbd = positive("n_embd"),
              let blockSize = positive("block_size"), let vocabSize = positive("vocab_size"), nEmbd % nHead == 0 else { return nil }
        let biasText = (metadata["bias"] ?? "true").lowercased()
        guard ["true", "false", "1", "0"].contains(biasText) else { return nil }
        let dropout = metadata["dropout"].flatMap(Double.init) ?? 0
        guard dropout >= 0 && dropout <= 1 else { return nil }
        self.init(blockSize: blockSize, vocabSize: vocabSize, nLayer: nLayer, nHead: nHead, nEmbd: nEmbd,
                  dropout: dropout, bias: biasText == "true" || biasText == "1")
        guard let count = parameterCount, count <= maximumParameters else { return nil }
    }

    /// The number of parameters a ``GPT`` of this configuration has (the tied embedding and
    /// output weights counted once), or nil when it overflows `Int`: per block
    /// `12·nEmbd² + 2·nEmbd` (`+ 11·nEmbd` of biases), plus the token and position embeddings
    /// and the final norm.
    public var parameterCount: Int? {
        func product(_ a: Int, _ b: Int) -> Int? {
            let (value, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? nil : value
        }
        func sum(_ values: Int?...) -> Int? {
            var total = 0
            for value in values {
                guard let value else { return nil }
                let (next, overflow) = total.addingReportingOverflow(value)
                guard !overflow else { return nil }
                total = next
            }
            return total
        }
        let c = nEmbd
        let biases = bias ? 11 : 0
        let perBlock = sum(product(12, c).flatMap { product($0, c) }, product(2 + biases, c))
        return sum(product(vocabSize, c), product(blockSize, c), perBlock.flatMap { product(nLayer, $0) },
                   product(bias ? 2 : 1, c))
    }
}
