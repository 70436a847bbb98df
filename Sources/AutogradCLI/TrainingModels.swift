import ArgumentParser
import Autograd

/// Every model `autograd train --model` builds: the image classifiers (``ModelKind``) and
/// the character-level language models (``LanguageModelKind``).
enum TrainedModel: String, CaseIterable, ExpressibleByArgument {
    /// The multilayer perceptron.
    case mlp
    /// The convolutional network.
    case cnn
    /// nanoGPT's transformer, trained on the bundled Shakespeare text.
    case gpt
    /// A character LSTM, trained on the bundled Shakespeare text.
    case lstm

    /// The image classifier, or nil for a language model.
    var classifier: ModelKind? { ModelKind(rawValue: rawValue) }

    /// The language model, or nil for an image classifier.
    var languageModel: LanguageModelKind? { LanguageModelKind(rawValue: rawValue) }
}

/// The image classifiers `autograd train` can build.
enum ModelKind: String, CaseIterable, ExpressibleByArgument {
    /// A multilayer perceptron: one hidden layer of 256 units with dropout.
    case mlp
    /// A small convolutional network: two 3×3 convolutions with batch norm, max pooling
    /// and two linear layers.
    case cnn

    /// The epochs `train` runs when not told otherwise.
    var defaultEpochs: Int {
        switch self {
        case .mlp: return 20
        case .cnn: return 15
        }
    }

    /// The model for images of `imageShape` (`[channels, height, width]`) and `classes`
    /// classes. `Scripts/fixtures/make_safetensors_fixtures.py --verify` builds the same
    /// architectures in PyTorch, so keep the two in step (and
    /// ``parameterCount(imageShape:classes:)`` and ``outputLayer`` with them).
    /// `dropout` replaces the model's dropout probability (0.2 for the MLP, 0.25 for the CNN).
    /// - Throws: a one-line ``CommandError`` when ``check(imageShape:classes:)`` does.
    func make(imageShape: [Int], classes: Int, dropout: Float? = nil) throws -> Sequential {
        let features = try check(imageShape: imageShape, classes: classes)
        switch self {
        case .mlp:
            return Sequential(
                Flatten(),
                Linear(inFeatures: features, outFeatures: Self.mlpHidden), ReLU(), Dropout(p: dropout ?? 0.2),
                Linear(inFeatures: Self.mlpHidden, outFeatures: classes))
        case .cnn:
            return Sequential(
                Conv2d(inChannels: imageShape[0], outChannels: 16, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 16), ReLU(),
                Conv2d(inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 32), ReLU(),
                MaxPool2d(kernelSize: Self.cnnPool),
                Flatten(), Dropout(p: dropout ?? 0.25),
                Linear(inFeatures: features, outFeatures: Self.cnnHidden), ReLU(),
                Linear(inFeatures: Self.cnnHidden, outFeatures: classes))
        }
    }

    /// Throws a one-line ``CommandError`` unless this model can be built for images of
    /// `imageShape` and `classes` classes: three positive dimensions, at least
    /// ``minimumImageSide`` pixels high and wide, 2 to ``maximumClasses`` classes, and
    /// no more than ``maximumParameters`` parameters.
    /// - Returns: the number of inputs to the model's first linear layer.
    @discardableResult
    func check(imageShape: [Int], classes: Int) throws -> Int {
        let size = describe(shape: imageShape)
        guard imageShape.count == 3, imageShape[0] >= 1 else {
            throw CommandError("the \(rawValue) needs images of shape channels×height×width with at least one channel, got \(size)")
        }
        let (height, width) = (imageShape[1], imageShape[2])
        guard height >= minimumImageSide, width >= minimumImageSide else {
            throw CommandError("the \(rawValue) needs images of at least \(minimumImageSide)×\(minimumImageSide) pixels\(self == .cnn ? " (its \(Self.cnnPool)×\(Self.cnnPool) max pooling)" : ""), but these are \(height)×\(width)")
        }
        guard (2...Self.maximumClasses).contains(classes) else {
            throw CommandError("a classifier needs 2 to \(Self.maximumClasses) classes, got \(classes)")
        }
        guard let count = parameterCount(imageShape: imageShape, classes: classes), count <= Self.maximumParameters,
              let features = flattenedFeatures(imageShape) else {
            throw CommandError("the \(rawValue) for \(size) images would have more than \(Self.maximumParameters) parameters, the most this tool builds")
        }
        return features
    }

    /// The smallest height and width of image the model accepts: 1 for the MLP; for the
    /// CNN, the 3×3 convolutions with padding 1 keep the size, and the max pooling needs a
    /// whole window.
    var minimumImageSide: Int {
        switch self {
        case .mlp: return 1
        case .cnn: return Self.cnnPool
        }
    }

    /// The number of parameters ``make(imageShape:classes:)`` gives, or nil when it
    /// overflows `Int`.
    func parameterCount(imageShape: [Int], classes: Int) -> Int? {
        guard let features = flattenedFeatures(imageShape) else { return nil }
        let channels = imageShape[0]
        let hidden = outputLayerInputs
        let firstLinear = multiply(features, hidden).flatMap { add($0, hidden) }
        let outputLinear = multiply(hidden, classes).flatMap { add($0, classes) }
        guard let firstLinear, let outputLinear, let layers = add(firstLinear, outputLinear) else { return nil }
        switch self {
        case .mlp:
            return layers
        case .cnn:
            // Two 3×3 convolutions with biases, and two batch norms' weights and biases.
            guard let firstConvolution = multiply(channels, 16 * 9).flatMap({ add($0, 16) }) else { return nil }
            return add(layers, firstConvolution).flatMap { add($0, 16 * 32 * 9 + 32 + 2 * 16 + 2 * 32) }
        }
    }

    /// The name of the last linear layer in the model's state dict: its `bias` has one
    /// entry per class.
    var outputLayer: String {
        switch self {
        case .mlp: return "4"
        case .cnn: return "11"
        }
    }

    /// The number of inputs of the last linear layer (its weight is `[classes, this]`).
    var outputLayerInputs: Int { self == .mlp ? Self.mlpHidden : Self.cnnHidden }

    /// The most classes a model is built for.
    static let maximumClasses = 100_000
    /// The most parameters a model is built with (400 MB of weights).
    static let maximumParameters = 100_000_000
    /// The MLP's hidden units.
    private static let mlpHidden = 256
    /// The CNN's max-pooling window (and stride).
    private static let cnnPool = 2
    /// The units of the CNN's hidden linear layer.
    private static let cnnHidden = 128

    /// The number of inputs to the first linear layer, or nil when it overflows `Int`.
    private func flattenedFeatures(_ imageShape: [Int]) -> Int? {
        let (channels, height, width) = (imageShape[0], imageShape[1], imageShape[2])
        switch self {
        case .mlp: return multiply(channels, height).flatMap { multiply($0, width) }
        case .cnn: return multiply(32, height / Self.cnnPool).flatMap { multiply($0, width / Self.cnnPool) }
        }
    }
}

/// `a * b`, or nil when it overflows.
private func multiply(_ a: Int, _ b: Int) -> Int? {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : product
}

/// `a + b`, or nil when it overflows.
private func add(_ a: Int, _ b: Int) -> Int? {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : sum
}

/// The optimizers `autograd train` offers.
enum OptimizerKind: String, CaseIterable, ExpressibleByArgument {
    /// Adam.
    case adam
    /// SGD with Nesterov momentum 0.9.
    case sgd

    /// The learning rate used when none is given.
    var defaultLearningRate: Float {
        switch self {
        case .adam: return 3e-3
        case .sgd: return 0.05
        }
    }

    /// The optimizer for `parameters`.
    func make(parameters: [Parameter], learningRate: Float) -> any Optimizer {
        switch self {
        case .adam: return Adam(parameters: parameters, learningRate: learningRate)
        case .sgd: return SGD(parameters: parameters, learningRate: learningRate, momentum: 0.9, nesterov: true)
        }
    }
}
