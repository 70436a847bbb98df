import Testing

/// A misuse and a part of the message it must print.
struct Misuse: Sendable, Codable, CustomTestStringConvertible {
    /// The name the suite's `commit` switches on.
    let name: String
    /// A part of the message the child process must print.
    let message: String
    var testDescription: String { name }
}

/// The suites whose misuses run in child processes; each commits the misuses it names.
enum MisuseSuite: String, Sendable, Codable {
    /// ``MisuseMessageTests``: tensors, layers, losses, optimizers.
    case api
    /// ``LayerMisuseMessageTests``: containers, init, norms, padding, losses.
    case layers
    /// ``RecurrentMisuseMessageTests``: recurrent layers and cells.
    case recurrent

    /// Runs the misuse called `name`, which must stop the process.
    func commit(_ name: String) {
        switch self {
        case .api: MisuseMessageTests.commit(name)
        case .layers: LayerMisuseMessageTests.commit(name)
        case .recurrent: RecurrentMisuseMessageTests.commit(name)
        }
    }
}

/// Expects `misuse`, committed in a child process, to stop it with its message.
func expectStopsWithMessage(_ misuse: Misuse, in suite: MisuseSuite) async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name = misuse.name as String, suite = suite as MisuseSuite] in
        suite.commit(name)
    }
    let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(printed.contains(misuse.message), "printed: \(printed)")
}
