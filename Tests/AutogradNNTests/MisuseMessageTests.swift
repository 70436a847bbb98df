import Foundation
import Testing
import Autograd

/// Misusing the API stops the program with PyTorch's message (the op, the shapes, the
/// values), in debug and in optimised builds alike: each case runs in a child process
/// that must fail and print the message. `.ci/run` runs this suite in `-c release` too,
/// where a plain `precondition` would die with "Illegal instruction" and nothing else.
@Suite struct MisuseMessageTests {
    static let cases: [Misuse] = [
        Misuse(name: "linear-features", message: "mat1 and mat2 shapes cannot be multiplied (input [2, 3], weight [4, 5])"),
        Misuse(name: "cross-entropy-target", message: "cross_entropy: target 7 is out of bounds for 3 classes"),
        Misuse(name: "cross-entropy-float-classes", message: "expected scalar type Long but found Float"),
        Misuse(name: "nll-target-shape", message: "nll_loss: expected target of shape [2] for input of shape [2, 3], got [3]"),
        Misuse(name: "batchnorm-channels", message: "BatchNorm2d: expected input with 3 channels, got shape [1, 2, 4, 4]"),
        Misuse(name: "batchnorm-one-value", message: "Expected more than 1 value per channel when training, got input size [1, 3]"),
        Misuse(name: "item-many", message: "a Tensor with 3 elements cannot be converted to Scalar"),
        Misuse(name: "cat-empty", message: "cat: expected a non-empty list of Tensors"),
        Misuse(name: "shape-scalars", message: "[2, 2]"),
        Misuse(name: "dropout-p", message: "dropout probability has to be between 0 and 1, but got 1.5"),
        Misuse(name: "broadcast", message: "add: shapes [3] and [4] cannot be broadcast"),
        Misuse(name: "matmul", message: "[2, 3]"),
        Misuse(name: "reshape", message: "shape '[4]' is invalid for input of size 6"),
        Misuse(name: "select", message: "index 5 is out of bounds for dimension 0 with size 3"),
        Misuse(name: "embedding-index", message: "embedding: index 3 is out of range for a table of 3 rows"),
        Misuse(name: "embedding-float-index", message: "to have one of the following scalar types: Long, Int; but got torch.float32 instead"),
        Misuse(name: "int-requires-grad", message: "Only Tensors of floating point and complex dtype can require gradients"),
        Misuse(name: "in-place-float-into-int", message: "add_: result type Float can't be cast to the desired output type Long"),
        Misuse(name: "mean-of-integers", message: "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"),
        Misuse(name: "conv-channels", message: "expected input[1, 2, 5, 5] to have 3 channels, but got 2 channels instead"),
        Misuse(name: "conv-kernel-too-big", message: "Kernel size can't be greater than actual input size"),
        Misuse(name: "maxpool-too-small", message: "max_pool2d: Given input size: (1x1). Calculated output size: (0x0). Output size is too small"),
        Misuse(name: "backward-twice", message: "Trying to backward through the graph a second time"),
        Misuse(name: "backward-no-grad", message: "element 0 of tensors does not require grad and does not have a grad_fn"),
        Misuse(name: "sgd-lr", message: "Invalid learning rate: -0.1"),
        Misuse(name: "adagrad-lr-decay", message: "Invalid lr_decay value: -0.1"),
        Misuse(name: "adadelta-rho", message: "Invalid rho value: 1.5"),
        Misuse(name: "group-twice", message: "some parameters appear in more than one parameter group"),
        Misuse(name: "group-parameters-changed", message: "the parameters of a group cannot be changed, only its options"),
        Misuse(name: "one-cycle-momentum", message: "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"),
        Misuse(name: "one-cycle-past-end", message: "Tried to step 3 times. The specified number of total steps is 2"),
        Misuse(name: "mse-shapes", message: "[2]"),
        Misuse(name: "layernorm-shape", message: "layer_norm: Given normalized_shape=[4], expected input with shape [*, 4], but got input of size [2, 3]"),
    ]

    @Test(arguments: cases)
    func misuseStopsWithPyTorchsMessage(_ misuse: Misuse) async {
        await expectStopsWithMessage(misuse, in: .api)
    }

    /// Runs the misuse called `name`; each must stop the process.
    static func commit(_ name: String) {
        switch name {
        case "linear-features": _ = Linear(inFeatures: 5, outFeatures: 4)(Tensor.zeros([2, 3]))
        case "cross-entropy-target": _ = crossEntropy(Tensor.zeros([2, 3]), Tensor([0, 7]))
        case "cross-entropy-float-classes": _ = crossEntropy(Tensor.zeros([2, 3]), Tensor([0.0, 1.0]))
        case "nll-target-shape": _ = nllLoss(Tensor.zeros([2, 3]), Tensor([0, 1, 2]))
        case "batchnorm-channels": _ = BatchNorm2d(numFeatures: 3)(Tensor.zeros([1, 2, 4, 4]))
        case "batchnorm-one-value": _ = BatchNorm1d(numFeatures: 3)(Tensor.zeros([1, 3]))
        case "item-many": _ = Tensor([1.0, 2.0, 3.0]).item()
        case "cat-empty": _ = cat([], dim: 0)
        case "shape-scalars": _ = Tensor(shape: [2, 2], scalars: [1, 2, 3])
        case "dropout-p": _ = Dropout(p: 1.5)
        case "broadcast": _ = Tensor([1.0, 2.0, 3.0]) + Tensor([1.0, 2.0, 3.0, 4.0])
        case "matmul": _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([2, 3]))
        case "reshape": _ = Tensor.zeros([2, 3]).reshape([4])
        case "select": _ = Tensor([1.0, 2.0, 3.0])[5]
        case "embedding-index": _ = Embedding(numEmbeddings: 3, embeddingDim: 2)(Tensor([0, 3]))
        case "embedding-float-index": _ = Embedding(numEmbeddings: 3, embeddingDim: 2)(Tensor([0.0, 1.0]))
        case "int-requires-grad": _ = Tensor([1, 2], requiresGrad: true)
        case "mean-of-integers": _ = Tensor([1, 2]).mean()
        case "in-place-float-into-int":
            let counts = Tensor([1, 2])
            counts += 0.5
        case "conv-channels": _ = Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3)(Tensor.zeros([1, 2, 5, 5]))
        case "conv-kernel-too-big": _ = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 3)(Tensor.zeros([1, 1, 2, 2]))
        case "maxpool-too-small": _ = MaxPool2d(kernelSize: 2)(Tensor.zeros([1, 1, 1, 1]))
        case "backward-twice":
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            let y = (x * x).sum()
            y.backward()
            y.backward()
        case "backward-no-grad": Tensor([1.0]).backward()
        case "sgd-lr": _ = SGD(parameters: Linear(inFeatures: 1, outFeatures: 1).parameters(), learningRate: -0.1)
        case "adagrad-lr-decay": _ = Adagrad(parameters: Linear(inFeatures: 1, outFeatures: 1).parameters(), lrDecay: -0.1)
        case "adadelta-rho": _ = Adadelta(parameters: Linear(inFeatures: 1, outFeatures: 1).parameters(), rho: 1.5)
        case "group-twice":
            let weight = Linear(inFeatures: 1, outFeatures: 1).weight
            _ = AdamW(groups: [ParameterGroup(parameters: [weight]), ParameterGroup(parameters: [weight], weightDecay: 0)])
        case "group-parameters-changed":
            let optimizer = SGD(parameters: Linear(inFeatures: 1, outFeatures: 1).parameters())
            optimizer.groups = [ParameterGroup(parameters: Linear(inFeatures: 1, outFeatures: 1).parameters())]
        case "one-cycle-momentum":
            _ = OneCycleLR(optimizer: Adagrad(parameters: Linear(inFeatures: 1, outFeatures: 1).parameters()), maxLR: 0.1, totalSteps: 10)
        case "one-cycle-past-end":
            let optimizer = SGD(parameters: Linear(inFeatures: 1, outFeatures: 1).parameters())
            let scheduler = OneCycleLR(optimizer: optimizer, maxLR: 0.1, totalSteps: 2)
            for _ in 0..<3 { scheduler.step() }
        case "mse-shapes": _ = mseLoss(Tensor([1.0, 2.0]), Tensor([1.0, 2.0, 3.0]))
        case "layernorm-shape": _ = LayerNorm(normalizedShape: [4])(Tensor.zeros([2, 3]))
        default: Issue.record("unknown misuse \(name)")
        }
    }
}
