/// Groups the operations recorded inside a block under a name, so graph drawings can show
/// them as one labelled cluster (layers use this for their own operations).
///
/// ```swift
/// let h = graphScope("encoder") { (x.matmul(w1) + b1).relu() }
/// ```
@discardableResult
public func graphScope<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
    try GraphRecording.$scopePath.withValue(GraphRecording.scopePath + [name], operation: body)
}

/// Records gradient flow during `body`: every backward pass run inside stores, on each
/// graph node, the gradient that arrived at it and the gradient it sent along each edge,
/// for drawing. Off by default, so ordinary backward passes store nothing extra.
@discardableResult
public func recordingGradientFlow<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GraphRecording.$recordsGradientFlow.withValue(true, operation: body)
}

/// Task-local settings for what the graph keeps for drawings.
enum GraphRecording {
    /// The names of the enclosing `graphScope` blocks, outermost first.
    @TaskLocal static var scopePath: [String] = []
    /// Whether backward stores per-edge gradients on the nodes.
    @TaskLocal static var recordsGradientFlow = false
}
