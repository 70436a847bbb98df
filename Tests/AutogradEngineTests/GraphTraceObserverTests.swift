import AutogradCore
import AutogradEngine
import Foundation
import XCTest

/// The engine's one hook for drawings: inside `tracingGraph(reportingTo:)` it reports each
/// node recorded with its value, and each node backward runs with the gradients it
/// received and sent; outside it reports nothing and keeps nothing.
///
/// Expected numbers from PyTorch 2.x: `x = [0.5, 1.0]`, `m = x * 2`, `y = m.exp()`,
/// `y.sum().backward()`: `y = [2.7182817, 7.3890562]`, `m.grad = y`,
/// `x.grad = [5.4365635, 14.778112]`.
final class GraphTraceObserverTests: XCTestCase {
    /// Collects the reports, in order.
    private final class Reports: GraphTraceObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var recordedNodes: [(name: String, output: [Float])] = []
        private var ranNodes: [(name: String, received: [Float], sent: [[Float]?])] = []

        private func locked<T>(_ body: () -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body()
        }

        var recorded: [(name: String, output: [Float])] { locked { recordedNodes } }
        var ran: [(name: String, received: [Float], sent: [[Float]?])] { locked { ranNodes } }

        func nodeRecorded(_ node: Node, output: NDArray) {
            locked { recordedNodes.append((node.name, output.scalars)) }
        }

        func backwardRan(_ node: Node, outputGradient: NDArray, edgeGradients: [NDArray?]) {
            locked { ranNodes.append((node.name, outputGradient.scalars, edgeGradients.map { $0?.scalars })) }
        }
    }

    func testTracingReportsRecordedValuesAndTheGradientsOfBackward() throws {
        let reports = Reports()
        let x = Tensor([0.5, 1.0], requiresGrad: true)
        var recordedInForward: [(name: String, output: [Float])] = []
        tracingGraph(reportingTo: reports) {
            let loss = (x * 2).exp().sum()
            recordedInForward = reports.recorded
            // The rules' own operations in backward are traced too (as ops on constants).
            loss.backward()
        }
        XCTAssertEqual(recordedInForward.map(\.name), ["MulBackward0", "ExpBackward0", "SumBackward0"])
        XCTAssertEqual(recordedInForward[0].output, [1, 2])
        assertClose(recordedInForward[1].output, [2.7182817, 7.3890562])

        XCTAssertEqual(reports.ran.map(\.name), ["SumBackward0", "ExpBackward0", "MulBackward0"])
        let exp = reports.ran[1], mul = reports.ran[2]
        XCTAssertEqual(exp.received, [1, 1])
        assertClose(try XCTUnwrap(exp.sent.first ?? nil), [2.7182817, 7.3890562])
        assertClose(mul.received, [2.7182817, 7.3890562])
        assertClose(try XCTUnwrap(mul.sent.first ?? nil), [5.4365635, 14.778112])
        assertClose(try XCTUnwrap(x.grad).scalars, [5.4365635, 14.778112])
    }

    func testOutsideTracingNothingIsReportedOrKept() throws {
        let reports = Reports()
        let x = Tensor([0.5, 1.0], requiresGrad: true)
        let y = tracingGraph(reportingTo: reports) { noGrad { x * 2 } }
        XCTAssertEqual(reports.recorded.map(\.name), ["MulBackward0"], "an op on constants is traced while tracing")
        XCTAssertNotNil(y.trace)

        let z = (x * 2).exp()
        z.sum().backward()
        XCTAssertEqual(reports.recorded.count, 1)
        XCTAssertTrue(reports.ran.isEmpty)
        XCTAssertNil(z.gradFn?.traceRecord, "the engine keeps nothing for drawings")
        XCTAssertNil((Tensor([1.0]) * 2).trace, "constants are not traced outside tracing")
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-5, file: file, line: line) }
    }
}
