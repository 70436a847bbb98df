import Autograd

/// One of the seed study note's programs, written in Swift the way it is written in PyTorch.
public struct SeedExercise: Sendable {
    /// The exercise's label: "1", "2", "2b" (the `detach()` variant), "3" or "4".
    public let id: String
    /// A one-line summary of what the exercise practises.
    public let title: String
    /// Runs the program and returns what it prints and the tensor it computes last.
    public let program: @Sendable () -> SeedRun

    /// Runs the program and returns what it prints, one string per line.
    public func run() -> [String] { program().lines }

    /// Runs the program (with its backward pass) inside `tracingGraph`, so its output's
    /// graph shows constants, `detach()` cuts and the gradient that flowed along each edge.
    public func tracedRun() -> SeedRun { tracingGraph { program() } }

    /// All five programs, in the note's order.
    public static let all: [SeedExercise] = [
        SeedExercise(id: "1", title: "a linear model with a squared loss", program: linearModel),
        SeedExercise(id: "2", title: "a shared parameter used twice", program: { sharedParameter(detached: false) }),
        SeedExercise(id: "2b", title: "the same with detach() on the second use", program: { sharedParameter(detached: true) }),
        SeedExercise(id: "3", title: "a branching chain whose gradients add up", program: branchingChain),
        SeedExercise(id: "4", title: "a Conv2d whose weight and bias gradients are read", program: convolution),
    ]
}

/// What one run of a seed program gives: its printed lines and the tensor it computed
/// last (its loss or output), whose tensors carry the names the note gives them.
public struct SeedRun {
    /// What the program prints, one string per line.
    public let lines: [String]
    /// The tensor `backward()` was called on; draw its graph with `output.graph()`.
    public let output: Tensor
}

/// Exercise 1: `loss = (x * params[0] + params[1] - y) ** 2`.
func linearModel() -> SeedRun {
    let x = Tensor([2.0]).named("x")
    let y = Tensor([3.0]).named("y")
    let params = Tensor([1.0, 3.0], requiresGrad: true).named("params")
    let result = (x * params[0] + params[1]).named("result")
    let loss = ((result - y) ** 2).named("loss")
    loss.backward()
    return SeedRun(lines: ["loss: \(loss)", "params.grad: \(params.grad!)"], output: loss)
}

/// Exercise 2: `loss = (x * params) * (y * params)`, optionally detaching the second use,
/// which cuts its path so the gradient halves (36 becomes 18).
func sharedParameter(detached: Bool) -> SeedRun {
    let x = Tensor([2.0]).named("x")
    let y = Tensor([3.0]).named("y")
    let params = Tensor([3.0], requiresGrad: true).named("params")
    let a = (x * params).named("a")
    let b = (y * (detached ? params.detach() : params)).named("b")
    let loss = (a * b).named("loss")
    loss.backward()
    return SeedRun(lines: ["loss: \(loss)", "params.grad: \(params.grad!)"], output: loss)
}

/// Exercise 3: one value feeds two branches, `t = b * p2 + b * p3`, so gradients from both
/// paths add up in `params.grad`.
func branchingChain() -> SeedRun {
    let x = Tensor([7.0]).named("x")
    let params = Tensor([2.0, 3.0, 5.0, 4.0], requiresGrad: true).named("params")
    let a = (x * params[0]).named("a")
    let b = (a * params[1]).named("b")
    let r = (b * params[2]).named("r")
    let s = (b * params[3]).named("s")
    let t = (r + s).named("t")
    t.backward()
    return SeedRun(lines: ["r: \(r), s: \(s)", "params.grad: \(params.grad!)"], output: t)
}

/// Exercise 4: a 3x3 convolution with assigned weight and bias, `sum().backward()`, and
/// the parameters' gradients, shown as the note's interactive session shows them.
func convolution() -> SeedRun {
    let image = Tensor([[[[2, 2, 1, 3],
                          [4, 3, 1, 2],
                          [1, 2, 2, 2],
                          [1, 1, 2, 4]]]], dtype: .float32).named("image")
    let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 3)
    conv.weight = Parameter(Tensor([[[[3, 4, 5], [1, 2, 5], [1, 4, 5]]]], dtype: .float32))
    conv.bias = Parameter(Tensor([0], dtype: .float32))
    conv.weight.named("conv.weight")
    conv.bias!.named("conv.bias")
    let result = conv(image).named("result")
    let loss = result.sum().named("loss")
    loss.backward()
    let lines = [
        ">>> result", "\(result)",
        ">>> loss", "\(loss)",
        ">>> conv.weight.grad", "\(conv.weight.grad!)",
        ">>> conv.bias.grad", "\(conv.bias!.grad!)",
    ]
    return SeedRun(lines: lines, output: loss)
}
