import XCTest
import Autograd

/// A node keeps its output's shape and dtype, not its values: an intermediate result is
/// freed with its tensor while the graph of the final result lives on. Inside
/// `tracingGraph` nodes keep their values, for drawings.
///
/// Expected numbers from PyTorch 2.x: `x = [0.5, 1.0]`, `y = (x * 2).exp()`,
/// `y.sum().backward()` gives `y = [2.7182817, 7.3890562]`, `x.grad = [5.4365635, 14.778112]`.
final class NodeOutputLifetimeTests: XCTestCase {
    private let expectedY: [Float] = [2.7182817459106445, 7.389056205749512]
    private let expectedGrad: [Float] = [5.436563491821289, 14.778112411499023]

    func testAnIntermediateResultIsFreedWhileTheGraphLives() throws {
        let x = Tensor([0.5, 1.0], requiresGrad: true).named("x")
        weak var doubledStorage: Storage?
        let y: Tensor
        do {
            let doubled = x * 2
            doubledStorage = doubled.array.storage
            y = doubled.exp()
        }
        XCTAssertNil(doubledStorage, "the graph keeps the product's shape, not its values")
        let expNode = try XCTUnwrap(y.gradFn)
        guard case .node(let mulNode)? = expNode.nextEdges.first else { return XCTFail("exp's input has a node") }
        XCTAssertEqual(mulNode.name, "MulBackward0")
        XCTAssertEqual(mulNode.outputShape, [2])
        XCTAssertEqual(mulNode.outputDType, .float32)
        XCTAssertNil(mulNode.recordedOutputValue, "values are kept only inside tracingGraph")

        // Drawn outside tracingGraph, the intermediate result shows its shape only.
        let graph = y.graph()
        let mul = try XCTUnwrap(graph.nodes.first { $0.kind == .intermediate })
        XCTAssertEqual(mul.label, "mul")
        XCTAssertEqual(mul.shape, [2])
        XCTAssertNil(mul.value)
        let output = try XCTUnwrap(graph.nodes.first { $0.kind == .output })
        assertClose(try XCTUnwrap(output.value).scalars, expectedY)
        XCTAssertEqual(graph.nodes(labelled: "x").first?.value?.scalars, [0.5, 1.0])

        // Backward needs none of the dropped values.
        y.sum().backward()
        assertClose(try XCTUnwrap(x.grad).scalars, expectedGrad)
    }

    func testTracingKeepsIntermediateValuesForDrawings() throws {
        let x = Tensor([0.5, 1.0], requiresGrad: true).named("x")
        weak var doubledStorage: Storage?
        let y = tracingGraph { () -> Tensor in
            let doubled = x * 2
            doubledStorage = doubled.array.storage
            let y = doubled.exp()
            y.sum().backward()
            return y
        }
        XCTAssertNotNil(doubledStorage, "inside tracingGraph the node keeps its output for drawings")
        let mul = try XCTUnwrap(y.graph().nodes.first { $0.kind == .intermediate })
        XCTAssertEqual(mul.label, "mul")
        XCTAssertEqual(mul.value?.scalars, [1, 2])
        assertClose(try XCTUnwrap(mul.gradient).scalars, expectedY, "d(sum exp(m))/dm = exp(m)")
        assertClose(try XCTUnwrap(x.grad).scalars, expectedGrad)
    }

    private func assertClose(
        _ actual: [Float], _ expected: [Float], _ message: String = "", file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-5, message, file: file, line: line) }
    }
}
