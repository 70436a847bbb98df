import CAutogradMPI
import Foundation

/// MPI, loaded and initialised once per process; finalised when the process exits.
final class MPIRuntime: Sendable {
    /// This process's rank in MPI_COMM_WORLD.
    let rank: Int
    /// The number of processes in MPI_COMM_WORLD.
    let worldSize: Int
    /// The library file that was loaded.
    let libraryName: String
    /// The library's own description of itself.
    let version: String

    private init(rank: Int, worldSize: Int, libraryName: String, version: String) {
        self.rank = rank
        self.worldSize = worldSize
        self.libraryName = libraryName
        self.version = version
    }

    /// The runtime once started.
    nonisolated(unsafe) private static var shared: MPIRuntime?
    /// Serialises starting.
    private static let lock = NSLock()

    /// Loads the first of `libraries` that opens and initialises MPI, or returns the runtime
    /// already started.
    static func start(libraries: [String]) throws(DistributedError) -> MPIRuntime {
        let name = try MPILibrary.load(libraries)
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        var rank: Int32 = 0, size: Int32 = 0
        let code = ag_mpi_initialize(&rank, &size)
        guard code == 0 else {
            throw DistributedError("MPI_Init failed with \(name): \(MPILibrary.errorText(code))")
        }
        // MPI_Finalize waits for every process: under a watchdog, so a hung peer cannot
        // keep this process from exiting.
        atexit { _ = ag_mpi_finalize_with_deadline() }
        let runtime = MPIRuntime(rank: Int(rank), worldSize: Int(size), libraryName: name, version: MPILibrary.versionLine)
        shared = runtime
        return runtime
    }

    /// Prints `message` on standard error and ends every process of the job with `code`
    /// (MPI_Abort); exits this process if MPI_Abort returns.
    func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        _ = ag_mpi_abort(code)
        _exit(code)
    }

    /// Stops with MPI's message when an MPI call did not return success.
    func check(_ code: Int32, _ call: String) {
        guard code == 0 else { abort("autograd: rank \(rank): \(call) failed: \(MPILibrary.errorText(code))", code: 1) }
    }
}
