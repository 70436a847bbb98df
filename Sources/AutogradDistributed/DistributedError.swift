/// Why a process group could not be made.
public struct DistributedError: Error, CustomStringConvertible, Equatable {
    /// What went wrong and what to do about it, in one line.
    public let description: String

    /// An error with the given message.
    public init(_ description: String) { self.description = description }

    /// What to install when no MPI library is found.
    static let installAdvice =
        "install Open MPI (`apt-get install openmpi-bin libopenmpi-dev`, or `brew install open-mpi`) "
        + "or MPICH (`apt-get install mpich`), or set \(MPILibrary.libraryVariable) to the path of libmpi"
}
