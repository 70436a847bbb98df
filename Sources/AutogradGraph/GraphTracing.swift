import AutogradCore
import AutogradEngine

/// Runs `body` keeping everything a drawing of the graph can show, which ordinary code
/// does not pay for:
/// - every node recorded inside keeps the value it computed (outside, a node keeps only
///   its output's shape, and drawings show interior results by shape);
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
    try tracingGraph(reportingTo: DrawingRecorder(), body)
}

extension Node {
    /// The value the node computed, kept only for a node recorded inside
    /// ``tracingGraph(_:)``; nil otherwise.
    public var recordedOutputValue: NDArray? { (traceRecord as? NodeDrawingRecord)?.outputValue }

    /// Set by a backward pass inside ``tracingGraph(_:)``: the gradient of the output.
    public var recordedOutputGradient: NDArray? { (traceRecord as? NodeDrawingRecord)?.outputGradient }

    /// Set by a backward pass inside ``tracingGraph(_:)``: the gradient sent along each
    /// edge (already summed to the input's shape), nil where none was sent.
    public var recordedEdgeGradients: [NDArray?] { (traceRecord as? NodeDrawingRecord)?.edgeGradients ?? [] }
}

/// What a traced run keeps on one node for drawings (in ``Node/traceRecord``).
final class NodeDrawingRecord {
    /// The value the node computed.
    var outputValue: NDArray?
    /// The gradient that arrived at the node's output in the latest traced backward pass.
    var outputGradient: NDArray?
    /// The gradient sent along each edge in that pass, nil where none was sent.
    var edgeGradients: [NDArray?] = []
}

/// The observer ``tracingGraph(_:)`` installs: keeps each node's value and gradients on
/// the node, for ``Tensor/graph(depth:)``. It holds no state of its own.
final class DrawingRecorder: GraphTraceObserver {
    func nodeRecorded(_ node: Node, output: NDArray) {
        record(of: node).outputValue = output
    }

    func backwardRan(_ node: Node, outputGradient: NDArray, edgeGradients: [NDArray?]) {
        let record = record(of: node)
        record.outputGradient = outputGradient
        record.edgeGradients = edgeGradients
    }

    /// The node's record, made on first use.
    private func record(of node: Node) -> NodeDrawingRecord {
        if let record = node.traceRecord as? NodeDrawingRecord { return record }
        let record = NodeDrawingRecord()
        node.traceRecord = record
        return record
    }
}
