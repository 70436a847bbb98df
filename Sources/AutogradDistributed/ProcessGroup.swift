import AutogradCore
import CAutogradMPI
import Foundation

/// The processes of one training job and the collectives they run together, like
/// `torch.distributed`'s default process group.
///
/// Start the same program as N processes with an MPI launcher, then make the group in each:
/// ```swift
/// // mpirun -np 2 ./train
/// let group = try ProcessGroup.fromEnvironment()   // MPI under a launcher, else one process
/// let total = Tensor([Float(group.rank)])
/// group.allReduce(total, op: .sum)                 // every process now holds 0 + 1
/// ```
/// MPI is loaded at run time (`libmpi.so.40`, Open MPI's, then `libmpi.so.12` or
/// `libmpich.so.12`, MPICH's), so a program that uses ``single()`` runs where MPI is not
/// installed.
///
/// Every collective must be called by every process, in the same order. A collective that
/// does not complete within ``timeout`` seconds (a process died or hung) ends the whole
/// job with a message naming this process's rank and the collective.
public final class ProcessGroup: CustomStringConvertible, Sendable {
    /// This process's index, from 0 to `worldSize - 1` (`torch.distributed.get_rank()`).
    public let rank: Int
    /// The number of processes (`get_world_size()`).
    public let worldSize: Int
    /// Seconds a collective may wait for the other processes before the job is aborted:
    /// `AUTOGRAD_DIST_TIMEOUT`, or 60.
    public let timeout: Double
    /// MPI, or nil for a single process.
    let runtime: MPIRuntime?

    private init(rank: Int, worldSize: Int, timeout: Double, runtime: MPIRuntime?) {
        self.rank = rank
        self.worldSize = worldSize
        self.timeout = timeout
        self.runtime = runtime
    }

    /// A group of one process, with no MPI: every collective leaves its data as it is (a
    /// mean of one value is that value), so code written for several processes runs
    /// unchanged in one.
    public static func single() -> ProcessGroup {
        ProcessGroup(rank: 0, worldSize: 1, timeout: CollectiveTimeout.defaultSeconds, runtime: nil)
    }

    /// The group of every process the MPI launcher started (MPI_COMM_WORLD), loading and
    /// initialising MPI on first use.
    ///
    /// - Parameters:
    ///   - library: The MPI library to load (a file name or a path); by default
    ///     `AUTOGRAD_MPI_LIBRARY` when set, else `libmpi.so.40`, `libmpi.so.12`,
    ///     `libmpich.so.12`, `libmpi.so` (MPICH's first under a PMI launcher).
    ///   - timeout: Seconds a collective may wait; by default `AUTOGRAD_DIST_TIMEOUT`, else 60.
    /// - Throws: ``DistributedError`` when no MPI library can be loaded (naming the packages
    ///   to install), when MPI fails to start, or when `AUTOGRAD_DIST_TIMEOUT` is not a
    ///   positive number.
    public static func mpi(library: String? = nil, timeout: Double? = nil) throws(DistributedError) -> ProcessGroup {
        let environment = ProcessInfo.processInfo.environment
        let limit: Double
        if let timeout {
            guard timeout > 0, timeout.isFinite else { throw DistributedError("the collective timeout must be a positive number of seconds, got \(timeout)") }
            limit = timeout
        } else {
            limit = try CollectiveTimeout.seconds(from: environment)
        }
        let runtime = try MPIRuntime.start(libraries: MPILibrary.candidates(explicit: library, environment: environment))
        ag_mpi_set_finalize_deadline(limit)
        return ProcessGroup(rank: runtime.rank, worldSize: runtime.worldSize, timeout: limit, runtime: runtime)
    }

    /// ``mpi(library:timeout:)`` when an MPI launcher (`mpirun`, `mpiexec`, `srun`)
    /// started this process, as its environment says (see ``LaunchEnvironment``);
    /// ``single()`` otherwise.
    public static func fromEnvironment() throws(DistributedError) -> ProcessGroup {
        if LaunchEnvironment.detect(ProcessInfo.processInfo.environment) != nil { return try mpi() }
        return ProcessGroup(rank: 0, worldSize: 1, timeout: try CollectiveTimeout.seconds(from: ProcessInfo.processInfo.environment),
                            runtime: nil)
    }

    /// Whether this group runs over MPI (rather than being a single process without it).
    public var usesMPI: Bool { runtime != nil }

    /// `rank 0 of 2 (Open MPI v4.1.4, libmpi.so.40)`, or `rank 0 of 1 (single process)`.
    public var description: String {
        guard let runtime else { return "rank 0 of 1 (single process)" }
        return "rank \(rank) of \(worldSize) (\(runtime.version), \(runtime.libraryName))"
    }

    /// Prints `message` on standard error and ends every process of the job with
    /// `exitCode` (MPI_Abort); a single process just exits. Use it when one process meets
    /// an error the others cannot know about, so they do not wait for it until the timeout.
    public func abort(_ message: String, exitCode: Int32 = 1) -> Never {
        if let runtime { runtime.abort(message, code: exitCode) }
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        exit(exitCode)
    }

    /// Waits for `pending` within the group's timeout.
    func wait(_ pending: PendingCollective) {
        pending.wait(runtime: runtime, timeout: timeout)
    }

    /// Lets MPI progress `pending` without waiting; true once it has completed.
    @discardableResult
    func test(_ pending: PendingCollective) -> Bool {
        pending.test(runtime: runtime)
    }
}
