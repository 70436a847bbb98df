import XCTest
@testable import AutogradEngine

/// In-place operations: shared storage, version checks, and PyTorch's refusals.
final class InPlaceTests: XCTestCase {
    func testInPlaceUpdatesAreSeenThroughViewsAndBumpTheVersion() {
        let x = Tensor([1.0, 2.0, 3.0])
        let view = x[1..<3]
        let before = x.array.storage.version
        view += 10
        XCTAssertEqual(x.scalars, [1, 12, 13])
        XCTAssertEqual(x.array.storage.version, before + 1)
        x *= Tensor([2.0, 2.0, 2.0])
        XCTAssertEqual(x.scalars, [2, 24, 26])
        x -= 1
        x /= 2
        XCTAssertEqual(x.scalars, [0.5, 11.5, 12.5])
        x.clampInPlace(min: 1, max: 12)
        XCTAssertEqual(x.scalars, [1, 11.5, 12])
        x.fill(7)
        XCTAssertEqual(x.scalars, [7, 7, 7])
        x.zero()
        XCTAssertEqual(x.scalars, [0, 0, 0])
        x.copy(from: Tensor(4.0))
        XCTAssertEqual(x.scalars, [4, 4, 4])
    }

    func testOptimizerStyleUpdateOfALeafInsideNoGrad() throws {
        let w = Tensor([1.0, -2.0], requiresGrad: true)
        (w * w).sum().backward()
        let gradient = try XCTUnwrap(w.grad)
        noGrad { w.subtractInPlace(gradient, alpha: 0.1) }
        XCTAssertEqual(w.scalars[0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(w.scalars[1], -1.6, accuracy: 1e-6)
        XCTAssertTrue(w.isLeaf && w.requiresGrad)
    }

    func testInPlaceOnANonLeafTakesOverItsHistory() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = x * 3
        y *= Tensor([2.0, 5.0])
        XCTAssertEqual(y.gradFn?.name, "MulBackward0")
        XCTAssertEqual(y.scalars, [6, 30])
        y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [6, 15])
    }

    func testModifyingASavedValueIsDetectedAtBackward() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = x * 2
        let z = y * y  // saves y
        y += 1
        XCTAssertThrowsError(try z.sum().backwardChecked()) { error in
            let message = (error as? AutogradError)?.message ?? ""
            XCTAssertTrue(
                message.hasPrefix("one of the variables needed for gradient computation has been modified by an inplace operation"),
                message)
            XCTAssertTrue(message.contains("is at version 1; expected version 0 instead"), message)
        }
    }

    func testModifyingASavedResultIsDetected() {
        // exp's rule needs its own output; overwriting it makes backward refuse with PyTorch's words.
        let x = Tensor([0.5], requiresGrad: true)
        let y = x.exp()
        y.multiplyInPlace(Tensor([2.0]))
        XCTAssertEqual(y.item(), 2 * Float(M_E).squareRoot(), accuracy: 1e-5)
        XCTAssertThrowsError(try y.sum().backwardChecked()) { error in
            let message = (error as? AutogradError)?.message ?? ""
            XCTAssertTrue(message.contains("which is output 0 of Exp, is at version 1"), message)   // PyTorch 2.15 names the function, not the node
        }
        XCTAssertNil(x.grad)
    }

    /// A product saves each factor only for the other's gradient and a quotient its
    /// numerator only for the denominator's (PyTorch's `mul` and `div`): changing a factor
    /// no gradient needs is allowed, changing one it needs is refused. Values from PyTorch
    /// 2.15 (`x = a * 2; y = x * b; x.add_(1)` and so on, `b` not requiring grad).
    func testProductsAndQuotientsSaveOnlyTheFactorsTheirGradientsRead() throws {
        let a = Tensor([1.0, 2.0], requiresGrad: true), b = Tensor([3.0, 4.0])
        var x = a * 2
        var y = x * b
        x += 1
        try y.sum().backwardChecked()
        XCTAssertEqual(a.grad?.scalars, [6, 8])
        a.grad = nil
        x = a * 2
        y = x / b
        x += 1
        try y.sum().backwardChecked()
        let quotientGradient = try XCTUnwrap(a.grad?.scalars)
        XCTAssertEqual(quotientGradient[0], 2.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(quotientGradient[1], 0.5, accuracy: 1e-6)
        // The factor and the denominator the gradients read.
        x = a * 2
        y = x * b
        b += 1
        XCTAssertThrowsError(try y.sum().backwardChecked()) { error in
            XCTAssertTrue((error as? AutogradError)?.message.contains("is at version 1; expected version 0") ?? false, "\(error)")
        }
        x = a * 2
        y = Tensor([3.0, 4.0]) / x
        x += 1
        XCTAssertThrowsError(try y.sum().backwardChecked()) { error in
            XCTAssertTrue((error as? AutogradError)?.message.contains("which is output 0 of Add") ?? false, "\(error)")
        }
    }
}
