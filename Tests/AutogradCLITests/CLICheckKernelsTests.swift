import Autograd
import XCTest

/// `autograd check-kernels`, the kernel checks a built binary carries for machines without
/// the test suite: one `PATH CHECK ok (largest error E)` line per path and check, status 0
/// when all pass, usage errors as one line.
final class CLICheckKernelsTests: XCTestCase {
    func testEveryPathThisCPURunsPassesEveryCheck() throws {
        let result = try CLIProcess().run(["check-kernels", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.output + result.errors)
        XCTAssertFalse(result.output.contains("FAILED"), result.output)
        var paths = Kernels.availablePaths.map(\.rawValue)
        if Kernels.Path.avx2.isAvailable { paths.append("avx512-on-avx2") }
        for path in paths {
            let checks = ["sgemm", "sgemm-offset-rows", "dgemm", "sum", "unary", "binary", "softmax", "gelu", "add-scaled",
                          "lstm-step", "threads"]
            for check in checks {
                XCTAssertTrue(result.output.contains("\(path) \(check) ok (largest error "), "\(path) \(check): \(result.output)")
            }
        }
        XCTAssertEqual(result.output.split(separator: "\n").count, 11 * paths.count, result.output)
    }

    func testABadThreadCountIsAOneLineError() throws {
        let result = try CLIProcess().run(["check-kernels", "--threads", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("--threads must be at least 1"), result.errors)
    }
}
