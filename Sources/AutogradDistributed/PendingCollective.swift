import CAutogradMPI
import Foundation

/// A collective that has been started and may still be in flight: its MPI requests (none
/// for a single process), what to do once they complete, and a description for the
/// timeout message.
final class PendingCollective {
    /// The MPI requests still to complete.
    private var requests: [ag_mpi_request]
    /// What the collective is, such as `allReduce (sum) of 1000 float32 elements`.
    let description: String
    /// Run once, after every request has completed (the division of a mean).
    private var completion: (() -> Void)?
    /// Whether every request has completed and the completion has run.
    private(set) var isComplete = false

    /// A collective tracked through `requests`.
    init(requests: [ag_mpi_request], description: String, completion: (() -> Void)? = nil) {
        self.requests = requests
        self.description = description
        self.completion = completion
        if requests.isEmpty { finish() }
    }

    /// Lets MPI progress the requests (MPI_Test); true once all have completed.
    @discardableResult
    func test(runtime: MPIRuntime?) -> Bool {
        if isComplete { return true }
        guard let runtime else { return false }
        while let last = requests.indices.last {
            var done: Int32 = 0
            runtime.check(ag_mpi_test(&requests[last], &done), "MPI_Test in \(description)")
            guard done != 0 else { return false }
            requests.removeLast()
        }
        finish()
        return true
    }

    /// Runs the completion once.
    private func finish() {
        isComplete = true
        completion?()
        completion = nil
    }

    /// Waits until the collective completes, driving MPI's progress. After `timeout`
    /// seconds without completing, ends the whole job (MPI_Abort) with a message naming
    /// this process's rank and the collective: another process has died or hung.
    func wait(runtime: MPIRuntime?, timeout: Double) {
        if test(runtime: runtime) { return }
        guard let runtime else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        let limit = timeout * 1e9
        var polls = 0
        while !test(runtime: runtime) {
            polls += 1
            // Poll without pause, as MPI's own blocking calls do (each poll moves the protocol
            // on, and a large message needs many), yielding the core to any other runnable
            // thread; after a second, a peer is busy elsewhere: sleep between polls.
            let waited = Double(DispatchTime.now().uptimeNanoseconds - start)
            if waited > 1e9 {
                usleep(100)
            } else if polls > 1_000 {
                sched_yield()
            }
            if waited > limit {
                runtime.abort(
                    "autograd: rank \(runtime.rank) of \(runtime.worldSize): \(description) did not complete within "
                        + "\(formatSeconds(timeout)) s; another process has probably died or hung. Aborting the job "
                        + "(\(CollectiveTimeout.variable) sets the limit in seconds).",
                    code: 1)
            }
        }
    }
}

/// `60` or `2.5`.
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
}

/// The collective timeout's setting.
enum CollectiveTimeout {
    /// The environment variable that sets it, in seconds.
    static let variable = "AUTOGRAD_DIST_TIMEOUT"
    /// The limit when the variable is not set, in seconds.
    static let defaultSeconds = 60.0

    /// The limit `environment` sets, or the default.
    /// - Throws: ``DistributedError`` when the variable is not a positive number.
    static func seconds(from environment: [String: String]) throws(DistributedError) -> Double {
        guard let text = environment[variable] else { return defaultSeconds }
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds > 0, seconds.isFinite else {
            throw DistributedError("\(variable) must be a positive number of seconds, got '\(text)'")
        }
        return seconds
    }
}
