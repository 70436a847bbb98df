import XCTest
@testable import AutogradEngine

/// `reshape` returns a view whenever the strides allow one, as `torch.reshape` does: the
/// result aliases its base (a write through it shows in the base), is recorded as
/// `ViewBackward0`, and sends its gradient to the right elements; otherwise it copies
/// first (`UnsafeViewBackward0` after `CloneBackward0`).
final class ReshapeViewTests: XCTestCase {
    func testReshapeOfColumnSliceIsAView() {
        // x = torch.arange(12.).reshape(2, 6); q = x[:, 2:4].reshape(2, 2, 1); q.mul_(10)
        let x = Tensor.arange(12.0).reshape([2, 6])
        let q = x.slice(dim: 1, start: 2, end: 4).reshape([2, 2, 1])
        XCTAssertEqual(q.shape, [2, 2, 1])
        q.multiplyInPlace(Tensor(10.0))
        XCTAssertEqual(x.array.scalars, [0, 1, 20, 30, 4, 5, 6, 7, 80, 90, 10, 11])
    }

    func testGradientThroughAStridedReshapeView() {
        let p = Tensor.arange(12.0, requiresGrad: true)
        let columns = (p * 1).reshape([2, 6]).slice(dim: 1, start: 2, end: 4)
        let heads = columns.reshape([2, 2, 1])
        XCTAssertEqual(heads.gradFn?.name, "ViewBackward0")
        (heads * Tensor([[[1.0], [2.0]], [[3.0], [4.0]]])).sum().backward()
        XCTAssertEqual(p.grad?.array.scalars, [0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 0, 0])
    }

    func testReshapeThatNeedsACopyRecordsTheClone() {
        let p = Tensor.arange(6.0, requiresGrad: true)
        let flat = (p * 1).reshape([2, 3]).transpose(0, 1).reshape([6])
        XCTAssertEqual(flat.gradFn?.name, "UnsafeViewBackward0")
        XCTAssertEqual(flat.array.scalars, [0, 3, 1, 4, 2, 5])
        (flat * Tensor([1.0, 2, 3, 4, 5, 6])).sum().backward()
        XCTAssertEqual(p.grad?.array.scalars, [1, 3, 5, 2, 4, 6])
    }
}
