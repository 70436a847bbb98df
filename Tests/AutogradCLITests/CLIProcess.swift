import Foundation
import XCTest

/// The built `autograd` executable, run in a folder of its own as a user would run it.
struct CLIProcess {
    /// What one run printed and how it ended.
    struct Result {
        /// The exit status, or the signal's number when a signal (such as a trap's) ended it.
        let status: Int32
        /// Whether the process exited by itself rather than by a signal.
        let exited: Bool
        /// Standard output.
        let output: String
        /// Standard error.
        let errors: String

        /// The non-empty lines of standard error.
        var errorLines: [Substring] { errors.split(separator: "\n") }
    }

    /// The executable: `$AUTOGRAD_CLI` when set, else `autograd` in the products folder
    /// that holds the test bundle (the package lists the executable as a dependency of the
    /// tests, so `swift test` builds it there).
    static let executable: URL? = {
        if let path = ProcessInfo.processInfo.environment["AUTOGRAD_CLI"], isExecutable(URL(fileURLWithPath: path)) {
            return URL(fileURLWithPath: path)
        }
        return product(named: "autograd")
    }()

    /// The built executable product `name` (`autograd`, `example-mnist`, ...) in the
    /// products folder that holds the test bundle, or nil when it is not there.
    static func product(named name: String) -> URL? {
        let bundles = [Bundle(for: BundleMarker.self).bundleURL, Bundle.main.bundleURL]
        let candidates = bundles.flatMap { [$0.deletingLastPathComponent().appendingPathComponent(name), $0.appendingPathComponent(name)] }
        return candidates.first(where: isExecutable)
    }

    /// Whether `url` is an executable file (not a folder).
    private static func isExecutable(_ url: URL) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && !isFolder.boolValue
            && FileManager.default.isExecutableFile(atPath: url.path)
    }

    /// A fresh temporary folder the process runs in.
    let folder: URL

    /// A process runner in a new empty temporary folder.
    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Removes the temporary folder.
    func removeFolder() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The path of `name` inside the temporary folder.
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The names of the files in the temporary folder (not in its subfolders).
    func files() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    }

    /// Runs `autograd` with `arguments` in the temporary folder, stopping it after two
    /// minutes.
    func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let executable = try XCTUnwrap(Self.executable, "the autograd executable was not found next to the test bundle; build it with `swift build`", file: file, line: line)
        return try run(executable, arguments, file: file, line: line)
    }

    /// Runs the executable product `name` with `arguments` in the temporary folder,
    /// stopping it after two minutes.
    func run(product name: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let executable = try XCTUnwrap(Self.product(named: name), "\(name) was not found next to the test bundle; build it with `swift build --build-tests`", file: file, line: line)
        return try run(executable, arguments, file: file, line: line)
    }

    /// Runs `executable` with `arguments` in the temporary folder, stopping it after two
    /// minutes.
    func run(_ executable: URL, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-cli-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: logs) }
        let output = logs.appendingPathComponent("out"), errors = logs.appendingPathComponent("err")
        try Data().write(to: output)
        try Data().write(to: errors)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within two minutes", file: file, line: line)
        }
        return Result(
            status: process.terminationStatus,
            exited: process.terminationReason == .exit,
            output: try String(contentsOf: output, encoding: .utf8),
            errors: try String(contentsOf: errors, encoding: .utf8))
    }

    /// Runs `autograd` with `arguments` and checks that it fails as a user should see it:
    /// a non-zero status (`status` when given), no crash, and exactly one line on standard
    /// error, `Error: ...`, containing `message`.
    @discardableResult
    func expectFailure(
        _ arguments: [String], status: Int32? = nil, message: String, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Result {
        let result = try run(arguments, file: file, line: line)
        let command = "autograd \(arguments.joined(separator: " "))"
        XCTAssertTrue(result.exited, "\(command) was killed by signal \(result.status): \(result.errors)", file: file, line: line)
        XCTAssertNotEqual(result.status, 0, "\(command) succeeded: \(result.output)", file: file, line: line)
        if let status { XCTAssertEqual(result.status, status, "\(command): exit status", file: file, line: line) }
        XCTAssertEqual(result.errorLines.count, 1, "\(command) printed on standard error:\n\(result.errors)", file: file, line: line)
        XCTAssertTrue(result.errors.hasPrefix("Error: "), "\(command): \(result.errors)", file: file, line: line)
        XCTAssertTrue(result.errors.contains(message), "\(command): expected '\(message)' in: \(result.errors)", file: file, line: line)
        return result
    }
}

/// A class in the test bundle, for finding the bundle.
private final class BundleMarker {}
