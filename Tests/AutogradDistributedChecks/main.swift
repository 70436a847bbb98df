// The programs the distributed tests run under `mpirun`: one scenario per invocation,
// `autograd-distributed-checks SCENARIO`. Each process checks its own results; a failure
// prints `FAILED: ...` and aborts the job, success prints `SCENARIO ok` on rank 0.
import Autograd
import Foundation

let scenarios: [String: (ProcessGroup) -> Void] = [
    "collectives": checkCollectives,
    "sampler": checkSampler,
    "ddp": checkDataParallelEquivalence,
    "nosync": checkNoSync,
    "join": checkJoin,
    "timeout": checkTimeout,
    "kill": checkKilledRank,
    "finalize": checkHangBeforeFinalize,
]

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let scenario = scenarios[name] else {
    FileHandle.standardError.write(Data("usage: autograd-distributed-checks \(scenarios.keys.sorted().joined(separator: "|"))\n".utf8))
    exit(2)
}
do {
    let group = try ProcessGroup.mpi()
    scenario(group)
    group.barrier()
    if group.rank == 0 { print("\(name) ok") }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(3)
}
