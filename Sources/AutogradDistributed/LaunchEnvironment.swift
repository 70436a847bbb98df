import Foundation

/// The world an MPI launcher (`mpirun`, `mpiexec`, Slurm's `srun`) describes in the
/// environment of each process it starts, read without initialising MPI.
public struct LaunchEnvironment: Sendable, Equatable {
    /// This process's rank.
    public let rank: Int
    /// The number of processes, when the launcher says (PMIx alone does not).
    public let worldSize: Int?
    /// The number of processes on this machine, when the launcher says.
    public let localSize: Int?
    /// The launcher family whose variables were read: `Open MPI`, `PMI` or `PMIx`.
    public let launcher: String

    /// The world the variables in `environment` describe, or nil when no launcher started
    /// this process. Read in order: Open MPI's `OMPI_COMM_WORLD_RANK`/`_SIZE`/`_LOCAL_SIZE`;
    /// PMI's `PMI_RANK`/`PMI_SIZE` (MPICH's Hydra, Intel MPI, Slurm with PMI-2); PMIx's
    /// `PMIX_RANK` (with Slurm's `SLURM_NTASKS` for the size).
    public static func detect(_ environment: [String: String]) -> LaunchEnvironment? {
        func number(_ name: String) -> Int? { environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        if let rank = number("OMPI_COMM_WORLD_RANK") {
            return LaunchEnvironment(rank: rank, worldSize: number("OMPI_COMM_WORLD_SIZE"),
                                     localSize: number("OMPI_COMM_WORLD_LOCAL_SIZE"), launcher: "Open MPI")
        }
        if let rank = number("PMI_RANK") {
            return LaunchEnvironment(rank: rank, worldSize: number("PMI_SIZE"),
                                     localSize: number("MPI_LOCALNRANKS") ?? number("SLURM_NTASKS_PER_NODE"), launcher: "PMI")
        }
        if let rank = number("PMIX_RANK") {
            return LaunchEnvironment(rank: rank, worldSize: number("SLURM_NTASKS"),
                                     localSize: number("SLURM_NTASKS_PER_NODE"), launcher: "PMIx")
        }
        return nil
    }
}
