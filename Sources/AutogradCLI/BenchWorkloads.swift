import Autograd
import Foundation

/// One benchmark workload: a name shared with the PyTorch reference script and a function
/// that measures it, returning the value and its unit (nil when it cannot run).
struct BenchWorkload: Sendable {
    let name: String
    let run: @Sendable () -> (Double, String)?

    /// Every workload, in the order of `Scripts/bench/torch_ref.py`.
    static let all: [BenchWorkload] = [
        BenchWorkload(name: "op_overhead", run: opOverhead),
        BenchWorkload(name: "matmul_256", run: { matmul(256) }),
        BenchWorkload(name: "matmul_1024", run: { matmul(1024) }),
        BenchWorkload(name: "matmul_f64_1024", run: { matmul(1024, dtype: .float64) }),
        BenchWorkload(name: "matmul_bwd_512", run: { matmulBackward(512) }),
        BenchWorkload(name: "mlp_step", run: mlpStep),
        BenchWorkload(name: "lenet_step", run: lenetStep),
        BenchWorkload(name: "conv_fwd_bwd", run: convolutionForwardBackward),
        BenchWorkload(name: "mlp_peak_rss", run: mlpPeakMemory),
        BenchWorkload(name: "ddp_step", run: dataParallelStep),
        BenchWorkload(name: "index_gather", run: indexGather),
        // sequence models
        BenchWorkload(name: "gpt_step", run: gptStep),
        BenchWorkload(name: "gpt_peak_rss", run: gptPeakMemory),
        BenchWorkload(name: "lstm_step", run: lstmStep),
    ]
}

/// The median time in seconds of `repetitions` timed runs of `inner` calls each, after
/// `warmUp` untimed calls (torch_ref.py's `timeit`).
func medianTime(warmUp: Int = 3, repetitions: Int = 7, inner: Int = 1, _ body: () -> Void) -> Double {
    for _ in 0..<warmUp { body() }
    var times: [Double] = []
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<inner { body() }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(inner))
    }
    times.sort()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

/// A chain of 10,000 elementwise ops on shape-[1] tensors, then backward; ns per op.
private func opOverhead() -> (Double, String)? {
    let n = 10_000
    let time = medianTime(warmUp: 1, repetitions: 5) {
        let p = Tensor([1.0001], requiresGrad: true)
        let c = Tensor([0.9999])
        var x = p
        for _ in 0..<(n / 2) {
            x = x * c
            x = x + c
        }
        x.sum().backward()
    }
    return (time / Double(n) * 1e9, "ns/op")
}

/// Square matmul forward of `dtype` tensors; GFLOP/s counting 2n³.
private func matmul(_ n: Int, dtype: DType = .float32) -> (Double, String)? {
    let a = Tensor.randn([n, n], dtype: dtype), b = Tensor.randn([n, n], dtype: dtype)
    let time = medianTime(inner: n <= 512 ? 3 : 1) { _ = a.matmul(b) }
    return (2 * pow(Double(n), 3) / time / 1e9, "GFLOP/s")
}

/// `(a.matmul(b)).sum().backward()` with both requiring grad; GFLOP/s counting 6n³.
private func matmulBackward(_ n: Int) -> (Double, String)? {
    let a = Tensor(shape: [n, n], scalars: Tensor.randn([n, n]).scalars, requiresGrad: true)
    let b = Tensor(shape: [n, n], scalars: Tensor.randn([n, n]).scalars, requiresGrad: true)
    let time = medianTime {
        a.grad = nil
        b.grad = nil
        a.matmul(b).sum().backward()
    }
    return (6 * pow(Double(n), 3) / time / 1e9, "GFLOP/s")
}

/// Random class indices in `0..<classes`, as the int64 tensor the losses take.
func randomClasses(_ count: Int, classes: Int) -> Tensor {
    let draws = RandomGenerator(seed: 1).uniform(count: count, low: 0, high: Float(classes))
    return Tensor(draws.map { Swift.min(Int($0), classes - 1) })
}

/// One training step of a model: zero the gradients, forward, cross-entropy, backward, step.
func trainingStep(_ model: Module, _ optimizer: Optimizer, _ x: Tensor, _ y: Tensor) {
    optimizer.zeroGrad()
    let loss = crossEntropy(model(x), y)
    loss.backward()
    optimizer.step()
}

/// The mlp_step workload: Linear 784-256-128-10 with ReLU, SGD momentum 0.9, and one
/// batch of 128 random inputs with random classes. Returns a function that takes one step.
private func makeMLPTraining() -> () -> Void {
    let model = Sequential(
        Linear(inFeatures: 784, outFeatures: 256), ReLU(),
        Linear(inFeatures: 256, outFeatures: 128), ReLU(),
        Linear(inFeatures: 128, outFeatures: 10))
    let optimizer = SGD(parameters: model.parameters(), learningRate: 0.01, momentum: 0.9)
    let x = Tensor.randn([128, 784])
    let y = randomClasses(128, classes: 10)
    return { trainingStep(model, optimizer, x, y) }
}

/// Linear 784-256-128-10 with ReLU, cross-entropy, SGD momentum 0.9, batch 128; steps/s.
private func mlpStep() -> (Double, String)? {
    let step = makeMLPTraining()
    let time = medianTime(warmUp: 5, repetitions: 7, inner: 20, step)
    return (1 / time, "steps/s")
}

/// The peak resident memory of this process after 200 mlp_step steps, in MiB (run it
/// alone: the process's peak includes whatever ran before).
private func mlpPeakMemory() -> (Double, String)? {
    let step = makeMLPTraining()
    for _ in 0..<200 { step() }
    guard let kibibytes = peakResidentKibibytes() else { return nil }
    return (Double(kibibytes) / 1024, "MiB")
}

/// The largest resident set this process has had, in KiB (getrusage's ru_maxrss).
func peakResidentKibibytes() -> Int? {
    var usage = rusage()
    #if canImport(Darwin)
    let this = RUSAGE_SELF
    #else
    let this = RUSAGE_SELF.rawValue
    #endif
    guard getrusage(this, &usage) == 0 else { return nil }
    #if canImport(Darwin)
    return Int(usage.ru_maxrss) / 1024   // bytes on Apple platforms
    #else
    return Int(usage.ru_maxrss)
    #endif
}

/// LeNet-5 on 1×28×28 with Adam, batch 64; steps/s.
private func lenetStep() -> (Double, String)? {
    let model = Sequential(
        Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5), ReLU(), MaxPool2d(kernelSize: 2),
        Conv2d(inChannels: 6, outChannels: 16, kernelSize: 5), ReLU(), MaxPool2d(kernelSize: 2),
        Flatten(),
        Linear(inFeatures: 256, outFeatures: 120), ReLU(),
        Linear(inFeatures: 120, outFeatures: 84), ReLU(),
        Linear(inFeatures: 84, outFeatures: 10))
    let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
    let x = Tensor.randn([64, 1, 28, 28])
    let y = randomClasses(64, classes: 10)
    let time = medianTime(warmUp: 5, repetitions: 7, inner: 10) { trainingStep(model, optimizer, x, y) }
    return (1 / time, "steps/s")
}

/// Conv2d 32→64, 3×3, padding 1 on 16×32×56×56 requiring grad, `sum().backward()`;
/// GFLOP/s counting the forward and both backward convolutions.
private func convolutionForwardBackward() -> (Double, String)? {
    let conv = Conv2d(inChannels: 32, outChannels: 64, kernelSize: 3, padding: 1)
    let x = Tensor(shape: [16, 32, 56, 56], scalars: Tensor.randn([16, 32, 56, 56]).scalars, requiresGrad: true)
    let time = medianTime(warmUp: 2, repetitions: 5) {
        conv.zeroGrad()
        x.grad = nil
        conv(x).sum().backward()
    }
    let flops: Double = 3 * 2 * 16 * 64 * 56 * 56 * 32 * 9
    return (flops / time / 1e9, "GFLOP/s")
}

/// `x.gather(dim: 1, index: i).scatterAdd(dim: 1, index: i, source: s).sum().backward()` on
/// [4096, 512] with random int64 indices and both x and s requiring grad; ms per step
/// (forward and backward).
private func indexGather() -> (Double, String)? {
    let shape = [4096, 512]
    let x = Tensor(shape: shape, scalars: Tensor.randn(shape).scalars, requiresGrad: true)
    let source = Tensor(shape: shape, scalars: Tensor.randn(shape).scalars, requiresGrad: true)
    let index = randomClasses(shape[0] * shape[1], classes: shape[1]).reshape(shape)
    let time = medianTime {
        x.grad = nil
        source.grad = nil
        x.gather(dim: 1, index: index).scatterAdd(dim: 1, index: index, source: source).sum().backward()
    }
    return (time * 1e3, "ms")
}

/// The character LSTM's training step (issue 12): embedding 65×64, a 2-layer batch-first
/// LSTM of 256, a linear head to 65 classes, cross-entropy, gradient clipping at 1.0 and
/// Adam (2e-3), on a random batch of 32 sequences of 64 tokens; steps/s.
private func lstmStep() -> (Double, String)? {
    let embedding = Embedding(numEmbeddings: 65, embeddingDim: 64)
    let lstm = LSTM(inputSize: 64, hiddenSize: 256, numLayers: 2, batchFirst: true)
    let head = Linear(inFeatures: 256, outFeatures: 65)
    let parameters = embedding.parameters() + lstm.parameters() + head.parameters()
    let optimizer = Adam(parameters: parameters, learningRate: 2e-3)
    let x = randomClasses(32 * 64, classes: 65).reshape([32, 64])
    let y = randomClasses(32 * 64, classes: 65).reshape([32, 64])
    let time = medianTime(warmUp: 2, repetitions: 5, inner: 3) {
        optimizer.zeroGrad()
        let (output, _) = lstm(embedding(x))
        crossEntropy(head(output).reshape([-1, 65]), y.reshape([-1])).backward()
        _ = clipGradNorm(parameters, maxNorm: 1.0)
        optimizer.step()
    }
    return (1 / time, "steps/s")
}
