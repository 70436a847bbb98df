import Autograd
import Foundation
import XCTest
@testable import AutogradDistributed

/// The single-process group, the launcher's environment, and the errors when MPI is
/// missing or the timeout is malformed (no MPI needed).
final class ProcessGroupTests: XCTestCase {
    func testASingleProcessGroupLeavesDataAsItIs() {
        let group = ProcessGroup.single()
        XCTAssertEqual(group.rank, 0)
        XCTAssertEqual(group.worldSize, 1)
        XCTAssertFalse(group.usesMPI)
        XCTAssertEqual(group.description, "rank 0 of 1 (single process)")
        for op in ReduceOp.allCases {
            let tensor = Tensor([1.5, -2])
            group.allReduce(tensor, op: op)
            XCTAssertEqual(tensor.scalars, [1.5, -2], "\(op)")
        }
        let tensor = Tensor([3, 4])
        group.broadcast(tensor, from: 0)
        XCTAssertEqual(tensor.scalars, [3, 4])
        let gathered = group.allGather(Tensor([[1, 2]]))
        XCTAssertEqual(gathered.shape, [1, 2])
        XCTAssertEqual(gathered.scalars, [1, 2])
        XCTAssertEqual(group.allGather(Tensor(5)).shape, [1])
        let scattered = group.reduceScatter(Tensor([[1.0, 2], [3, 4]]), op: .mean)
        XCTAssertEqual(scattered.shape, [2, 2])
        XCTAssertEqual(scattered.scalars, [1, 2, 3, 4])
        var counts = [1, 2, 3]
        group.allReduce(&counts)
        XCTAssertEqual(counts, [1, 2, 3])
        XCTAssertEqual(group.allGather([Int32(7)]), [7])
        XCTAssertEqual(group.reduceScatter([0.5, 1.5], op: .sum), [0.5, 1.5])
        group.barrier()
    }

    func testEveryDtypeKeepsItsTypeThroughTheCollectives() {
        let group = ProcessGroup.single()
        for dtype in DType.allCases {
            let tensor = Tensor([1, 0], dtype: dtype)
            group.broadcast(tensor)
            XCTAssertEqual(tensor.dtype, dtype)
            XCTAssertEqual(group.allGather(tensor).dtype, dtype)
            XCTAssertEqual(group.allGather(tensor).scalars, [1, 0], "\(dtype)")
            if CollectiveElementKind(dtype) != nil {
                group.allReduce(tensor, op: .max)
                XCTAssertEqual(tensor.scalars, [1, 0], "\(dtype)")
            }
        }
        XCTAssertNil(CollectiveElementKind(DType.float16))
        XCTAssertEqual(CollectiveElementKind(DType.int16), .int16)
    }

    func testAnInPlaceCollectiveBumpsTheVersion() {
        let tensor = Tensor([1, 2])
        let before = tensor.array.storage.version
        ProcessGroup.single().allReduce(tensor)
        XCTAssertEqual(tensor.array.storage.version, before + 1)
    }

    func testMissingMPINamesThePackagesToInstall() {
        XCTAssertThrowsError(try ProcessGroup.mpi(library: "libmpi-not-installed.so.99")) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix("MPI is not available: could not load libmpi-not-installed.so.99"), message)
            XCTAssertTrue(message.contains("apt-get install openmpi-bin libopenmpi-dev"), message)
            XCTAssertTrue(message.contains("MPICH"), message)
            XCTAssertTrue(message.contains("AUTOGRAD_MPI_LIBRARY"), message)
        }
    }

    func testTheLibraryVariableChoosesTheLibrary() {
        setenv("AUTOGRAD_MPI_LIBRARY", "/nonexistent/libmpi.so", 1)
        defer { unsetenv("AUTOGRAD_MPI_LIBRARY") }
        XCTAssertThrowsError(try ProcessGroup.mpi()) { error in
            XCTAssertTrue(String(describing: error).contains("could not load /nonexistent/libmpi.so"), "\(error)")
        }
    }

    func testTheLibrariesAreTriedInTheLaunchersOrder() {
        XCTAssertEqual(MPILibrary.candidates(explicit: "x.so", environment: ["AUTOGRAD_MPI_LIBRARY": "y.so"]), ["x.so"])
        XCTAssertEqual(MPILibrary.candidates(explicit: nil, environment: ["AUTOGRAD_MPI_LIBRARY": "y.so"]), ["y.so"])
        #if os(Linux)
        let all = ["libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so"]
        XCTAssertEqual(MPILibrary.candidates(explicit: nil, environment: [:]), all)
        XCTAssertEqual(MPILibrary.candidates(explicit: nil, environment: ["OMPI_COMM_WORLD_RANK": "0"]), all)
        XCTAssertEqual(MPILibrary.candidates(explicit: nil, environment: ["PMI_RANK": "0"]),
                       ["libmpi.so.12", "libmpich.so.12", "libmpi.so.40", "libmpi.so"])
        #endif
    }

    func testAMalformedTimeoutIsRejected() {
        setenv("AUTOGRAD_DIST_TIMEOUT", "soon", 1)
        defer { unsetenv("AUTOGRAD_DIST_TIMEOUT") }
        XCTAssertThrowsError(try ProcessGroup.mpi(library: "libmpi-not-installed.so.99")) { error in
            XCTAssertEqual(error as? DistributedError, DistributedError("AUTOGRAD_DIST_TIMEOUT must be a positive number of seconds, got 'soon'"))
        }
        XCTAssertThrowsError(try ProcessGroup.mpi(library: "libmpi-not-installed.so.99", timeout: 0))
    }

    func testWithoutALauncherTheGroupIsOneProcess() throws {
        try XCTSkipIf(LaunchEnvironment.detect(ProcessInfo.processInfo.environment) != nil, "the tests run under an MPI launcher")
        setenv("AUTOGRAD_DIST_TIMEOUT", "2.5", 1)
        defer { unsetenv("AUTOGRAD_DIST_TIMEOUT") }
        let group = try ProcessGroup.fromEnvironment()
        XCTAssertEqual(group.worldSize, 1)
        XCTAssertFalse(group.usesMPI)
        XCTAssertEqual(group.timeout, 2.5)
    }

    func testTheLaunchersVariablesGiveTheWorld() {
        XCTAssertNil(LaunchEnvironment.detect(["PATH": "/usr/bin"]))
        XCTAssertEqual(LaunchEnvironment.detect(["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"]),
                       LaunchEnvironment(rank: 1, worldSize: 4, localSize: 2, launcher: "Open MPI"))
        XCTAssertEqual(LaunchEnvironment.detect(["PMI_RANK": "3", "PMI_SIZE": "8"]),
                       LaunchEnvironment(rank: 3, worldSize: 8, localSize: nil, launcher: "PMI"))
        XCTAssertEqual(LaunchEnvironment.detect(["PMIX_RANK": "0", "SLURM_NTASKS": "16"]),
                       LaunchEnvironment(rank: 0, worldSize: 16, localSize: nil, launcher: "PMIx"))
        XCTAssertNil(LaunchEnvironment.detect(["PMI_RANK": "x"]))
    }

    func testLongBuffersGoToMPIInPiecesItsIntCountsCanTake() {
        XCTAssertEqual(ProcessGroup.maximumCountPerCall, Int(Int32.max))
        XCTAssertEqual(ProcessGroup.pieces(10), [0..<10])
        XCTAssertEqual(ProcessGroup.pieces(Int(Int32.max) + 5), [0..<Int(Int32.max), Int(Int32.max)..<(Int(Int32.max) + 5)])
    }
}
