import Foundation

/// Renders DOT text (see ``ComputationGraph/dot()``) with Graphviz's `dot` program, when it
/// is installed.
/// ```swift
/// if Graphviz.isInstalled {
///     try Graphviz.render(loss.graph().dot(), format: "svg", to: URL(fileURLWithPath: "loss.svg"))
/// }
/// ```
public enum Graphviz {
    /// What to install to get `dot` (the package's name on Debian, Ubuntu and Homebrew).
    public static let packageName = "graphviz"

    /// The `dot` program found on `PATH`, if any.
    public static var executable: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").lazy
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("dot") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Whether `dot` is on `PATH`.
    public static var isInstalled: Bool { executable != nil }

    /// Runs `dot -T<format>` on `dot` and writes the result to `output`.
    /// - Parameters:
    ///   - dot: the graph in the DOT language.
    ///   - format: any output format `dot` knows: `svg`, `png`, `pdf`, ...
    ///   - output: the file to write.
    /// - Throws: ``GraphvizError`` when `dot` is not installed or fails.
    public static func render(_ dot: String, format: String, to output: URL) throws {
        guard let executable else { throw GraphvizError.notInstalled }
        let input = FileManager.default.temporaryDirectory
            .appendingPathComponent("autograd-graph-\(UUID().uuidString).dot")
        try Data(dot.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-T\(format)", input.path, "-o", output.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GraphvizError.failed(status: process.terminationStatus, message: message)
        }
    }
}

/// Why ``Graphviz/render(_:format:to:)`` could not render.
public enum GraphvizError: Error, Equatable, CustomStringConvertible {
    /// `dot` is not on `PATH`.
    case notInstalled
    /// `dot` ran and failed with this exit status and error output.
    case failed(status: Int32, message: String)

    /// A one-line explanation, naming the package to install when `dot` is missing.
    public var description: String {
        switch self {
        case .notInstalled:
            return "Graphviz's `dot` is not installed; install the \(Graphviz.packageName) package (apt-get install \(Graphviz.packageName), brew install \(Graphviz.packageName))"
        case .failed(let status, let message):
            return "Graphviz's `dot` failed with status \(status): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}
