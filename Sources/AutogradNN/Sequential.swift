import AutogradEngine

/// Layers applied one after another, like `torch.nn.Sequential`; the layers are named
/// `0`, `1`, ... so parameter names are `"0.weight"`, `"2.bias"` as in PyTorch.
/// ```swift
/// let model = Sequential(
///     Flatten(),
///     Linear(inFeatures: 64, outFeatures: 128), ReLU(),
///     Linear(inFeatures: 128, outFeatures: 10))
/// let logits = model(images)
/// ```
public final class Sequential: Module {
    /// The layers, in the order they run.
    public private(set) var layers: [Module]

    /// The layers given, in order.
    public init(_ layers: Module...) { self.layers = layers }

    /// The layers given, in order.
    public init(_ layers: [Module]) { self.layers = layers }

    /// Adds a layer at the end, like `append`.
    public func append(_ layer: Module) { layers.append(layer) }

    /// The layer at `index`.
    public subscript(index: Int) -> Module { layers[index] }

    /// The number of layers.
    public var count: Int { layers.count }

    /// The layers named by their positions.
    public override func namedChildren() -> [(name: String, module: Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    /// `input` passed through every layer in turn.
    public override func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}

/// Flattens dimensions `startDim...endDim` into one, like `torch.nn.Flatten` (by default
/// everything but the batch dimension: `[N, C, H, W]` → `[N, C·H·W]`).
public final class Flatten: Module {
    /// The first dimension merged.
    public let startDim: Int
    /// The last dimension merged.
    public let endDim: Int

    /// A layer merging dimensions `startDim...endDim`.
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
    }

    /// `input.flatten(startDim:endDim:)`.
    public override func forward(_ input: Tensor) -> Tensor { input.flatten(startDim: startDim, endDim: endDim) }

    /// PyTorch's settings string, `start_dim=1, end_dim=-1`.
    public override var extraDescription: String { "start_dim=\(startDim), end_dim=\(endDim)" }
}
