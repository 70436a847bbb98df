import AutogradCore
import AutogradEngine

/// Multi-head attention, like `torch.nn.MultiheadAttention`: the query, key and value are
/// projected (`in_proj_weight`, `in_proj_bias`), split into `numHeads` heads, attended
/// with scaled dot products, joined and projected again (`out_proj`).
///
/// Inputs are `[L, N, E]` (or `[N, L, E]` with `batchFirst`, or `[L, E]` unbatched).
/// Masks follow PyTorch's module convention, the opposite of
/// ``scaledDotProductAttention(_:_:_:attnMask:isCausal:dropoutP:scale:generator:)``'s: a
/// bool `attnMask` or `keyPaddingMask` is true where attention is NOT allowed; a float one is
/// added to the scores.
/// ```swift
/// let attention = MultiheadAttention(embedDim: 64, numHeads: 4, batchFirst: true)
/// let (output, weights) = attention(x, x, x)     // weights averaged over heads
/// ```
public final class MultiheadAttention: Module {
    /// The query, key and value projections stacked, `[3·embedDim, embedDim]`.
    public var inProjWeight: Parameter
    /// Their biases, `[3·embedDim]`, or nil without bias.
    public var inProjBias: Parameter?
    /// The output projection.
    public let outProj: Linear
    /// The model width.
    public let embedDim: Int
    /// The number of heads; each is `embedDim / numHeads` wide.
    public let numHeads: Int
    /// Dropout on the attention weights while training.
    public let dropout: Double
    /// Whether inputs are `[N, L, E]` rather than `[L, N, E]`.
    public let batchFirst: Bool
    /// Where dropout masks come from.
    private let generator: RandomGenerator

    /// A layer with PyTorch's initialisation: Xavier-uniform projections, zero biases.
    public init(
        embedDim: Int, numHeads: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = false,
        generator: RandomGenerator = .default
    ) {
        checkUsage(embedDim > 0 && numHeads > 0, "MultiheadAttention: embed_dim and num_heads must be positive, got \(embedDim) and \(numHeads)")
        checkUsage(embedDim % numHeads == 0, "embed_dim must be divisible by num_heads")
        checkUsage(dropout >= 0 && dropout <= 1, "dropout probability has to be between 0 and 1, but got \(dropout)")
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        self.generator = generator
        let bound = Float(6.0 / Double(embedDim + 3 * embedDim)).squareRoot()
        inProjWeight = Parameter(Tensor.uniform([3 * embedDim, embedDim], low: -bound, high: bound, generator: generator))
        inProjBias = bias ? Parameter(Tensor.zeros([3 * embedDim])) : nil
        outProj = Linear(inFeatures: embedDim, outFeatures: embedDim, bias: bias, generator: generator)
        if let outBias = outProj.bias { outBias.array.assign(from: NDArray(zeros: [embedDim])) }
    }

    /// Attends `query` to `key`/`value`; returns the output and, when `needWeights`, the
    /// attention weights `[N, L, S]` (averaged over heads when `averageAttnWeights`, else
    /// `[N, H, L, S]`).
    public func callAsFunction(
        _ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil, needWeights: Bool = true,
        attnMask: Tensor? = nil, averageAttnWeights: Bool = true, isCausal: Bool = false
    ) -> (output: Tensor, weights: Tensor?) {
        let batched = query.rank == 3
        checkUsage(query.rank == 3 || query.rank == 2,
                   "query should be unbatched 2D or batched 3D tensor but received \(query.rank)-D query tensor")
        checkUsage(key.rank == query.rank && value.rank == query.rank,
                   "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found \(key.rank)-D and \(value.rank)-D tensors respectively")
        // Work in [L, N, E].
        func sequenceFirst(_ t: Tensor) -> Tensor { !batched ? t.unsqueeze(1) : (batchFirst ? t.transpose(0, 1) : t) }
        let (q, k, v) = (sequenceFirst(query), sequenceFirst(key), sequenceFirst(value))
        checkUsage(q.shape[2] == embedDim, "was expecting embedding dimension of \(embedDim), but got \(q.shape[2])")
        checkUsage(k.shape == v.shape, "key shape \(k.shape) does not match value shape \(v.shape)")
        let (length, batch, sourceLength) = (q.shape[0], q.shape[1], k.shape[0])
        let headWidth = embedDim / numHeads
        let weights = inProjWeight.chunked(3)
        let biases = inProjBias.map { $0.chunked(3) }
        // [L, N, E] -> [N·H, L, hd]
        func heads(_ x: Tensor, _ index: Int, _ rows: Int) -> Tensor {
            var projected = x.matmul(weights[index].mT)
            if let biases { projected = projected + biases[index] }
            return projected.reshape([rows, batch * numHeads, headWidth]).transpose(0, 1)
        }
        let (qh, kh, vh) = (heads(q, 0, length), heads(k, 1, sourceLength), heads(v, 2, sourceLength))
        let mask = mergedMask(attnMask, keyPaddingMask, batched: batched, batch: batch, length: length,
                              sourceLength: sourceLength, isCausal: isCausal && attnMask == nil, dtype: q.dtype)
        let dropoutP = isTraining ? dropout : 0
        var output: Tensor, attentionWeights: Tensor?
        if needWeights {
            var scores = (qh * (1 / Double(headWidth).squareRoot())).matmul(kh.mT)
            if let mask { scores = scores + mask }
            var probabilities = scores.softmax(dim: -1)
            attentionWeights = probabilities.reshape([batch, numHeads, length, sourceLength])
            if dropoutP > 0 { probabilities = dropoutMask(probabilities, p: dropoutP, generator: generator) }
            output = probabilities.matmul(vh)
        } else {
            output = scaledDotProductAttention(
                qh.reshape([batch, numHeads, length, headWidth]), kh.reshape([batch, numHeads, sourceLength, headWidth]),
                vh.reshape([batch, numHeads, sourceLength, headWidth]),
                attnMask: mask.map { $0.rank == 3 ? $0.reshape([batch, numHeads, $0.shape[1], sourceLength]) : $0 },
                dropoutP: dropoutP, generator: generator)
                .reshape([batch * numHeads, length, headWidth])
        }
        // [N·H, L, hd] -> [L, N, E] -> out_proj
        output = outProj(output.transpose(0, 1).reshape([length, batch, embedDim]))
        if averageAttnWeights { attentionWeights = attentionWeights?.mean(dim: 1) }
        if !batched {
            output = output.squeeze(1)
            attentionWeights = attentionWeights?.squeeze(0)
        } else if batchFirst {
            output = output.transpose(0, 1)
        }
        return (output, attentionWeights)
    }

    /// The attention mask and key-padding mask as one float mask `[N·H, L, S]` (or
    /// broadcastable to it), with -inf where attention is not allowed; nil when neither is
    /// given and the attention is not causal.
    private func mergedMask(
        _ attnMask: Tensor?, _ keyPaddingMask: Tensor?, batched: Bool, batch: Int, length: Int, sourceLength: Int,
        isCausal: Bool, dtype: DType
    ) -> Tensor? {
        func additive(_ mask: Tensor) -> Tensor {
            mask.dtype == .bool ? Tensor.zeros(mask.shape, dtype: dtype).maskedFill(mask, -.infinity) : mask.to(dtype)
        }
        var merged: Tensor?
        if let attnMask {
            let valid = attnMask.shape == [length, sourceLength] || attnMask.shape == [batch * numHeads, length, sourceLength]
            checkUsage(valid, "The shape of the 2D attn_mask is \(attnMask.shape), but should be \([length, sourceLength]).")
            merged = additive(attnMask)
        } else if isCausal {
            merged = Tensor.zeros([length, sourceLength], dtype: dtype)
                .maskedFill(Tensor([[Bool]](causalRows: length, columns: sourceLength)), -.infinity)
        }
        if let keyPaddingMask {
            let expected = batched ? [batch, sourceLength] : [sourceLength]
            checkUsage(keyPaddingMask.shape == expected,
                       "expecting key_padding_mask shape of \(expected), but got \(keyPaddingMask.shape)")
            let padding = additive(keyPaddingMask).reshape([batch, 1, 1, sourceLength])
                .expand([batch, numHeads, 1, sourceLength]).reshape([batch * numHeads, 1, sourceLength])
            merged = merged.map { $0 + padding } ?? padding
        }
        return merged
    }

    /// PyTorch's settings string.
    public override var extraDescription: String { "" }
}

extension Array where Element == [Bool] {
    /// A `rows x columns` grid that is true above the diagonal (the positions a causal
    /// mask hides).
    init(causalRows rows: Int, columns: Int) {
        self = (0..<rows).map { i in (0..<columns).map { $0 > i } }
    }
}

extension Tensor {
    /// `count` equal pieces along dimension 0 (the size must divide).
    func chunked(_ count: Int) -> [Tensor] {
        let size = shape[0] / count
        return (0..<count).map { slice(dim: 0, start: $0 * size, end: ($0 + 1) * size) }
    }
}
