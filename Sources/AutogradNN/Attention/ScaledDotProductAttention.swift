import AutogradCore
import AutogradEngine

/// Scaled dot-product attention, like `torch.nn.functional.scaled_dot_product_attention`:
/// `softmax(scale · Q Kᵀ + mask) V` with dropout `dropoutP` on the weights.
///
/// `query` is `[..., L, E]`, `key` `[..., S, E]` and `value` `[..., S, Ev]`. `attnMask` is
/// a bool tensor (true = may attend) or a float tensor added to the scores, broadcastable
/// to `[..., L, S]`; `isCausal` lets query `i` attend to keys `0...i` (and then `attnMask`
/// must be nil). `scale` defaults to `1/√E`. Without dropout, 3-D and 4-D inputs of one head
/// width run on the blocked kernel, which keeps no `L x S` matrix for backward.
/// ```swift
/// let y = scaledDotProductAttention(q, k, v, isCausal: true)   // [B, H, T, hd]
/// ```
public func scaledDotProductAttention(
    _ query: Tensor, _ key: Tensor, _ value: Tensor, attnMask: Tensor? = nil, isCausal: Bool = false,
    dropoutP: Double = 0, scale: Double? = nil, generator: RandomGenerator = .default
) -> Tensor {
    checkUsage(dropoutP >= 0 && dropoutP <= 1, "dropout probability has to be between 0 and 1, but got \(dropoutP)")
    let dropout: ((Tensor) -> Tensor)? = dropoutP > 0 ? { dropoutMask($0, p: dropoutP, generator: generator) } : nil
    return Tensor.scaledDotProductAttention(
        query, key, value, mask: attnMask, isCausal: isCausal, scale: scale, dropout: dropout)
}

/// `input` with each element zeroed with probability `p` and the rest scaled by
/// `1 / (1 - p)` (the training-mode dropout of ``Dropout``).
func dropoutMask(_ input: Tensor, p: Double, generator: RandomGenerator) -> Tensor {
    if p == 1 { return input * 0 }
    let scale = Float(1 / (1 - p))
    let keep = generator.bernoulli(count: input.count, probability: Float(1 - p))
    let mask = Tensor(shape: input.shape, scalars: keep.map { $0 * scale })
    return input * (input.dtype == .float32 ? mask : mask.to(input.dtype))
}
