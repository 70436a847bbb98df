import XCTest
@testable import AutogradCore

/// `reshaped` shares storage whenever PyTorch's `view` would, with PyTorch's strides
/// (printed by `torch.Tensor.view(...).stride()` on the same layouts), and copies otherwise.
final class ReshapeViewTests: XCTestCase {
    private func strides(_ shape: [Int], _ strides: [Int], to newShape: [Int]) -> [Int]? {
        Layout(shape: shape, strides: strides, offset: 0).viewStrides(for: newShape)
    }

    func testViewStridesMatchPyTorch() {
        // arange(24).reshape(2, 3, 4).transpose(0, 1)
        XCTAssertNil(strides([3, 2, 4], [4, 12, 1], to: [3, 8]))
        XCTAssertEqual(strides([3, 2, 4], [4, 12, 1], to: [3, 2, 2, 2]), [4, 12, 2, 1])
        XCTAssertNil(strides([3, 2, 4], [4, 12, 1], to: [6, 4]))
        // arange(24).reshape(2, 12)[:, 4:8]
        XCTAssertEqual(strides([2, 4], [12, 1], to: [2, 2, 2]), [12, 2, 1])
        XCTAssertNil(strides([2, 4], [12, 1], to: [8]))
        XCTAssertEqual(strides([2, 4], [12, 1], to: [2, 1, 4, 1]), [12, 4, 1, 1])
        // arange(4).expand(3, 4)
        XCTAssertEqual(strides([3, 4], [0, 1], to: [3, 2, 2]), [0, 2, 1])
        XCTAssertNil(strides([3, 4], [0, 1], to: [12]))
        // One of q, k, v split from a [2, 64, 384] projection, heads split off: GPT's attention.
        XCTAssertEqual(strides([2, 64, 128], [24576, 384, 1], to: [2, 64, 4, 32]), [24576, 384, 32, 1])
    }

    func testReshapedSharesStorageWhenItCanAndCopiesOtherwise() throws {
        let base = NDArray(shape: [2, 12], scalars: (0..<24).map(Float.init))
        let columns = NDArray(storage: base.storage, layout: Layout(shape: [2, 4], strides: [12, 1], offset: 4))
        let split = try columns.reshaped([2, 2, 2])
        XCTAssertTrue(split.storage === base.storage)
        XCTAssertEqual(split.layout.strides, [12, 2, 1])
        XCTAssertEqual(split.scalars, [4, 5, 6, 7, 16, 17, 18, 19])
        XCTAssertNotNil(columns.reshapedView([2, 2, 2]))
        let flat = try columns.reshaped([-1])
        XCTAssertFalse(flat.storage === base.storage)
        XCTAssertNil(columns.reshapedView([8]))
        XCTAssertEqual(flat.scalars, [4, 5, 6, 7, 16, 17, 18, 19])
    }
}
