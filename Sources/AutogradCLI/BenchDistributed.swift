import Autograd
import Foundation

/// mlp_step's model, optimizer and global batch of 128 wrapped in
/// `DistributedDataParallel`: under `mpirun -np N` each process takes 128 / N rows of the
/// batch and the gradients are averaged every step; alone, one process takes all 128.
/// Steps per second of the whole job (each step is one global batch).
func dataParallelStep() -> (Double, String)? {
    guard let group = try? ProcessGroup.fromEnvironment() else { return nil }
    let model = DistributedDataParallel(
        Sequential(
            Linear(inFeatures: 784, outFeatures: 256), ReLU(),
            Linear(inFeatures: 256, outFeatures: 128), ReLU(),
            Linear(inFeatures: 128, outFeatures: 10)),
        group: group)
    let optimizer = SGD(parameters: model.parameters(), learningRate: 0.01, momentum: 0.9)
    let globalBatch = 128
    let mine = share(of: globalBatch, rank: group.rank, worldSize: group.worldSize)
    let x = Tensor.randn([mine.count, 784])
    let y = randomClasses(mine.count, classes: 10)
    let time = medianTime(warmUp: 5, repetitions: 7, inner: 20) { trainingStep(model, optimizer, x, y) }
    // Every process timed the same steps; report the slowest, which the job waits for.
    var slowest = [time]
    group.allReduce(&slowest, op: .max)
    return (1 / slowest[0], "steps/s")
}
