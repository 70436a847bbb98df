import Autograd

/// The gpt_step workload: one AdamW training step of nanoGPT's CPU configuration (4 layers,
/// 4 heads, 128 wide, block 64, vocabulary 65, no bias, no dropout; AdamW with learning rate
/// 1e-3, betas (0.9, 0.99), weight decay 0.1 on every parameter, as torch_ref.py's
/// `torch.optim.AdamW(model.parameters(), ...)`) on one random batch of 12 blocks; steps/s.
func gptStep() -> (Double, String)? {
    let step = makeGPTTraining()
    let time = medianTime(warmUp: 3, repetitions: 7, inner: 5, step)
    return (1 / time, "steps/s")
}

/// The peak resident memory of this process after 50 gpt_step steps, in MiB (run it
/// alone: the process's peak includes whatever ran before).
func gptPeakMemory() -> (Double, String)? {
    let step = makeGPTTraining()
    for _ in 0..<50 { step() }
    guard let kibibytes = peakResidentKibibytes() else { return nil }
    return (Double(kibibytes) / 1024, "MiB")
}

/// A function taking one gpt_step training step (see ``gptStep()``).
func makeGPTTraining() -> () -> Void {
    let generator = RandomGenerator(seed: 0)
    let model = GPT(GPTConfig(blockSize: 64, vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false),
                    generator: generator)
    let optimizer = AdamW(parameters: model.parameters(), learningRate: 1e-3, betas: (0.9, 0.99), weightDecay: 0.1)
    var random = generator
    let x = Tensor((0..<12).map { _ in (0..<64).map { _ in Int.random(in: 0..<65, using: &random) } })
    let y = Tensor((0..<12).map { _ in (0..<64).map { _ in Int.random(in: 0..<65, using: &random) } })
    return {
        optimizer.zeroGrad()
        let (_, loss) = model(x, targets: y)
        loss?.backward()
        optimizer.step()
    }
}
