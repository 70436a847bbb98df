import XCTest
import AutogradCore
@testable import AutogradEngine

/// A leaf's first gradient keeps the buffer the pass computed when nothing else refers to
/// it, and is copied otherwise. These check both: that the buffer is kept, and that no
/// `grad` ever shares values with another leaf's `grad`, a hook's capture or the caller's
/// seed (later passes add into `grad` in place, which would change those too).
final class LeafGradientOwnershipTests: XCTestCase {
    func testAGradientNothingElseHoldsKeepsItsBuffer() {
        let gradient = Tensor([1.0, 2.0, 3.0])
        let buffer = ObjectIdentifier(gradient.array.storage)
        let values = BackwardEngine.unsharedValues(of: consume gradient)
        XCTAssertEqual(ObjectIdentifier(values.storage), buffer)
        XCTAssertEqual(values.scalars, [1, 2, 3])
    }

    func testAGradientWhoseBufferIsSharedIsCopied() {
        let gradient = Tensor([1.0, 2.0, 3.0])
        let other = gradient.array
        let values = BackwardEngine.unsharedValues(of: gradient)
        XCTAssertFalse(values.storage === other.storage)
        XCTAssertEqual(values.scalars, [1, 2, 3])
    }

    func testAGradientThatIsPartOfItsBufferIsCopied() {
        let whole = NDArray(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let row = Tensor(NDArray(storage: whole.storage, layout: Layout(contiguous: [3], offset: 3)))
        let column = Tensor(NDArray(storage: whole.storage, layout: Layout(shape: [2], strides: [3], offset: 0)))
        let rowValues = BackwardEngine.unsharedValues(of: row)
        let columnValues = BackwardEngine.unsharedValues(of: column)
        XCTAssertEqual(rowValues.scalars, [4, 5, 6])
        XCTAssertEqual(rowValues.layout.offset, 0)
        XCTAssertEqual(columnValues.scalars, [1, 4])
        XCTAssertTrue(columnValues.layout.isContiguous)
    }

    func testAGradientThePassMadeBecomesTheGradWithoutACopy() throws {
        let w = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
        var computedBuffer: ObjectIdentifier?
        w.registerHook { gradient in
            computedBuffer = ObjectIdentifier(gradient.array.storage)
            return gradient
        }
        Tensor([[1.0, -1.0]]).matmul(w).sum().backward()
        XCTAssertEqual(w.grad.map { ObjectIdentifier($0.array.storage) }, computedBuffer)
        XCTAssertEqual(w.grad?.scalars, [1, 1, -1, -1])
    }

    func testTwoLeavesGivenOneGradientGetTheirOwnGrads() throws {
        let a = Tensor([1.0, 2.0], requiresGrad: true), b = Tensor([3.0, 4.0], requiresGrad: true)
        (a * Tensor([2.0, 5.0]) + b).sum().backward()
        (a + b).sum().backward()
        let aGrad = try XCTUnwrap(a.grad), bGrad = try XCTUnwrap(b.grad)
        XCTAssertFalse(aGrad.array.storage === bGrad.array.storage)
        XCTAssertEqual(aGrad.scalars, [3, 6])
        XCTAssertEqual(bGrad.scalars, [2, 2])
    }

    func testALeafReachedThroughAViewDoesNotShareWithTheOtherLeaf() throws {
        let a = Tensor([1.0, 2.0, 3.0, 4.0], requiresGrad: true)
        let b = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
        (a + b.reshape([4])).sum().backward()
        (a + b.reshape([4]) * 3).sum().backward()
        let aGrad = try XCTUnwrap(a.grad), bGrad = try XCTUnwrap(b.grad)
        XCTAssertFalse(aGrad.array.storage === bGrad.array.storage)
        XCTAssertEqual(aGrad.scalars, [2, 2, 2, 2])
        XCTAssertEqual(bGrad.scalars, [4, 4, 4, 4])
    }

    func testAGradientAHookKeptIsNotChangedByTheNextPass() throws {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        var kept: Tensor?
        x.registerHook { gradient in
            if kept == nil { kept = gradient }
            return gradient
        }
        (x * Tensor([3.0, 4.0])).sum().backward()
        (x * Tensor([5.0, 6.0])).sum().backward()
        XCTAssertEqual(kept?.scalars, [3, 4])
        XCTAssertEqual(x.grad?.scalars, [8, 10])
    }

    func testTheCallersSeedIsNotChangedByTheNextPass() throws {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let seed = Tensor([0.5, 0.25])
        x.backward(gradient: seed)
        x.backward(gradient: seed)
        XCTAssertEqual(seed.scalars, [0.5, 0.25])
        XCTAssertEqual(x.grad?.scalars, [1, 0.5])
    }
}
