import Foundation
import XCTest

/// Runs programs under `mpirun` with 2 processes, as root where needed.
enum MPIRun {
    /// What one job printed, how it ended and how long it took.
    struct Result {
        /// mpirun's exit status (or the signal that ended it).
        let status: Int32
        /// Standard output of every process.
        let output: String
        /// Standard error of every process and of mpirun.
        let errors: String
        /// Wall-clock seconds from start to end.
        let seconds: Double
    }

    /// `mpirun` on the PATH, if any.
    static let launcher: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Whether the launcher is Open MPI's (it takes --oversubscribe and, as root,
    /// --allow-run-as-root; MPICH's takes neither).
    static let isOpenMPI: Bool = {
        guard let launcher, let result = try? capture(launcher, ["--version"], limit: 30) else { return false }
        return (result.output + result.errors).contains("Open MPI") || (result.output + result.errors).contains("OpenRTE")
    }()

    /// Skips the test when `mpirun` is missing.
    static func requireLauncher() throws {
        if launcher == nil {
            throw XCTSkip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev); skipping the multi-process test")
        }
    }

    /// The built `AutogradDistributedChecks` program, next to the test bundle.
    static func checksExecutable() throws -> URL {
        let bundles = Bundle.allBundles.map(\.bundleURL) + [Bundle.main.bundleURL]
        for bundle in bundles {
            for candidate in [bundle.deletingLastPathComponent(), bundle] {
                let url = candidate.appendingPathComponent("AutogradDistributedChecks")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        throw XCTSkip("AutogradDistributedChecks was not built next to the tests; run `swift build --build-tests`")
    }

    /// Runs `executable` with `arguments` as 2 MPI processes, with `environment` added,
    /// killing the job after `limit` seconds.
    static func run(_ executable: URL, _ arguments: [String], processes: Int = 2, environment: [String: String] = [:], limit: Double) throws -> Result {
        guard let launcher else { throw XCTSkip("mpirun is not installed") }
        var options = ["-np", String(processes)]
        if isOpenMPI {
            options += ["--oversubscribe"]
            if geteuid() == 0 { options += ["--allow-run-as-root"] }
            for name in environment.keys.sorted() { options += ["-x", name] }
        }
        return try capture(launcher, options + [executable.path] + arguments, environment: environment, limit: limit)
    }

    /// Runs a program, collecting its output.
    static func capture(_ program: URL, _ arguments: [String], environment: [String: String] = [:], limit: Double) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-mpirun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out"), errors = folder.appendingPathComponent("err")
        try Data().write(to: output)
        try Data().write(to: errors)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        let start = Date()
        try process.run()
        while process.isRunning && Date().timeIntervalSince(start) < limit { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(program.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(Int(limit)) s")
        }
        return Result(status: process.terminationStatus,
                      output: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
                      errors: (try? String(contentsOf: errors, encoding: .utf8)) ?? "",
                      seconds: Date().timeIntervalSince(start))
    }
}
