#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar redrawn in place while an epoch runs, shown only when standard
/// output is a terminal (so logs and pipes get plain lines).
struct ProgressBar {
    /// Whether standard output is a terminal.
    static let isEnabled = isatty(STDOUT_FILENO) == 1

    /// What the bar is for, such as `epoch 3/20`.
    let label: String
    /// The number of steps in the epoch.
    let total: Int
    /// Whether this bar draws (false for the processes of a distributed run other than rank 0).
    var isShown = ProgressBar.isEnabled
    /// The characters of the bar itself.
    private let width = 30

    /// Redraws the bar at `done` of ``total`` steps with a status such as the running loss.
    func update(_ done: Int, status: String) {
        guard isShown else { return }
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        print("\r\u{1B}[2K\(label) \(bar) \(done)/\(total) \(status)", terminator: "")
        fflush(nil)
    }

    /// Erases the bar so the next line starts clean.
    func clear() {
        guard isShown else { return }
        print("\r\u{1B}[2K", terminator: "")
        fflush(nil)
    }
}
