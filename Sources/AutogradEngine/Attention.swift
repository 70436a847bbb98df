import AutogradCore
import Foundation

extension Tensor {
    /// Scaled dot-product attention, `softmax(scale · Q Kᵀ + mask) V`, choosing the kernel
    /// as PyTorch's CPU dispatch does: the blocked kernel
    /// (``scaledDotProductFlashAttention(_:_:_:mask:isCausal:scale:)``) for 3-D and 4-D
    /// inputs with equal batch sizes and one head width, no dropout and no empty sequence;
    /// otherwise the same math as tensor ops, with `dropout` (if given) applied to the
    /// weights, so the graph and the node names are PyTorch's in both cases.
    public static func scaledDotProductAttention(
        _ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor? = nil, isCausal: Bool = false,
        scale: Double? = nil, dropout: ((Tensor) -> Tensor)? = nil
    ) -> Tensor {
        let rank = query.rank
        let fused = dropout == nil && (rank == 3 || rank == 4) && key.rank == rank && value.rank == rank
            && query.shape.dropLast(2) == key.shape.dropLast(2) && key.shape.dropLast(2) == value.shape.dropLast(2)
            && query.shape[rank - 1] == value.shape[rank - 1] && query.shape[rank - 2] > 0 && key.shape[rank - 2] > 0
        if fused {
            return scaledDotProductFlashAttention(query, key, value, mask: mask, isCausal: isCausal, scale: scale)
        }
        checkUsage(isCausal ? mask == nil : true,
                   "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
        checkUsage(query.rank >= 2 && key.rank >= 2, "scaled_dot_product_attention: query and key need at least 2 dimensions, got \(query.shape) and \(key.shape)")
        // PyTorch's math path scales both operands by √scale before the product.
        let root = (scale ?? 1 / Foundation.sqrt(Double(query.shape[query.rank - 1]))).squareRoot()
        var scores = (query * root).matmul((key * root).mT)
        let (length, sourceLength) = (query.shape[query.rank - 2], key.shape[key.rank - 2])
        if isCausal {
            let rows = Tensor(NDArray(shape: [length, 1], integers: (0..<length).map(Int64.init), dtype: .int64))
            let columns = Tensor(NDArray(shape: [1, sourceLength], integers: (0..<sourceLength).map(Int64.init), dtype: .int64))
            scores = scores.maskedFill(columns .> rows, -.infinity)
        } else if let mask {
            scores = mask.dtype == .bool ? scores.maskedFill(.!mask, -.infinity) : scores + mask
        }
        var weights = scores.softmax(dim: -1)
        if let dropout { weights = dropout(weights) }
        return weights.matmul(value)
    }

    /// Scaled dot-product attention, `softmax(scale · Q Kᵀ + mask) V`, computed by the
    /// blocked kernel (``AttentionKernel``) without keeping the `L x S` weights: PyTorch's
    /// `scaled_dot_product_attention` without dropout, recorded as
    /// `ScaledDotProductFlashAttentionForCpuBackward0`.
    ///
    /// `query` is `[..., L, E]`, `key` `[..., S, E]` and `value` `[..., S, Ev]`, one floating
    /// dtype, batch dimensions broadcast; the result is `[..., L, Ev]`. `mask` is a bool
    /// tensor (true = attend) or a float tensor added to the scores, broadcastable to
    /// `[..., L, S]`; it gets no gradient. `isCausal` lets query `i` attend to keys `0...i`.
    /// `scale` defaults to `1 / √E`.
    public static func scaledDotProductFlashAttention(
        _ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor? = nil, isCausal: Bool = false,
        scale: Double? = nil
    ) -> Tensor {
        let op = "scaled_dot_product_attention"
        checkUsage(query.rank >= 2 && key.rank >= 2 && value.rank >= 2,
                   "\(op): query, key and value need at least 2 dimensions, got \(query.shape), \(key.shape) and \(value.shape)")
        checkUsage(query.dtype == key.dtype && key.dtype == value.dtype,
                   "Expected query, key, and value to have the same dtype, but got query.dtype: \(query.dtype.scalarTypeName) key.dtype: \(key.dtype.scalarTypeName) and value.dtype: \(value.dtype.scalarTypeName) instead.")
        checkUsage(query.dtype.isFloatingPoint, "\(op): expected floating-point query, key and value, got \(query.dtype.scalarTypeName)")
        checkUsage(isCausal ? mask == nil : true,
                   "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
        checkUsage(query.shape.last == key.shape.last,
                   "\(op): query and key need the same last dimension, got \(query.shape) and \(key.shape)")
        checkUsage(key.shape[key.rank - 2] == value.shape[value.rank - 2],
                   "\(op): key and value need the same sequence length, got \(key.shape) and \(value.shape)")
        // PyTorch runs 3-D inputs as 4-D with a leading 1 and squeezes it out again.
        if query.rank == 3 && key.rank == 3 && value.rank == 3 {
            return scaledDotProductFlashAttention(
                query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), mask: mask, isCausal: isCausal,
                scale: scale).squeeze(0)
        }
        let (length, width) = (query.shape[query.rank - 2], query.shape[query.rank - 1])
        let (sourceLength, valueWidth) = (key.shape[key.rank - 2], value.shape[value.rank - 1])
        let batchShape = trapOnShapeError { () throws(ShapeError) in
            let queryKey = try broadcastShapes(Array(query.shape.dropLast(2)), Array(key.shape.dropLast(2)), op: op)
            return try broadcastShapes(queryKey, Array(value.shape.dropLast(2)), op: op)
        }
        let factor = scale ?? 1 / Foundation.sqrt(Double(width))
        let kernelMask = mask.map { mask in
            trapOnShapeError { () throws(ShapeError) in
                try AttentionKernel.Mask(mask.array, batchShape: batchShape, length: length,
                                         sourceLength: sourceLength, dtype: query.dtype)
            }
        }
        let flat = { (t: Tensor, rows: Int, columns: Int) in attentionEntries(t, batchShape, rows, columns) }
        let (output, logSumExp) = AttentionKernel.forward(
            query: flat(query, length, width), key: flat(key, sourceLength, width),
            value: flat(value, sourceLength, valueWidth), mask: kernelMask, causal: isCausal, scale: factor)
        let result = trapOnShapeError { () throws(ShapeError) in try output.reshaped(batchShape + [length, valueWidth]) }
        return Tensor.record(result, .scaledDotProductAttention(scale: factor, causal: isCausal),
                             inputs: [query, key, value], auxiliary: .attention(logSumExp: logSumExp, mask: kernelMask))
    }
}

extension Node {
    /// The gradients of query, key and value. Outside a recorded backward pass the blocked
    /// kernel recomputes the weights from the saved log-sum-exp rows; when the backward
    /// pass is recorded (for higher derivatives) the same formulas run as tensor ops:
    /// dV = Pᵀ g, dS = P ∘ (g Vᵀ - rowsum(g ∘ O)) · scale, dQ = dS K, dK = dSᵀ Q.
    func attentionGradients(
        _ grad: Tensor, query: Tensor, key: Tensor, value: Tensor, output: Tensor,
        logSumExp: NDArray, mask: AttentionKernel.Mask?, scale: Double, causal: Bool
    ) -> [Tensor?] {
        let batchShape = Array(output.shape.dropLast(2))
        let (length, valueWidth) = (output.shape[output.rank - 2], output.shape[output.rank - 1])
        let (sourceLength, width) = (key.shape[key.rank - 2], key.shape[key.rank - 1])
        func flat(_ t: Tensor, _ rows: Int, _ columns: Int) -> NDArray {
            attentionEntries(t, batchShape, rows, columns)
        }
        func unflat(_ a: NDArray, _ rows: Int, _ columns: Int) -> Tensor {
            Tensor(trapOnShapeError { () throws(ShapeError) in try a.reshaped(batchShape + [rows, columns]) })
        }
        guard GradMode.isEnabled else {
            let (dq, dk, dv) = AttentionKernel.backward(
                flat(grad, length, valueWidth), query: flat(query, length, width),
                key: flat(key, sourceLength, width), value: flat(value, sourceLength, valueWidth),
                output: flat(output, length, valueWidth), logSumExp: logSumExp, mask: mask, causal: causal,
                scale: scale)
            return [unflat(dq, length, width), unflat(dk, sourceLength, width), unflat(dv, sourceLength, valueWidth)]
        }
        var scores = query.matmul(key.mT) * scale
        if let mask {
            let values = trapOnShapeError { () throws(ShapeError) in
                try mask.values.reshaped(mask.batchStride == 0 ? [length, sourceLength] : batchShape + [length, sourceLength])
            }
            scores = scores + Tensor(values)
        }
        if causal {
            let rows = NDArray(shape: [length, 1], integers: (0..<length).map(Int64.init), dtype: .int64)
            let columns = NDArray(shape: [1, sourceLength], integers: (0..<sourceLength).map(Int64.init), dtype: .int64)
            scores = scores.maskedFill(Tensor(columns) .> Tensor(rows), -.infinity)
        }
        let weights = scores.softmax(dim: -1)
        let valueGradient = weights.mT.matmul(grad)
        let weightGradient = grad.matmul(value.mT)
        let scoreGradient = weights * (weightGradient - (grad * output).sum(dim: -1, keepDim: true)) * scale
        return [scoreGradient.matmul(key), scoreGradient.mT.matmul(query), valueGradient]
    }
}

/// `t` broadcast to `batchShape + [rows, columns]` as the attention kernel reads it, without
/// a copy where its strides allow: `[B, H, rows, columns]` as it is (heads split off a
/// projection and transposed, as in GPT), otherwise `[entries, rows, columns]` (a view when
/// the batch dimensions merge, else a copy).
private func attentionEntries(_ t: Tensor, _ batchShape: [Int], _ rows: Int, _ columns: Int) -> NDArray {
    trapOnShapeError { () throws(ShapeError) in
        let expanded = try t.array.expanded(batchShape + [rows, columns])
        if batchShape.count == 2 { return expanded }
        return try expanded.reshaped([batchShape.reduce(1, *), rows, columns])
    }
}
