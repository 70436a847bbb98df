import AutogradCore
import AutogradEngine
import Foundation

/// nanoGPT's `GPT`: a decoder-only transformer language model, ported from its `model.py`
/// with the same module tree, parameter names, initialisation and training interface.
///
/// Token and position embeddings are added (`transformer.wte`, `transformer.wpe`), pass
/// through dropout (`transformer.drop`), `nLayer` pre-norm blocks (`transformer.h.0` ...)
/// and a final layer norm (`transformer.ln_f`); `lm_head` maps to logits over the
/// vocabulary with its weight tied to `wte`'s (one ``Parameter`` object). The weights start
/// as nanoGPT's: normal with standard deviation 0.02, the residual projections
/// (`c_proj.weight`) `0.02/√(2·nLayer)`, biases zero.
/// ```swift
/// let model = GPT(GPTConfig(blockSize: 64, vocabSize: 66, nLayer: 4, nHead: 4, nEmbd: 128, bias: false))
/// let optimizer = model.configureOptimizers(weightDecay: 0.1, learningRate: 1e-3, betas: (0.9, 0.99))
/// let (x, y) = data.batch(.train, batchSize: 12, blockSize: 64)
/// let (logits, loss) = model(x, targets: y)          // [12, 64, 66] and the mean cross-entropy
/// optimizer.zeroGrad()
/// loss!.backward()
/// optimizer.step()
/// let text = model.generate(Tensor([[0]]), maxNewTokens: 100, topK: 10)
/// ```
/// The names of ``stateDict()`` are nanoGPT's (`transformer.h.0.attn.c_attn.weight`, ...,
/// `lm_head.weight`), so a checkpoint loads into nanoGPT's `model.py`.
public final class GPT: Module {
    /// The model's shape.
    public let config: GPTConfig
    /// The embeddings, the blocks and the final norm: nanoGPT's `transformer` dictionary.
    public let transformer: GPTTransformer
    /// The output layer, `nEmbd → vocabSize` without bias; its weight is `transformer.wte.weight`.
    public let lmHead: Linear

    /// A freshly initialised model for `config`, drawing its weights (and dropout masks)
    /// from `generator`.
    public init(_ config: GPTConfig, generator: RandomGenerator = .default) {
        config.check()
        self.config = config
        transformer = GPTTransformer(config, generator: generator)
        lmHead = Linear(inFeatures: config.nEmbd, outFeatures: config.vocabSize, bias: false, generator: generator)
        super.init()
        // with weight tying when using torch.compile() some warnings get generated ... (nanoGPT)
        transformer.wte.weight = lmHead.weight
        // init all weights
        apply { module in
            if let linear = module as? Linear {
                Init.normal(linear.weight, mean: 0, std: 0.02, generator: generator)
                if let bias = linear.bias { Init.zeros(bias) }
            } else if let embedding = module as? Embedding {
                Init.normal(embedding.weight, mean: 0, std: 0.02, generator: generator)
            }
        }
        // apply special scaled init to the residual projections, per GPT-2 paper
        let residualStd = Float(0.02 / (2 * Double(config.nLayer)).squareRoot())
        for (name, parameter) in namedParameters() where name.hasSuffix("c_proj.weight") {
            Init.normal(parameter, mean: 0, std: residualStd, generator: generator)
        }
    }

    /// The number of parameters; with `nonEmbedding` (the default, as in nanoGPT) the
    /// position embeddings are left out. The token embeddings are counted, as they are also
    /// the output layer's weights.
    public func numParameters(nonEmbedding: Bool = true) -> Int {
        parameterCount - (nonEmbedding ? transformer.wpe.weight.count : 0)
    }

    /// The forward pass: logits for the next token after each position of `idx` (int64
    /// `[B, T]`, `T ≤ blockSize`) and, when `targets` (int64 `[B, T]`) are given, the mean
    /// cross-entropy against them (targets equal to -1 are ignored).
    ///
    /// As in nanoGPT, with targets the logits are `[B, T, vocabSize]`; without them only the
    /// last position is projected (`[B, 1, vocabSize]`), which is all sampling needs.
    public func forward(_ idx: Tensor, targets: Tensor?) -> (logits: Tensor, loss: Tensor?) {
        checkUsage(idx.rank == 2 && idx.dtype.isInteger, "GPT: expected int64 token indices of shape [B, T], got \(idx.dtype.scalarTypeName) \(idx.shape)")
        let t = idx.shape[1]
        checkUsage(t <= config.blockSize, "Cannot forward sequence of length \(t), block size is only \(config.blockSize)")
        let pos = Tensor.arange(0, t)   // shape (t), int64
        // forward the GPT model itself
        let tokEmb = transformer.wte(idx)   // token embeddings of shape (b, t, n_embd)
        let posEmb = transformer.wpe(pos)   // position embeddings of shape (t, n_embd)
        var x = transformer.drop(tokEmb + posEmb)
        for block in transformer.blocks { x = block(x) }
        x = transformer.lnF(x)
        guard let targets else {
            // inference-time mini-optimization: only forward the lm_head on the very last position
            return (lmHead(x.slice(dim: 1, start: t - 1, end: t)), nil)
        }
        checkUsage(targets.shape == idx.shape, "GPT: targets must have the shape of idx \(idx.shape), got \(targets.shape)")
        let logits = lmHead(x)
        let loss = crossEntropy(logits.reshape([-1, logits.shape[2]]), targets.reshape([-1]), ignoreIndex: -1)
        return (logits, loss)
    }

    /// ``forward(_:targets:)`` grouped under the model's name for graph drawings, with the
    /// module's hooks around it (they see `idx` and the logits):
    /// `let (logits, loss) = model(x, targets: y)`, `let (logits, _) = model(x)`.
    public func callAsFunction(_ idx: Tensor, targets: Tensor? = nil) -> (logits: Tensor, loss: Tensor?) {
        callWithHooks(idx) { forward($0, targets: targets) }
    }

    /// The logits of ``forward(_:targets:)`` without targets (the last position's), so the
    /// model also runs where a single-output `Module` is expected.
    public override func forward(_ idx: Tensor) -> Tensor { forward(idx, targets: nil).logits }

    /// The AdamW optimizer nanoGPT trains with: every parameter of two or more dimensions
    /// (the matrices and embeddings) decays by `weightDecay`, the others (biases, norm
    /// weights) do not.
    /// ```swift
    /// let optimizer = model.configureOptimizers(weightDecay: 0.1, learningRate: 1e-3, betas: (0.9, 0.99))
    /// ```
    public func configureOptimizers(weightDecay: Float, learningRate: Float, betas: (Float, Float)) -> AdamW {
        // start with all of the candidate parameters (that require grad)
        let parameters = namedParameters().map(\.parameter).filter(\.requiresGrad)
        // any parameter that is 2D will be weight decayed, otherwise no.
        let decay = parameters.filter { $0.rank >= 2 }
        let noDecay = parameters.filter { $0.rank < 2 }
        return AdamW(groups: [
            ParameterGroup(parameters: decay, weightDecay: weightDecay),
            ParameterGroup(parameters: noDecay, weightDecay: 0),
        ], learningRate: learningRate, betas: betas)
    }
}

/// The `transformer` part of a ``GPT``: nanoGPT's `nn.ModuleDict(dict(wte=..., wpe=...,
/// drop=..., h=nn.ModuleList(...), ln_f=...))`, with typed properties. Its submodules are
/// named `wte`, `wpe`, `drop`, `h` and `ln_f`, and `transformer["wte"]` reads one by name.
public final class GPTTransformer: Module {
    /// The token embeddings, `[vocabSize, nEmbd]` (shared with the output layer).
    public let wte: Embedding
    /// The position embeddings, `[blockSize, nEmbd]`.
    public let wpe: Embedding
    /// Dropout on the summed embeddings.
    public let drop: Dropout
    /// The transformer blocks, named `h.0`, `h.1`, ...
    public let h: ModuleList
    /// The final layer norm (`ln_f`).
    public let lnF: LayerNorm

    /// The embeddings, blocks and final norm for `config`.
    public init(_ config: GPTConfig, generator: RandomGenerator = .default) {
        config.check()
        wte = Embedding(numEmbeddings: config.vocabSize, embeddingDim: config.nEmbd, generator: generator)
        wpe = Embedding(numEmbeddings: config.blockSize, embeddingDim: config.nEmbd, generator: generator)
        drop = Dropout(p: Float(config.dropout), generator: generator)
        h = ModuleList((0..<config.nLayer).map { _ in GPTBlock(config, generator: generator) })
        lnF = LayerNorm(normalizedShape: [config.nEmbd], bias: config.bias)
    }

    /// The blocks of ``h`` that are ``GPTBlock``s, in order.
    public var blocks: [GPTBlock] { h.compactMap { $0 as? GPTBlock } }

    /// The submodule named `key` (`wte`, `wpe`, `drop`, `h` or `ln_f`), or nil.
    public subscript(key: String) -> Module? {
        namedChildren().first { $0.name == key }?.module
    }

    /// The submodules under nanoGPT's names: `wte`, `wpe`, `drop`, `h`, `ln_f`.
    public override func namedChildren() -> [(name: String, module: Module)] {
        [("wte", wte), ("wpe", wpe), ("drop", drop), ("h", h), ("ln_f", lnF)]
    }
}
