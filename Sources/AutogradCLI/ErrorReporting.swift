import ArgumentParser
import Foundation

/// A failure while a command runs, printed as one `Error: ...` line (exit status 1).
struct CommandError: Error, CustomStringConvertible {
    /// The message.
    let description: String
    /// An error with the given message.
    init(_ description: String) { self.description = description }
}

extension AutogradCommand {
    /// Parses the command line and runs the chosen subcommand, like `main()`, but prints
    /// every error as one `Error: ...` line on standard error (usage errors end with where
    /// to find help instead of the usage text) and exits with ArgumentParser's status for
    /// it: 64 for usage errors, 1 for the rest. `--help` and `--version` print as usual.
    static func mainPrintingErrorsOnOneLine() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            exit()
        } catch {
            let status = exitCode(for: error)
            if status.isSuccess { exit(withError: error) }
            var line = oneLine(message(for: error))
            if status == .validationFailure { line += " (see '\(helpCommand()) --help')" }
            if !line.isEmpty { FileHandle.standardError.write(Data("Error: \(line)\n".utf8)) }
            exit(withError: status)
        }
    }

    /// `text` with each run of whitespace that holds a line break replaced by one space.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// `autograd`, or `autograd SUBCOMMAND` when the first argument names one.
    private static func helpCommand() -> String {
        let names = configuration.subcommands.map { $0._commandName }
        guard let first = CommandLine.arguments.dropFirst().first, names.contains(first) else { return "autograd" }
        return "autograd \(first)"
    }
}
