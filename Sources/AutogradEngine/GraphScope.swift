/// Groups the operations recorded inside a block under a name, so graph drawings can show
/// them as one labelled cluster (layers use this for their own operations).
///
/// ```swift
/// let h = graphScope("encoder") { (x.matmul(w1) + b1).relu() }
/// ```
@discardableResult
public func graphScope<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
    try RecordingContext.with({ $0.scopeFrame = GraphScopeFrame(name: name, parent: $0.scopeFrame) }, body)
}

/// Runs `body` keeping everything a drawing of the graph can show, which ordinary code
/// does not pay for:
/// - operations on tensors that do not require grad are traced too, so a drawing shows
///   how constants were computed;
/// - `detach()` remembers what it cut, so the cut can be drawn;
/// - each backward pass stores, on every node, the gradient that arrived at it and the
///   gradient it sent along each edge.
/// ```swift
/// let loss = tracingGraph {
///     let loss = (x * w).sum()
///     loss.backward()
///     return loss
/// }
/// print(loss.graph().dot())
/// ```
@discardableResult
public func tracingGraph<Result>(_ body: () throws -> Result) rethrows -> Result {
    try RecordingContext.with({ $0.tracing = true }, body)
}
