/// A shape or argument error: an op was called with shapes or values it cannot take.
///
/// Programmer errors trap, as PyTorch raises; the checks that find them are throwing
/// functions (``broadcastShapes(_:_:op:)`` and friends) so code and tests can ask first.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, naming the op and the shapes, e.g.
    /// `mul: shapes [2, 3] and [4] cannot be broadcast`.
    public let message: String
    /// An error with the given message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// Runs a shape check and stops with its message (in every build, see
/// ``usageFailure(_:file:line:)``) if it fails.
@inline(__always)
public func trapOnShapeError<T>(
    file: StaticString = #fileID, line: UInt = #line, _ check: () throws(ShapeError) -> T
) -> T {
    do {
        return try check()
    } catch {
        usageFailure(error.message, file: file, line: line)
    }
}

/// Turns a possibly negative dimension index into one in `0..<rank`.
///
/// A 0-d tensor accepts dimensions -1 and 0, as in PyTorch.
public func normalizedDimension(_ dim: Int, rank: Int, op: String) throws(ShapeError) -> Int {
    let bound = Swift.max(rank, 1)
    guard dim >= -bound && dim < bound else {
        throw ShapeError("\(op): dimension out of range (expected to be in range of [\(-bound), \(bound - 1)], but got \(dim))")
    }
    return dim < 0 ? dim + bound : dim
}
