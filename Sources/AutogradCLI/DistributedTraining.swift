import Autograd
import Foundation

/// What `autograd train --distributed` adds to training: the process group, each
/// process's share of every global batch, and evaluation split across the processes.
enum DistributedTraining {
    /// The group of the MPI job that started this process (one process without a
    /// launcher), with the kernels' threads divided among the processes on this machine
    /// unless `AUTOGRAD_NUM_THREADS` says otherwise.
    /// - Throws: a one-line ``CommandError`` when MPI cannot be loaded or started.
    static func makeGroup() throws -> ProcessGroup {
        let environment = ProcessInfo.processInfo.environment
        let group: ProcessGroup
        do {
            group = try ProcessGroup.fromEnvironment()
        } catch {
            throw CommandError("--distributed: \(error)")
        }
        if environment["AUTOGRAD_NUM_THREADS"] == nil, let local = LaunchEnvironment.detect(environment)?.localSize, local > 1 {
            Kernels.threadCount = max(1, Kernels.threadCount / local)
        }
        return group
    }

    /// The line `train` prints about the group, such as `distributed over 2 processes
    /// (Open MPI v4.1.4, libmpi.so.40): about 32 examples each per batch of 64`.
    static func summary(_ group: ProcessGroup, batchSize: Int) -> String {
        guard group.usesMPI else { return "distributed: not started by an MPI launcher (mpirun, srun), so training in this one process" }
        let each = share(of: batchSize, rank: 0, worldSize: group.worldSize).count
        let library = group.description.drop { $0 != "(" }
        return "distributed over \(group.worldSize) processes \(library): up to \(each) examples each per batch of \(batchSize), "
            + "\(Kernels.threadCount) thread\(Kernels.threadCount == 1 ? "" : "s") per process"
    }
}

/// Examples `rank`'s contiguous part of `count`: the parts differ by at most one, the
/// first processes taking the extra examples.
func share(of count: Int, rank: Int, worldSize: Int) -> Range<Int> {
    let base = count / worldSize, extra = count % worldSize
    let start = rank * base + min(rank, extra)
    return start..<(start + base + (rank < extra ? 1 : 0))
}

/// One pass over `data` in global batches of `batchSize`, in the order rank 0 draws from
/// the default generator (as the single-process loader does); each process runs forward
/// and backward on its contiguous share of every batch with the loss weighted by the
/// share's size, so the averaged gradient is the whole batch's mean, exactly as in one
/// process. Returns the mean loss per example over all processes.
/// - Throws: ``NonFiniteLoss`` at the first step whose loss is nan or infinite here.
func trainOneEpoch(_ model: DistributedDataParallel, data: TensorDataset, batchSize: Int, optimizer: any Optimizer, progress: ProgressBar) throws -> Double {
    let group = model.group
    model.train()
    // Every process draws (keeping the generators in step); rank 0's order is used.
    var order = RandomGenerator.default.permutation(data.count)
    group.broadcast(&order, from: 0)
    var totals = [0.0, 0.0]   // loss times examples, examples: summed over processes at the end
    let batches = (data.count + batchSize - 1) / batchSize
    for step in 0..<batches {
        let batch = order[(step * batchSize)..<min((step + 1) * batchSize, data.count)]
        let mine = share(of: batch.count, rank: group.rank, worldSize: group.worldSize)
        optimizer.zeroGrad()
        if mine.isEmpty {
            model.joinGradientSynchronization()
        } else {
            let (images, labels) = data.batch(Array(batch.dropFirst(mine.lowerBound).prefix(mine.count)))
            let loss = crossEntropy(model(images), labels)
            let value = loss.item()
            guard value.isFinite else { throw NonFiniteLoss(loss: value, step: step + 1) }
            let weight = Float(mine.count * group.worldSize) / Float(batch.count)
            (weight == 1 ? loss : loss * weight).backward()
            model.finishGradientSynchronization()
            totals[0] += Double(value) * Double(mine.count)
            totals[1] += Double(mine.count)
        }
        optimizer.step()
        progress.update(step + 1, status: String(format: "loss %.4f", totals[0] / max(totals[1], 1)))
    }
    group.allReduce(&totals)
    return totals[0] / max(totals[1], 1)
}

/// The fraction of `dataset` that `model` classifies correctly; with a group, each
/// process evaluates its contiguous share (after taking rank 0's buffers, so batch norm
/// uses the same statistics everywhere) and the counts are added up.
func accuracy(of model: Module, on dataset: TensorDataset, group: ProcessGroup?) -> Double {
    guard let group, group.worldSize > 1 else { return accuracy(of: model, on: dataset).fraction }
    group.broadcastCoalesced(model.namedBuffers().map(\.buffer.value), from: 0)
    let mine = share(of: dataset.count, rank: group.rank, worldSize: group.worldSize)
    var correct = [0]
    if !mine.isEmpty {
        let (inputs, targets) = dataset.batch(Array(mine))
        correct[0] = accuracy(of: model, on: TensorDataset(inputs: inputs, targets: targets)).correct
    }
    group.allReduce(&correct)
    return dataset.count == 0 ? 0 : Double(correct[0]) / Double(dataset.count)
}
