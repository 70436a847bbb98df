import XCTest
@testable import AutogradCore

final class LayoutTests: XCTestCase {
    func testRowMajorStrides() {
        XCTAssertEqual(Layout.rowMajorStrides(for: [2, 3, 4]), [12, 4, 1])
        XCTAssertEqual(Layout.rowMajorStrides(for: []), [])
        XCTAssertTrue(Layout(contiguous: [2, 3]).isContiguous)
    }

    func testBroadcastShapesFollowNumPyRules() throws {
        XCTAssertEqual(try broadcastShapes([2, 1, 3], [4, 1], op: "add"), [2, 4, 3])
        XCTAssertEqual(try broadcastShapes([], [3], op: "add"), [3])
        XCTAssertEqual(try broadcastShapes([5, 3], [5, 3], op: "add"), [5, 3])
    }

    func testBroadcastErrorNamesTheOpAndBothShapes() {
        XCTAssertThrowsError(try broadcastShapes([2, 3], [4], op: "mul")) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "mul: shapes [2, 3] and [4] cannot be broadcast")
        }
    }

    func testReductionDimensionsForBroadcastGradients() {
        XCTAssertEqual(broadcastReductionDimensions(from: [2, 4, 3], to: [4, 1]), [0, 2])
        XCTAssertEqual(broadcastReductionDimensions(from: [2, 3], to: [2, 3]), [])
        XCTAssertEqual(broadcastReductionDimensions(from: [3], to: []), [0])
    }

    func testTransposeIsAViewAndScalarsFollowTheLayout() throws {
        let a = NDArray(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let t = try a.transposed(0, 1)
        XCTAssertTrue(t.storage === a.storage)
        XCTAssertFalse(t.layout.isContiguous)
        XCTAssertEqual(t.shape, [3, 2])
        XCTAssertEqual(t.scalars, [1, 4, 2, 5, 3, 6])
    }

    func testSelectSliceExpandAndSqueezeShareStorage() throws {
        let a = NDArray(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try a.selected(dim: 0, index: -1).scalars, [5, 6])
        XCTAssertEqual(try a.selected(dim: 1, index: 0).scalars, [1, 3, 5])
        XCTAssertEqual(try a.sliced(dim: 0, start: 1, end: 10).scalars, [3, 4, 5, 6])
        let column = try NDArray(shape: [3], scalars: [1, 2, 3]).unsqueezed(dim: 1)
        XCTAssertEqual(column.shape, [3, 1])
        let expanded = try column.expanded([3, 2])
        XCTAssertEqual(expanded.layout.strides, [1, 0])
        XCTAssertEqual(expanded.scalars, [1, 1, 2, 2, 3, 3])
        XCTAssertEqual(try column.squeezed(dim: 1).shape, [3])
    }

    func testViewErrorsNameTheOp() {
        let a = NDArray(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertThrowsError(try a.selected(dim: 0, index: 2)) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "select: index 2 is out of bounds for dimension 0 with size 2")
        }
        XCTAssertThrowsError(try a.reshaped([4, -1])) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "reshape: shape '[4, -1]' is invalid for input of size 6")
        }
        XCTAssertThrowsError(try a.transposed(0, 2)) { error in
            XCTAssertEqual((error as? ShapeError)?.message,
                           "transpose: dimension out of range (expected to be in range of [-2, 1], but got 2)")
        }
    }

    func testMatmulUsesTransposedViewsWithoutCopying() throws {
        let a = NDArray(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let product = try NDArray.matmul(a, try a.transposed(0, 1))
        XCTAssertEqual(product.shape, [2, 2])
        XCTAssertEqual(product.scalars, [14, 32, 32, 77])
        XCTAssertThrowsError(try NDArray.matmul(a, a)) { error in
            XCTAssertEqual((error as? ShapeError)?.message,
                           "matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3); shapes [2, 3] and [2, 3]")
        }
    }

    func testFoldIsTheAdjointOfUnfold() {
        // <unfold(x), c> == <x, fold(c)> for any x and c.
        let geometry = ConvolutionGeometry(kernel: (2, 3), stride: (2, 1), padding: (1, 1), dilation: (1, 2))
        let x = NDArray(shape: [1, 2, 4, 5], scalars: (0..<40).map { Float($0 % 7) - 3 })
        let columns = x.unfolded(geometry)
        let c = NDArray(shape: columns.shape, scalars: (0..<columns.count).map { Float(($0 * 5) % 11) - 5 })
        let left = zip(columns.scalars, c.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        let right = zip(x.scalars, c.folded(geometry, imageShape: x.shape).scalars).reduce(0) { $0 + $1.0 * $1.1 }
        XCTAssertEqual(left, right, accuracy: 1e-3)
    }
}
