import Foundation
import XCTest
@testable import AutogradEngine
#if canImport(Glibc)
import Glibc
#endif

/// The sizes `Node`'s layout counts on (an op of at most 16 bytes, edges in three words, an
/// ordinary node within glibc's fast bins), and where a node keeps each saved value: the
/// first input and the second input or result in its own two slots, the rest in its
/// extras, all of it freed by backward.
final class NodeLayoutTests: XCTestCase {
    func testOpTakesAtMostSixteenBytes() {
        XCTAssertLessThanOrEqual(MemoryLayout<Op>.size, 16)
    }

    func testEdgeListTakesThreeWords() {
        XCTAssertEqual(MemoryLayout<EdgeList>.size, 3 * MemoryLayout<Int>.size)
    }

    /// 120 bytes is the largest request glibc's malloc serves from its fast bins (64-bit).
    func testOrdinaryNodeFitsTheFastBins() throws {
        #if os(Linux)
        guard let symbol = dlsym(nil, "malloc_usable_size") else { throw XCTSkip("no malloc_usable_size") }
        typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
        let usableSize = unsafeBitCast(symbol, to: UsableSize.self)
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let node = try XCTUnwrap((x * Tensor([3.0, 4.0])).gradFn)
        XCTAssertLessThanOrEqual(usableSize(Unmanaged.passUnretained(node).toOpaque()), 120)
        #else
        throw XCTSkip("malloc_usable_size is glibc's")
        #endif
    }

    func testEdgeCountFollowsThePresentEdges() {
        let a = Tensor([1.0], requiresGrad: true), b = Tensor([2.0]), c = Tensor([3.0], requiresGrad: true)
        XCTAssertEqual(EdgeList([]).count, 0)
        XCTAssertEqual(EdgeList(a.gradientEdge).count, 1)
        XCTAssertEqual(EdgeList(a.gradientEdge, b.gradientEdge).count, 2)
        XCTAssertEqual(EdgeList([a, b, c, a].map(\.gradientEdge)).count, 4)
        XCTAssertEqual(cat([a, b, c], dim: 0).gradFn?.nextEdges.count, 3)
    }

    func testAResultAloneIsKeptInTheSecondSlot() throws {
        let x = Tensor([0.5, 1.5], requiresGrad: true)
        let node = try XCTUnwrap(x.exp().gradFn)
        XCTAssertNil(node.savedFirst)
        guard case .output? = node.savedSecond else { return XCTFail("the result belongs in the second slot") }
        XCTAssertNotNil(node.savedResult)
        XCTAssertNil(node.savedThird)
        XCTAssertNil(node.savedAuxiliary)
    }

    func testAResultBesideTwoInputsIsKeptAsideAndFreedByBackward() throws {
        let x = Tensor([1.5, 2.0], requiresGrad: true), y = Tensor([2.0, 0.5], requiresGrad: true)
        let z = x ** y
        let node = try XCTUnwrap(z.gradFn)
        guard case .input? = node.savedSecond else { return XCTFail("the second input belongs in the second slot") }
        guard case .output? = node.savedResult else { return XCTFail("the result is kept aside") }
        z.sum().backward()
        // d/dy x^y = x^y ln x reads the saved result.
        let expected = zip([1.5, 2.0], [2.0, 0.5]).map { Float(Foundation.pow($0, $1) * Foundation.log($0)) }
        for (value, want) in zip(try XCTUnwrap(y.grad).scalars, expected) { XCTAssertEqual(value, want, accuracy: 1e-5) }
        XCTAssertNil(node.savedSecond)
        XCTAssertNil(node.savedResult)
        XCTAssertThrowsError(try z.sum().backwardChecked()) { error in
            XCTAssertEqual(error as? AutogradError, .savedValuesFreed(node: "PowBackward1"))
        }
    }

    func testAuxiliaryValuesAreKeptAsideAndFreedByBackward() throws {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 4, 3, 1, 2], requiresGrad: true)
        let y = x.layerNorm(normalizedShape: [3])
        let node = try XCTUnwrap(y.gradFn)
        guard case .rowStatistics? = node.savedAuxiliary else { return XCTFail("layer norm saves its row statistics") }
        y.sum().backward()
        XCTAssertNil(node.savedAuxiliary)
        XCTAssertTrue(node.savedValuesReleased)
    }

    func testANodeRecordedInAScopeKeepsItsFrame() throws {
        let x = Tensor([1.0], requiresGrad: true)
        let inside = graphScope("block") { x * Tensor([2.0]) }
        XCTAssertEqual(inside.gradFn?.scopePath, ["block"])
        XCTAssertNil((x * Tensor([2.0])).gradFn?.scopeFrame)
    }
}
