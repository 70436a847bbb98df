import AutogradCore
import AutogradEngine

extension GPT {
    /// Continues each row of `idx` (int64 `[B, T]`) by `maxNewTokens` sampled tokens,
    /// feeding each prediction back in, as nanoGPT's `generate`: the context is cropped to
    /// the last `blockSize` tokens, the last position's logits are divided by `temperature`,
    /// with `topK` all but the `topK` largest logits are removed (ties with the k-th largest
    /// stay), and the next token is drawn from the softmax with ``Tensor/multinomial(_:numSamples:replacement:generator:)``
    /// from `generator`. Runs without recording; put the model in evaluation mode first
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
        var idx = idx
        noGrad {
            for _ in 0..<maxNewTokens {
                // if the sequence context is growing too long we must crop it at block_size
                let length = idx.shape[1]
                let idxCond = length <= config.blockSize ? idx : idx.slice(dim: 1, start: length - config.blockSize, end: length)
                // forward the model to get the logits for the index in the sequence
                let (logits, _) = self(idxCond)
                // pluck the logits at the final step and scale by desired temperature
                var last = logits.select(dim: 1, index: logits.shape[1] - 1) / temperature
                // optionally crop the logits to only the top k options
                if let topK {
                    let k = Swift.min(topK, last.shape[1])
                    let (v, _) = last.topk(k)
                    last = last.maskedFill(last .< v.slice(dim: 1, start: k - 1, end: k), -.infinity)
                }
                // apply softmax to convert logits to (normalized) probabilities
                let probs = last.softmax(dim: -1)
                // sample from the distribution
                let idxNext = Tensor.multinomial(probs, numSamples: 1, generator: generator)
                // append sampled index to the running sequence and continue
                idx = cat([idx, idxNext], dim: 1)
            }
        }
        return idx
    }
}
