import Autograd
import Foundation
import XCTest

/// `autograd check-kernels`, the kernel checks a built binary carries for machines without
/// the test suite: one `PATH CHECK ok (largest error E)` line per path and check (the
/// threaded check's also names its thread count), status 0 when all pass, usage errors as
/// one line.
final class CLICheckKernelsTests: XCTestCase {
    func testEveryPathThisCPURunsPassesEveryCheck() throws {
        let result = try CLIProcess().run(["check-kernels", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.output + result.errors)
        XCTAssertFalse(result.output.contains("FAILED"), result.output)
        var paths = Kernels.availablePaths.map(\.rawValue)
        if Kernels.Path.avx2.isAvailable { paths.append("avx512-on-avx2") }
        for path in paths {
            let checks = ["sgemm", "sgemm-offset-rows", "dgemm", "sum", "unary", "binary", "softmax", "gelu", "add-scaled",
                          "lstm-step", "winograd", "threads"]
            for check in checks {
                let threadsNote = check == "threads" ? "2 threads, " : ""
                XCTAssertTrue(result.output.contains("\(path) \(check) ok (\(threadsNote)largest error "), "\(path) \(check): \(result.output)")
            }
        }
        XCTAssertEqual(result.output.split(separator: "\n").count, 12 * paths.count, result.output)
    }

    /// The default thread count is the number of CPUs the process may run on: one under
    /// `taskset -c CPU` however many the machine has.
    func testTheDefaultThreadCountFollowsTheCPUAffinity() throws {
        #if os(Linux)
        let taskset = URL(fileURLWithPath: "/usr/bin/taskset")
        guard FileManager.default.isExecutableFile(atPath: taskset.path) else {
            throw XCTSkip("taskset (util-linux) is not installed")
        }
        // The first CPU this process may run on, from "Cpus_allowed_list:\t0-1,4".
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let allowed = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let digits = allowed.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).prefix { $0.isNumber }
        let cpu = try XCTUnwrap(Int(digits), "no CPU in \(allowed)")
        let executable = try XCTUnwrap(CLIProcess.executable, "the autograd executable was not found next to the test bundle")
        let result = try CLIProcess().run(taskset, ["-c", String(cpu), executable.path, "check-kernels"])
        XCTAssertEqual(result.status, 0, result.output + result.errors)
        XCTAssertTrue(result.output.contains("portable threads ok (1 thread, largest error "), result.output)
        #else
        throw XCTSkip("CPU affinity is a Linux setting")
        #endif
    }

    func testABadThreadCountIsAOneLineError() throws {
        let result = try CLIProcess().run(["check-kernels", "--threads", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("--threads must be at least 1"), result.errors)
    }
}
