import AutogradCore
import AutogradEngine

/// nanoGPT's `CausalSelfAttention`: one linear layer makes the queries, keys and values of
/// every head (`c_attn`), each position attends to itself and the positions before it
/// through ``scaledDotProductAttention(_:_:_:attnMask:isCausal:dropoutP:scale:generator:)``
/// with `isCausal: true` (the fused kernel), and `c_proj` mixes the heads back.
public final class CausalSelfAttention: Module {
    /// The query, key and value projections of all heads in one layer, `nEmbd → 3·nEmbd`.
    public let cAttn: Linear
    /// The output projection, `nEmbd → nEmbd`.
    public let cProj: Linear
    /// Dropout on the attention weights (applied inside the attention while training).
    public let attnDropout: Dropout
    /// Dropout on the output.
    public let residDropout: Dropout
    /// The number of heads.
    public let nHead: Int
    /// The model width.
    public let nEmbd: Int
    /// The dropout probability.
    public let dropout: Double
    /// Where the attention's dropout masks come from.
    private let generator: RandomGenerator

    /// The layer for `config`.
    public init(_ config: GPTConfig, generator: RandomGenerator = .default) {
        config.check()
        cAttn = Linear(inFeatures: config.nEmbd, outFeatures: 3 * config.nEmbd, bias: config.bias, generator: generator)
        cProj = Linear(inFeatures: config.nEmbd, outFeatures: config.nEmbd, bias: config.bias, generator: generator)
        attnDropout = Dropout(p: Float(config.dropout), generator: generator)
        residDropout = Dropout(p: Float(config.dropout), generator: generator)
        nHead = config.nHead
        nEmbd = config.nEmbd
        dropout = config.dropout
        self.generator = generator
    }

    /// Causal self-attention over `x` of shape `[B, T, nEmbd]`.
    public override func forward(_ x: Tensor) -> Tensor {
        checkUsage(x.rank == 3 && x.shape[2] == nEmbd,
                   "CausalSelfAttention: expected input of shape [B, T, \(nEmbd)], got \(x.shape)")
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        // calculate query, key, values for all heads in batch and move head forward to be the batch dim
        // q, k, v = self.c_attn(x).split(self.n_embd, dim=2), each (B, T, C) -> (B, nh, T, hs)
        let heads = cAttn(x).split(nEmbd, dim: 2).map { $0.reshape([b, t, nHead, c / nHead]).transpose(1, 2) }
        let (q, k, v) = (heads[0], heads[1], heads[2])
        let y = scaledDotProductAttention(q, k, v, isCausal: true, dropoutP: isTraining ? dropout : 0, generator: generator)
        // re-assemble all head outputs side by side
        return residDropout(cProj(y.transpose(1, 2).contiguous().reshape([b, t, c])))
    }
}

/// nanoGPT's `MLP`: `c_fc` widens to `4·nEmbd`, GELU, `c_proj` narrows back, dropout.
public final class GPTMLP: Module {
    /// The widening layer, `nEmbd → 4·nEmbd`.
    public let cFc: Linear
    /// The exact (erf) GELU.
    public let gelu: GELU
    /// The narrowing layer, `4·nEmbd → nEmbd`.
    public let cProj: Linear
    /// Dropout on the output.
    public let dropout: Dropout

    /// The layer for `config`.
    public init(_ config: GPTConfig, generator: RandomGenerator = .default) {
        config.check()
        cFc = Linear(inFeatures: config.nEmbd, outFeatures: 4 * config.nEmbd, bias: config.bias, generator: generator)
        gelu = GELU()
        cProj = Linear(inFeatures: 4 * config.nEmbd, outFeatures: config.nEmbd, bias: config.bias, generator: generator)
        dropout = Dropout(p: Float(config.dropout), generator: generator)
    }

    /// `dropout(c_proj(gelu(c_fc(x))))`.
    public override func forward(_ x: Tensor) -> Tensor {
        dropout(cProj(gelu(cFc(x))))
    }
}

/// nanoGPT's `Block`: a pre-norm transformer block,
/// `x + attn(ln_1(x))` then `x + mlp(ln_2(x))`. Its submodules keep nanoGPT's names
/// (`ln_1`, `attn`, `ln_2`, `mlp`).
public final class GPTBlock: Module {
    /// The norm before the attention (`ln_1`).
    public let ln1: LayerNorm
    /// The causal self-attention.
    public let attn: CausalSelfAttention
    /// The norm before the MLP (`ln_2`).
    public let ln2: LayerNorm
    /// The feed-forward layer.
    public let mlp: GPTMLP

    /// The block for `config`.
    public init(_ config: GPTConfig, generator: RandomGenerator = .default) {
        config.check()
        ln1 = LayerNorm(normalizedShape: [config.nEmbd], bias: config.bias)
        attn = CausalSelfAttention(config, generator: generator)
        ln2 = LayerNorm(normalizedShape: [config.nEmbd], bias: config.bias)
        mlp = GPTMLP(config, generator: generator)
    }

    /// The residual stream `x` (`[B, T, nEmbd]`) after attention and the MLP.
    public override func forward(_ x: Tensor) -> Tensor {
        let x = x + attn(ln1(x))
        return x + mlp(ln2(x))
    }

    /// The submodules under nanoGPT's names: `ln_1`, `attn`, `ln_2`, `mlp`.
    public override func namedChildren() -> [(name: String, module: Module)] {
        [("ln_1", ln1), ("attn", attn), ("ln_2", ln2), ("mlp", mlp)]
    }
}
