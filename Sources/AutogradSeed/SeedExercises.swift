import Autograd

/// One of the seed study note's programs, written in Swift the way it is written in PyTorch.
public struct SeedExercise: Sendable {
    /// The exercise's label: "1", "2", "2b" (the `detach()` variant), "3" or "4".
    public let id: String
    /// A one-line summary of what the exercise practises.
    public let title: String
    /// Runs the program and returns what it prints, one string per line.
    public let run: @Sendable () -> [String]

    /// All five programs, in the note's order.
    public static let all: [SeedExercise] = [
        SeedExercise(id: "1", title: "a linear model with a squared loss", run: linearModel),
        SeedExercise(id: "2", title: "a shared parameter used twice", run: { sharedParameter(detached: false) }),
        SeedExercise(id: "2b", title: "the same with detach() on the second use", run: { sharedParameter(detached: true) }),
        SeedExercise(id: "3", title: "a branching chain whose gradients add up", run: branchingChain),
        SeedExercise(id: "4", title: "a Conv2d whose weight and bias gradients are read", run: convolution),
    ]
}

/// Exercise 1: `loss = (x * params[0] + params[1] - y) ** 2`.
func linearModel() -> [String] {
    let x = Tensor([2.0])
    let y = Tensor([3.0])
    let params = Tensor([1.0, 3.0], requiresGrad: true)
    let result = x * params[0] + params[1]
    let loss = (result - y) ** 2
    loss.backward()
    return ["loss: \(loss)", "params.grad: \(params.grad!)"]
}

/// Exercise 2: `loss = (x * params) * (y * params)`, optionally detaching the second use,
/// which cuts its path so the gradient halves (36 becomes 18).
func sharedParameter(detached: Bool) -> [String] {
    let x = Tensor([2.0])
    let y = Tensor([3.0])
    let params = Tensor([3.0], requiresGrad: true)
    let a = x * params
    let b = y * (detached ? params.detach() : params)
    let loss = a * b
    loss.backward()
    return ["loss: \(loss)", "params.grad: \(params.grad!)"]
}

/// Exercise 3: one value feeds two branches, `t = b * p2 + b * p3`, so gradients from both
/// paths add up in `params.grad`.
func branchingChain() -> [String] {
    let x = Tensor([7.0])
    let params = Tensor([2.0, 3.0, 5.0, 4.0], requiresGrad: true)
    let a = x * params[0]
    let b = a * params[1]
    let r = b * params[2]
    let s = b * params[3]
    let t = r + s
    t.backward()
    return ["r: \(r), s: \(s)", "params.grad: \(params.grad!)"]
}

/// Exercise 4: a 3x3 convolution with assigned weight and bias, `sum().backward()`, and
/// the parameters' gradients, shown as the note's interactive session shows them.
func convolution() -> [String] {
    let image = Tensor([[[[2, 2, 1, 3],
                          [4, 3, 1, 2],
                          [1, 2, 2, 2],
                          [1, 1, 2, 4]]]])
    let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 3)
    conv.weight = Parameter(Tensor([[[[3, 4, 5], [1, 2, 5], [1, 4, 5]]]]))
    conv.bias = Parameter(Tensor([0]))
    let result = conv(image)
    let loss = result.sum()
    loss.backward()
    return [
        ">>> result", "\(result)",
        ">>> loss", "\(loss)",
        ">>> conv.weight.grad", "\(conv.weight.grad!)",
        ">>> conv.bias.grad", "\(conv.bias!.grad!)",
    ]
}
