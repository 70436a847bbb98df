import Autograd
import Foundation
import XCTest

/// `autograd train --distributed` under `mpirun` ends with the weights of the same run in
/// one process (the global batch split unevenly, and a batch smaller than the world), and
/// only rank 0 prints and saves.
final class DistributedTrainingCLITests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-ddp-cli-\(UUID().uuidString)")
        try writeTinyMNIST(in: folder.appendingPathComponent("data"))
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// The built `autograd` executable, next to the test bundle.
    private func executable() throws -> URL {
        let checks = try MPIRun.checksExecutable()
        let url = checks.deletingLastPathComponent().appendingPathComponent("autograd")
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw XCTSkip("autograd was not built next to the tests") }
        return url
    }

    /// The training options, writing to `name`.safetensors.
    private func options(_ name: String, batchSize: Int) -> [String] {
        ["train", "--data", "mnist", "--data-path", folder.appendingPathComponent("data").path, "--epochs", "2",
         "--batch-size", String(batchSize), "--dropout", "0", "--save", folder.appendingPathComponent("\(name).safetensors").path]
    }

    /// The largest difference between the tensors of two checkpoints with the same names.
    private func largestDifference(_ a: String, _ b: String) throws -> Float {
        let first = try Safetensors.read(from: folder.appendingPathComponent("\(a).safetensors"))
        let second = try Safetensors.read(from: folder.appendingPathComponent("\(b).safetensors"))
        XCTAssertEqual(Set(first.tensors.keys), Set(second.tensors.keys))
        var worst: Float = 0
        for (name, entry) in first.tensors {
            let other = try XCTUnwrap(second.tensors[name]).tensor.scalars
            for (x, y) in zip(entry.tensor.scalars, other) { worst = max(worst, abs(x - y)) }
        }
        return worst
    }

    func testTwoProcessesEndWithTheWeightsOfOne() throws {
        try MPIRun.requireLauncher()
        let autograd = try executable()
        // 8 examples: batches of 3 split 2 + 1; batches of 1 leave rank 1 without examples.
        for batchSize in [3, 1] {
            let single = try MPIRun.capture(autograd, options("single-\(batchSize)", batchSize: batchSize), limit: 120)
            XCTAssertEqual(single.status, 0, single.errors)
            let job = try MPIRun.run(autograd, options("two-\(batchSize)", batchSize: batchSize) + ["--distributed"], limit: 120)
            XCTAssertEqual(job.status, 0, job.output + job.errors)
            XCTAssertLessThanOrEqual(try largestDifference("single-\(batchSize)", "two-\(batchSize)"), 1e-5)
            let lines = job.output.split(separator: "\n")
            XCTAssertEqual(lines.filter { $0.hasPrefix("training mlp") }.count, 1, "only rank 0 prints:\n\(job.output)")
            XCTAssertTrue(job.output.contains("distributed over 2 processes"), job.output)
            // The epoch lines agree with the single run's on everything but the time.
            let epochLines = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("epoch") }.map { $0.split(separator: " ").dropLast().joined(separator: " ") } }
            XCTAssertEqual(epochLines(job.output), epochLines(single.output))
        }
    }

    func testWithoutALauncherDistributedTrainingIsTheSingleProcessRun() throws {
        let autograd = try executable()
        let single = try MPIRun.capture(autograd, options("single", batchSize: 3), limit: 120)
        let alone = try MPIRun.capture(autograd, options("alone", batchSize: 3) + ["--distributed"],
                                       environment: ["OMPI_COMM_WORLD_RANK": "", "PMI_RANK": "", "PMIX_RANK": ""], limit: 120)
        XCTAssertEqual(alone.status, 0, alone.errors)
        XCTAssertTrue(alone.output.contains("distributed: not started by an MPI launcher (mpirun, srun), so training in this one process"), alone.output)
        XCTAssertEqual(try largestDifference("single", "alone"), 0)
        XCTAssertEqual(single.status, 0, single.errors)
    }

    func testDropoutOutsideZeroToOneIsRejected() throws {
        let autograd = try executable()
        for value in ["1.5", "-0.1", "nan"] {
            let result = try MPIRun.capture(autograd, ["train", "--dropout=\(value)"], limit: 60)
            XCTAssertEqual(result.status, 64, result.errors)
            XCTAssertTrue(result.errors.hasPrefix("Error: --dropout must be from 0 to 1, got "), result.errors)
        }
    }

    /// An MNIST-style IDX folder of 8 training and 4 test images of 4×4, labels 0 and 1.
    private func writeTinyMNIST(in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func idx(_ dimensions: [Int], _ values: [UInt8]) -> Data {
            var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
            for dimension in dimensions { bytes += withUnsafeBytes(of: UInt32(dimension).bigEndian, Array.init) }
            return Data(bytes + values)
        }
        for (prefix, count) in [("train", 8), ("t10k", 4)] {
            try idx([count, 4, 4], (0..<count * 16).map { UInt8(truncatingIfNeeded: $0 &* 37) })
                .write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try idx([count], (0..<count).map { UInt8($0 % 2) }).write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
    }
}
