import AutogradCore
import AutogradEngine
import Foundation

extension GPT {
    /// Continues each row of `idx` (int64 `[B, T]`) by `maxNewTokens` sampled tokens,
    /// feeding each prediction back in, as nanoGPT's `generate`: the context is cropped to
    /// the last `blockSize` tokens, the last position's logits are divided by `temperature`,
    /// with `topK` all but the `topK` largest logits are removed (ties with the k-th largest
    /// stay), and the next token is drawn from the softmax (`torch.multinomial`) with
    /// `generator`. Runs without recording; put the model in evaluation mode first
    /// (``Module/eval()``) when it has dropout.
    /// ```swift
    /// model.eval()
    /// let out = model.generate(Tensor([[0]]), maxNewTokens: 500, temperature: 0.8, topK: 200)
    /// print(data.decode(out[0].asArray(Int.self)))
    /// ```
    /// - Returns: `idx` with the new tokens appended, `[B, T + maxNewTokens]`.
    public func generate(
        _ idx: Tensor, maxNewTokens: Int, temperature: Double = 1, topK: Int? = nil,
        generator: RandomGenerator = .default
    ) -> Tensor {
        checkUsage(idx.rank == 2 && idx.dtype.isInteger && idx.shape[1] >= 1,
                   "GPT.generate: expected int64 token indices of shape [B, T] with T ≥ 1, got \(idx.dtype.scalarTypeName) \(idx.shape)")
        checkUsage(maxNewTokens >= 0, "GPT.generate: maxNewTokens must be non-negative, got \(maxNewTokens)")
        checkUsage(temperature > 0 && temperature.isFinite, "GPT.generate: temperature must be positive, got \(temperature)")
        if let topK { checkUsage(topK >= 1, "GPT.generate: topK must be positive, got \(topK)") }
        let batch = idx.shape[0]
        var rows = (0..<batch).map { idx.select(dim: 0, index: $0).asArray(Int.self) }
        noGrad {
            for _ in 0..<maxNewTokens {
                // if the sequence context is growing too long we must crop it at block_size
                let context = rows.map { Array($0.suffix(config.blockSize)) }
                let width = context[0].count
                let idxCond = Tensor(NDArray(shape: [batch, width], integers: context.flatMap { $0.map(Int64.init) }, dtype: .int64))
                // forward the model to get the logits for the index in the sequence
                let (logits, _) = self(idxCond)
                // pluck the logits at the final step and scale by desired temperature
                let last = logits.reshape([batch, config.vocabSize]).asArray(Double.self)
                for row in 0..<batch {
                    var scaled = last[(row * config.vocabSize)..<((row + 1) * config.vocabSize)].map { $0 / temperature }
                    // optionally crop the logits to only the top k options
                    if let topK { keepTopK(&scaled, min(topK, config.vocabSize)) }
                    // apply softmax to convert logits to (normalized) probabilities, sample
                    rows[row].append(sampleMultinomial(softmax(scaled), generator: generator))
                }
            }
        }
        return Tensor(NDArray(shape: [batch, rows[0].count], integers: rows.flatMap { $0.map(Int64.init) }, dtype: .int64))
    }
}

/// Sets every logit below the `k`-th largest to -∞ (nanoGPT's
/// `logits[logits < v[:, [-1]]] = -float('Inf')` after `torch.topk`).
private func keepTopK(_ logits: inout [Double], _ k: Int) {
    guard k < logits.count else { return }
    let threshold = logits.sorted(by: >)[k - 1]
    for index in logits.indices where logits[index] < threshold { logits[index] = -.infinity }
}

/// `exp(x - max) / Σ exp(x - max)`.
private func softmax(_ logits: [Double]) -> [Double] {
    let largest = logits.max() ?? 0
    let exponentials = logits.map { Foundation.exp($0 - largest) }
    let total = exponentials.reduce(0, +)
    return exponentials.map { $0 / total }
}

/// One index drawn with probability proportional to `probabilities`
/// (`torch.multinomial(probs, num_samples=1)`), using 53 random bits.
private func sampleMultinomial(_ probabilities: [Double], generator: RandomGenerator) -> Int {
    let total = probabilities.reduce(0, +)
    let target = Double(generator.next() >> 11) * 0x1p-53 * total
    var cumulative = 0.0
    for (index, probability) in probabilities.enumerated() where probability > 0 {
        cumulative += probability
        if target < cumulative { return index }
    }
    return probabilities.lastIndex { $0 > 0 } ?? 0
}
