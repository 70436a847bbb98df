import Foundation
import XCTest

/// The scenarios of `AutogradDistributedChecks` under `mpirun` with 2 processes: every
/// collective and reduction, the sampler, DDP against one process, `noSync`, joining, the
/// collective timeout and a killed rank. Skipped when `mpirun` is not installed.
final class MPIRunTests: XCTestCase {
    private func launch(_ scenario: String, environment: [String: String] = [:], limit: Double = 120) throws -> MPIRun.Result {
        try MPIRun.requireLauncher()
        return try MPIRun.run(MPIRun.checksExecutable(), [scenario], environment: environment, limit: limit)
    }

    private func expectSuccess(_ scenario: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try launch(scenario)
        XCTAssertEqual(result.status, 0, "\(scenario):\n\(result.output)\n\(result.errors)", file: file, line: line)
        XCTAssertTrue(result.output.contains("\(scenario) ok"), "\(scenario):\n\(result.output)\n\(result.errors)", file: file, line: line)
    }

    func testCollectivesOfEveryKindAndOperation() throws { try expectSuccess("collectives") }

    func testSamplerSharesAreDisjointAcrossProcesses() throws { try expectSuccess("sampler") }

    func testDataParallelMatchesOneProcess() throws { try expectSuccess("ddp") }

    func testNoSyncAccumulatesThenAverages() throws { try expectSuccess("nosync") }

    func testAProcessWithoutExamplesJoins() throws { try expectSuccess("join") }

    func testAHungProcessMakesTheOthersAbortAfterTheTimeout() throws {
        let result = try launch("timeout", environment: ["AUTOGRAD_DIST_TIMEOUT": "2"], limit: 60)
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertLessThan(result.seconds, 30, "the job should end about 2 s after the hang")
        let text = result.output + result.errors
        XCTAssertTrue(text.contains("rank 0 of 2: allReduce (sum) of 1 float32 elements did not complete within 2 s"), text)
        XCTAssertFalse(text.contains("FAILED"), text)
    }

    func testAProcessHungAfterTheLastCollectiveDoesNotKeepTheOthersInFinalize() throws {
        let result = try launch("finalize", environment: ["AUTOGRAD_DIST_TIMEOUT": "2"], limit: 60)
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertLessThan(result.seconds, 30)
        let text = result.output + result.errors
        XCTAssertTrue(text.contains("rank 0 of 2: MPI_Finalize did not complete within 2 s"), text)
    }

    func testAKilledProcessEndsTheJob() throws {
        let result = try launch("kill", environment: ["AUTOGRAD_DIST_TIMEOUT": "10"], limit: 60)
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertLessThan(result.seconds, 40)
        XCTAssertFalse((result.output + result.errors).contains("FAILED"), result.output + result.errors)
    }
}
