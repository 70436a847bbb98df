import AutogradCore
import AutogradEngine

/// The activation between a transformer layer's two feed-forward projections.
public enum TransformerActivation: String, Sendable {
    /// max(x, 0), PyTorch's default.
    case relu
    /// The exact GELU.
    case gelu

    func callAsFunction(_ x: Tensor) -> Tensor { self == .relu ? x.relu() : AutogradNN.gelu(x) }
}

/// The settings shared by transformer encoder and decoder layers.
public struct TransformerLayerSettings: Sendable {
    /// The model width.
    public var dModel: Int
    /// The number of attention heads.
    public var nhead: Int
    /// The width of the feed-forward block.
    public var dimFeedforward: Int
    /// Dropout after attention, inside and after the feed-forward block.
    public var dropout: Double
    /// The feed-forward activation.
    public var activation: TransformerActivation
    /// The layer norms' epsilon.
    public var layerNormEps: Float
    /// Whether inputs are `[N, L, E]` rather than `[L, N, E]`.
    public var batchFirst: Bool
    /// Whether each block normalises its input (pre-norm) rather than its output.
    public var normFirst: Bool
    /// Whether the projections and norms have biases.
    public var bias: Bool

    /// A fresh attention block of these settings.
    func attention(_ generator: RandomGenerator) -> MultiheadAttention {
        MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst,
                           generator: generator)
    }

    /// The feed-forward block's projections, `dModel -> dimFeedforward -> dModel`.
    func feedForward(_ generator: RandomGenerator) -> (Linear, Linear) {
        (Linear(inFeatures: dModel, outFeatures: dimFeedforward, bias: bias, generator: generator),
         Linear(inFeatures: dimFeedforward, outFeatures: dModel, bias: bias, generator: generator))
    }

    /// A layer norm over the model width.
    func norm() -> LayerNorm { LayerNorm(normalizedShape: [dModel], eps: layerNormEps, bias: bias) }

    /// A dropout layer of these settings' probability.
    func dropoutLayer(_ generator: RandomGenerator) -> Dropout { Dropout(p: Float(dropout), generator: generator) }
}

/// One transformer encoder layer, like `torch.nn.TransformerEncoderLayer`: self-attention
/// then a feed-forward block, each with a residual connection, dropout and a layer norm
/// (after the sum by default, before the block with `normFirst`).
/// ```swift
/// let layer = TransformerEncoderLayer(dModel: 64, nhead: 4, dimFeedforward: 256, batchFirst: true)
/// let y = layer(x, isCausal: true)
/// ```
public final class TransformerEncoderLayer: Module {
    /// The self-attention.
    public let selfAttn: MultiheadAttention
    /// The feed-forward block's first projection, `dModel -> dimFeedforward`.
    public let linear1: Linear
    /// Dropout inside the feed-forward block.
    public let dropout: Dropout
    /// The feed-forward block's second projection, `dimFeedforward -> dModel`.
    public let linear2: Linear
    /// The norm around self-attention.
    public let norm1: LayerNorm
    /// The norm around the feed-forward block.
    public let norm2: LayerNorm
    /// Dropout after self-attention.
    public let dropout1: Dropout
    /// Dropout after the feed-forward block.
    public let dropout2: Dropout
    /// The layer's settings.
    public let settings: TransformerLayerSettings

    /// A layer with PyTorch's defaults and initialisation.
    public init(
        dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
        activation: TransformerActivation = .relu, layerNormEps: Float = 1e-5, batchFirst: Bool = false,
        normFirst: Bool = false, bias: Bool = true, generator: RandomGenerator = .default
    ) {
        settings = TransformerLayerSettings(
            dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: activation,
            layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias)
        let s = settings
        selfAttn = s.attention(generator)
        (linear1, linear2) = s.feedForward(generator)
        self.dropout = s.dropoutLayer(generator)
        (norm1, norm2) = (s.norm(), s.norm())
        (dropout1, dropout2) = (s.dropoutLayer(generator), s.dropoutLayer(generator))
    }

    /// The layer applied to `src` with no masks.
    public override func forward(_ input: Tensor) -> Tensor { self(input, srcMask: nil) }

    /// The layer applied to `src` (`[L, N, E]`, or `[N, L, E]` with `batchFirst`);
    /// `srcMask` and `srcKeyPaddingMask` follow ``MultiheadAttention``'s conventions.
    public func callAsFunction(
        _ src: Tensor, srcMask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false
    ) -> Tensor {
        func selfAttention(_ x: Tensor) -> Tensor {
            let attended = selfAttn(x, x, x, keyPaddingMask: srcKeyPaddingMask, needWeights: false,
                                    attnMask: srcMask, isCausal: isCausal).output
            return dropout1(attended)
        }
        func feedForward(_ x: Tensor) -> Tensor {
            dropout2(linear2(dropout(settings.activation(linear1(x)))))
        }
        if settings.normFirst {
            let x = src + selfAttention(norm1(src))
            return x + feedForward(norm2(x))
        }
        let x = norm1(src + selfAttention(src))
        return norm2(x + feedForward(x))
    }

    /// A new layer with the same settings and a copy of this one's parameters.
    public func copy() -> TransformerEncoderLayer {
        let s = settings
        let layer = TransformerEncoderLayer(
            dModel: s.dModel, nhead: s.nhead, dimFeedforward: s.dimFeedforward, dropout: s.dropout,
            activation: s.activation, layerNormEps: s.layerNormEps, batchFirst: s.batchFirst, normFirst: s.normFirst,
            bias: s.bias)
        copyParameters(from: self, to: layer)
        return layer
    }
}

/// One transformer decoder layer, like `torch.nn.TransformerDecoderLayer`: self-attention
/// over the target, attention to the encoder's output (`memory`), then a feed-forward
/// block, each with a residual connection, dropout and a layer norm.
public final class TransformerDecoderLayer: Module {
    /// The self-attention over the target.
    public let selfAttn: MultiheadAttention
    /// The attention from the target to the memory.
    public let multiheadAttn: MultiheadAttention
    /// The feed-forward block's first projection.
    public let linear1: Linear
    /// Dropout inside the feed-forward block.
    public let dropout: Dropout
    /// The feed-forward block's second projection.
    public let linear2: Linear
    /// The norm around self-attention.
    public let norm1: LayerNorm
    /// The norm around the memory attention.
    public let norm2: LayerNorm
    /// The norm around the feed-forward block.
    public let norm3: LayerNorm
    /// Dropout after self-attention.
    public let dropout1: Dropout
    /// Dropout after the memory attention.
    public let dropout2: Dropout
    /// Dropout after the feed-forward block.
    public let dropout3: Dropout
    /// The layer's settings.
    public let settings: TransformerLayerSettings

    /// A layer with PyTorch's defaults and initialisation.
    public init(
        dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
        activation: TransformerActivation = .relu, layerNormEps: Float = 1e-5, batchFirst: Bool = false,
        normFirst: Bool = false, bias: Bool = true, generator: RandomGenerator = .default
    ) {
        settings = TransformerLayerSettings(
            dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: activation,
            layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias)
        let s = settings
        (selfAttn, multiheadAttn) = (s.attention(generator), s.attention(generator))
        (linear1, linear2) = s.feedForward(generator)
        self.dropout = s.dropoutLayer(generator)
        (norm1, norm2, norm3) = (s.norm(), s.norm(), s.norm())
        (dropout1, dropout2, dropout3) = (s.dropoutLayer(generator), s.dropoutLayer(generator), s.dropoutLayer(generator))
    }

    /// The layer applied to `tgt` attending to `memory`; masks follow
    /// ``MultiheadAttention``'s conventions.
    public func callAsFunction(
        _ tgt: Tensor, _ memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
        tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
        tgtIsCausal: Bool = false, memoryIsCausal: Bool = false
    ) -> Tensor {
        func selfAttention(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, x, x, keyPaddingMask: tgtKeyPaddingMask, needWeights: false, attnMask: tgtMask,
                              isCausal: tgtIsCausal).output)
        }
        func memoryAttention(_ x: Tensor) -> Tensor {
            dropout2(multiheadAttn(x, memory, memory, keyPaddingMask: memoryKeyPaddingMask, needWeights: false,
                                   attnMask: memoryMask, isCausal: memoryIsCausal).output)
        }
        func feedForward(_ x: Tensor) -> Tensor {
            dropout3(linear2(dropout(settings.activation(linear1(x)))))
        }
        if settings.normFirst {
            var x = tgt + selfAttention(norm1(tgt))
            x = x + memoryAttention(norm2(x))
            return x + feedForward(norm3(x))
        }
        var x = norm1(tgt + selfAttention(tgt))
        x = norm2(x + memoryAttention(x))
        return norm3(x + feedForward(x))
    }
}

/// A stack of encoder layers, like `torch.nn.TransformerEncoder`: `numLayers` copies of
/// one layer (the same initial weights, as PyTorch's deep copies), then an optional norm.
/// State-dict keys are `layers.0.self_attn.in_proj_weight`, ….
public final class TransformerEncoder: Module {
    /// The layers, applied in order.
    public let layers: [TransformerEncoderLayer]
    /// The final norm, if any.
    public let norm: LayerNorm?

    /// `numLayers` copies of `encoderLayer`, then `norm`.
    public init(_ encoderLayer: TransformerEncoderLayer, numLayers: Int, norm: LayerNorm? = nil) {
        checkUsage(numLayers > 0, "TransformerEncoder: num_layers must be positive, got \(numLayers)")
        layers = (0..<numLayers).map { _ in encoderLayer.copy() }
        self.norm = norm
    }

    /// The stack applied to `input` with no masks.
    public override func forward(_ input: Tensor) -> Tensor { self(input, mask: nil) }

    /// The stack applied to `src`, every layer with the same masks.
    public func callAsFunction(
        _ src: Tensor, mask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false
    ) -> Tensor {
        var x = src
        for layer in layers { x = layer(x, srcMask: mask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: isCausal) }
        return norm.map { $0(x) } ?? x
    }
}

/// Copies every parameter and buffer value of `source` into `target`, which has the same
/// structure.
func copyParameters(from source: Module, to target: Module) {
    for ((_, from), (_, to)) in zip(source.namedParameters(), target.namedParameters()) { to.array.assign(from: from.array) }
    for ((_, from), (_, to)) in zip(source.namedBuffers(), target.namedBuffers()) {
        to.value.array.assign(from: from.value.array)
    }
}
