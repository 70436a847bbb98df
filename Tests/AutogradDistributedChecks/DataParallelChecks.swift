import Autograd
import Foundation

/// A model made with a seed of this rank's own (so replicas start different) wrapped in
/// DDP with tiny buckets, and the reference: the same model as rank 0 made it, trained
/// on whole global batches in this process.
func makeReplicaAndReference(_ group: ProcessGroup) -> (DistributedDataParallel, UnevenModel) {
    manualSeed(UInt64(10 + group.rank))
    let replica = UnevenModel()
    manualSeed(10)
    let reference = UnevenModel()
    let model = DistributedDataParallel(replica, group: group, bucketBytes: 64, firstBucketBytes: 32)
    for ((name, parameter), expected) in zip(model.module.namedParameters(), reference.parameters()) {
        expectClose(parameter.scalars, expected.scalars, tolerance: 0, "\(name) after DDP's initial broadcast", group)
    }
    return (model, reference)
}

/// The gradients of `model`'s parameters equal `reference`'s (nil where nil).
func expectSameGradients(_ model: Module, _ reference: Module, _ what: String, _ group: ProcessGroup) {
    for ((name, parameter), expected) in zip(model.namedParameters(), reference.parameters()) {
        expect((parameter.grad == nil) == (expected.grad == nil),
               "\(what): \(name).grad is \(parameter.grad == nil ? "nil" : "set") but the reference's is \(expected.grad == nil ? "nil" : "set")", group)
        if let grad = parameter.grad, let expectedGrad = expected.grad {
            expectClose(grad.scalars, expectedGrad.scalars, "\(what): \(name).grad", group)
        }
    }
}

/// DDP over uneven shares of each global batch (7 examples: 4 and 3 on 2 processes, the
/// loss weighted by the share) gives the gradients and weights of one process training
/// on the whole batch; several buckets, an unused parameter (its grad stays nil) and a
/// parameter used twice; backward alone leaves the averages in `grad`.
func checkDataParallelEquivalence(_ group: ProcessGroup) {
    let (model, reference) = makeReplicaAndReference(group)
    expect(model.bucketPlan.buckets.count >= 3, "expected several buckets, got \(model.bucketPlan.buckets.count)", group)
    let optimizer = SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9)
    let referenceOptimizer = SGD(parameters: reference.parameters(), learningRate: 0.1, momentum: 0.9)
    let batch = 7
    for step in 0..<3 {
        let (inputs, targets) = globalBatch(step: step, count: batch)
        let mine = share(of: batch, group)
        optimizer.zeroGrad()
        let weight = Float(mine.count * group.worldSize) / Float(batch)
        (crossEntropy(model(rows(inputs, mine)), rows(targets, mine)) * weight).backward()
        referenceOptimizer.zeroGrad()
        crossEntropy(reference(inputs), targets).backward()
        expectSameGradients(model.module, reference, "step \(step) right after backward", group)
        model.finishGradientSynchronization()
        optimizer.step()
        referenceOptimizer.step()
    }
    for ((name, parameter), expected) in zip(model.module.namedParameters(), reference.parameters()) {
        expectClose(parameter.scalars, expected.scalars, "\(name) after 3 steps", group)
    }
}

/// Two backward passes inside `noSync` accumulate locally (the ranks' gradients differ),
/// and the third, outside it, averages the sum: equal to one process accumulating the
/// three global batches.
func checkNoSync(_ group: ProcessGroup) {
    let (model, reference) = makeReplicaAndReference(group)
    let batch = 2 * group.worldSize
    let mine = share(of: batch, group)
    for step in 0..<3 {
        let (inputs, targets) = globalBatch(step: step, count: batch)
        if step < 2 {
            model.noSync { crossEntropy(model(rows(inputs, mine)), rows(targets, mine)).backward() }
        } else {
            let weight = model.module.namedParameters().first { $0.name == "first.weight" }?.parameter
            let local = weight?.grad?.scalars.first ?? 0
            let all = group.allGather([local])
            expect(Set(all).count > 1, "gradients inside noSync were averaged: every rank has \(local)", group)
            crossEntropy(model(rows(inputs, mine)), rows(targets, mine)).backward()
        }
        crossEntropy(reference(inputs), targets).backward()
    }
    expectSameGradients(model.module, reference, "after 2 noSync steps and 1 synchronised", group)
}

/// A process with no examples joins the averaging: rank 0 runs the whole batch, the
/// others join, and all end with the reference gradients.
func checkJoin(_ group: ProcessGroup) {
    let (model, reference) = makeReplicaAndReference(group)
    let (inputs, targets) = globalBatch(step: 0, count: 5)
    if group.rank == 0 {
        (crossEntropy(model(inputs), targets) * Float(group.worldSize)).backward()
    } else {
        model.joinGradientSynchronization()
    }
    crossEntropy(reference(inputs), targets).backward()
    expectSameGradients(model.module, reference, "after one rank ran the batch and the others joined", group)
}

/// Rank 1 never joins the all-reduce: rank 0 must abort the job after
/// AUTOGRAD_DIST_TIMEOUT seconds, naming itself and the collective.
func checkTimeout(_ group: ProcessGroup) {
    if group.rank == 1 {
        sleep(120)
        return
    }
    var values: [Float] = [1]
    group.allReduce(&values)
    group.abort("rank \(group.rank): FAILED: the allReduce completed without rank 1", exitCode: 4)
}

/// Rank 1 kills itself mid-run; the job must end (mpirun notices, or the timeout fires).
func checkKilledRank(_ group: ProcessGroup) {
    var values: [Float] = [1]
    group.allReduce(&values)
    if group.rank == 1 { kill(getpid(), SIGKILL) }
    for _ in 0..<1_000 { group.allReduce(&values) }
    group.abort("rank \(group.rank): FAILED: the allReduces completed without rank 1", exitCode: 4)
}

/// Rank 1 hangs after the last collective: rank 0's exit waits in MPI_Finalize, whose
/// watchdog must end it after AUTOGRAD_DIST_TIMEOUT seconds.
func checkHangBeforeFinalize(_ group: ProcessGroup) {
    group.barrier()
    if group.rank == 1 { sleep(120) }
    exit(0)
}
