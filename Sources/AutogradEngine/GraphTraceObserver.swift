import AutogradCore

/// The engine's one hook for drawings of the graph. While
/// ``tracingGraph(reportingTo:_:)`` runs, the engine reports to an observer what a drawing
/// needs and ordinary recording does not keep:
/// - each node recorded, with the value it made (a node itself keeps only its output's
///   shape and dtype);
/// - each node a backward pass runs, with the gradient that arrived at its output and the
///   gradient it sent along each edge.
///
/// The engine stores none of it and draws nothing: an observer keeps what it wants on the
/// node, in ``Node/traceRecord``. The `AutogradGraph` module's `tracingGraph { }` installs
/// the observer whose records its drawings (`Tensor.graph()`) read.
public protocol GraphTraceObserver: AnyObject, Sendable {
    /// `node` was recorded while tracing and made `output`: an op on tensors that require
    /// grad, an op on constants (traced only while tracing), or a `detach()`.
    func nodeRecorded(_ node: Node, output: NDArray)

    /// A backward pass started while tracing ran `node`'s rule: `outputGradient` arrived
    /// at its output (after the output's hooks), and `edgeGradients[i]` was sent along its
    /// edge `i` (summed to that input's shape), nil where none was sent.
    func backwardRan(_ node: Node, outputGradient: NDArray, edgeGradients: [NDArray?])
}

/// Runs `body` in tracing mode, reporting to `observer` (see ``GraphTraceObserver``).
/// Besides the reports, tracing records what ordinary code does not pay for:
/// - operations on tensors that do not require grad are traced too (a result's `trace`),
///   so a drawing shows how constants were computed;
/// - `detach()` remembers what it cut, so the cut can be drawn.
///
/// Drawings use `tracingGraph { }` from `AutogradGraph` (part of `import Autograd`), which
/// calls this with its own observer. Nested calls report to the innermost observer.
@discardableResult
public func tracingGraph<Result>(
    reportingTo observer: some GraphTraceObserver, _ body: () throws -> Result
) rethrows -> Result {
    try RecordingContext.with({ $0.traceObserver = observer }, body)
}
