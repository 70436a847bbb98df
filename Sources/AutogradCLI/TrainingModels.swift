import ArgumentParser
import Autograd

/// The models `autograd train` can build.
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
    /// architectures in PyTorch, so keep the two in step.
    func make(imageShape: [Int], classes: Int) -> Sequential {
        let (channels, height, width) = (imageShape[0], imageShape[1], imageShape[2])
        switch self {
        case .mlp:
            return Sequential(
                Flatten(),
                Linear(inFeatures: channels * height * width, outFeatures: 256), ReLU(), Dropout(p: 0.2),
                Linear(inFeatures: 256, outFeatures: classes))
        case .cnn:
            return Sequential(
                Conv2d(inChannels: channels, outChannels: 16, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 16), ReLU(),
                Conv2d(inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 32), ReLU(),
                MaxPool2d(kernelSize: 2),
                Flatten(), Dropout(p: 0.25),
                Linear(inFeatures: 32 * (height / 2) * (width / 2), outFeatures: 128), ReLU(),
                Linear(inFeatures: 128, outFeatures: classes))
        }
    }
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
