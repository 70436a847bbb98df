/// Stops the program with `message` when `condition` is false: the check behind every
/// misuse of the API (wrong shapes, arguments out of range), like PyTorch's `TORCH_CHECK`.
///
/// Unlike `precondition`, whose message optimised builds drop (they stop with only
/// "Illegal instruction"), the message is printed in every build, so `-c release`
/// programs say what went wrong. `message` is built only when the check fails.
@inline(__always)
public func checkUsage(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if _slowPath(!condition()) { usageFailure(message(), file: file, line: line) }
}

/// Stops the program with `message`, printed in every build: the misuse path of
/// ``checkUsage(_:_:file:line:)`` for checks that are not a single condition.
public func usageFailure(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message, file: file, line: line)
}
