import AutogradCore
@testable import AutogradEngine
import XCTest

/// The backward pass reads a node's edges in place and unretained (`EdgeList`'s
/// `carriesGradient(at:)`, `unretainedNode(at:)`, `unretainedEdge(at:)` and
/// `UnretainedEdge.matches`): each must say the same as the edge itself, at every position
/// of the list (the first two are stored apart from the rest).
final class EdgeReadingTests: XCTestCase {
    func testEveryPositionReadsLikeTheEdgeItself() throws {
        let leaf = Tensor([1.0, 2.0], requiresGrad: true)
        let constant = Tensor([3.0])
        let computed = leaf * 2
        let joined = cat([computed, constant, leaf, constant, computed])
        let node = try XCTUnwrap(joined.gradFn)
        let edges = node.nextEdges
        XCTAssertEqual(edges.count, 5)
        for index in edges.indices {
            let edge = edges[index]
            XCTAssertEqual(node.edges.carriesGradient(at: index), edge.carriesGradient, "edge \(index)")
            let expectedNode: Node? = if case .node(let producer) = edge { producer } else { nil }
            XCTAssertTrue(node.edges.unretainedNode(at: index)?.takeUnretainedValue() === expectedNode, "edge \(index)")
            switch (node.edges.unretainedEdge(at: index), edge) {
            case (.node(let read), .node(let producer)):
                XCTAssertTrue(read.takeUnretainedValue() === producer, "edge \(index)")
            case (.leaf(let read), .leaf(let tensor)), (.constant(let read), .constant(let tensor)):
                XCTAssertTrue(read.takeUnretainedValue() === tensor, "edge \(index)")
            default:
                XCTFail("edge \(index) was read as another kind of edge")
            }
        }
        XCTAssertEqual(edges.map(\.carriesGradient), [true, false, true, false, true])
    }

    func testAnUnretainedEdgeMatchesOnlyItsInputsShapeAndDtype() throws {
        let leaf = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requiresGrad: true)
        let computed = leaf * 2
        let node = try XCTUnwrap((computed + leaf).gradFn)
        for index in 0..<2 {
            let edge = node.edges.unretainedEdge(at: index)
            XCTAssertTrue(edge.matches(NDArray(zeros: [2, 3])), "edge \(index)")
            XCTAssertFalse(edge.matches(NDArray(zeros: [3, 2])), "edge \(index): another shape")
            XCTAssertFalse(edge.matches(NDArray(zeros: [1, 3])), "edge \(index): a broadcast shape")
            XCTAssertFalse(edge.matches(NDArray(zeros: [2, 3], dtype: .float64)), "edge \(index): another dtype")
        }
    }

    func testGradientsThatDoNotMatchAreSummedAndCastOnTheWay() {
        // The product is float64 and broadcast: the pass sums the float32 input's gradient
        // to its shape and casts it to its dtype on the way.
        let small = Tensor([2.0], requiresGrad: true)
        let wide = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype: .float64, requiresGrad: true)
        (small * wide).sum().backward()
        XCTAssertEqual(small.grad?.dtype, .float32)
        XCTAssertEqual(small.grad?.shape, [1])
        XCTAssertEqual(small.grad?.scalars, [21])
        XCTAssertEqual(wide.grad?.dtype, .float64)
        XCTAssertEqual(wide.grad?.scalars, [2, 2, 2, 2, 2, 2])
    }

    func testASubtrahendThatNeedsNoGradientGetsNone() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let c = Tensor([5.0, 7.0])
        let y = Tensor([3.0, 4.0], requiresGrad: true)
        ((x - c) * (c - y)).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [2, 3])  // c - y
        XCTAssertEqual(y.grad?.scalars, [4, 5])  // -(x - c)
        XCTAssertNil(c.grad)
    }
}
