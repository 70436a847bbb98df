import XCTest
@testable import AutogradEngine

/// A backward pass that records nothing may write a product over the gradient it was given
/// when nothing but the pass can see that gradient (``Tensor/isPassPrivate``). These check
/// that no gradient anyone else can see is overwritten, whatever the graph's shape.
final class PassPrivateGradientTests: XCTestCase {
    func testAGradientAHookKeptAViewOfIsNotOverwrittenByALaterProduct() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let c = Tensor([3.0, 4.0])
        let b = x * c + c
        var kept: Tensor?
        b.registerHook { gradient in
            kept = gradient.detach()
            return gradient
        }
        (b * c).sum().backward()
        // The add passes the hook's gradient on unchanged to the product with x, which
        // must not write x's gradient over it.
        XCTAssertEqual(kept?.scalars, [3, 4])
        XCTAssertEqual(x.grad?.scalars, [9, 16])
    }

    func testAGradientSentToTwoProductsIsReadByBoth() {
        let x = Tensor([1.0, -2.0], requiresGrad: true)
        let c1 = Tensor([2.0, 3.0]), c2 = Tensor([5.0, 7.0]), c3 = Tensor([11.0, 13.0]), c4 = Tensor([0.5, 0.25])
        let a = x * c1
        ((a * c2 + a * c3) * c4).sum().backward()
        // d/dx = c1 · (c2 + c3) · c4
        XCTAssertEqual(x.grad?.scalars, [2 * 16 * 0.5, 3 * 20 * 0.25])
    }

    func testARetainedGradientKeepsItsValuesWhileTheProductGoesOn() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = x * Tensor([2.0, 2.0])
        y.retainGrad()
        ((y * Tensor([3.0, 5.0])) * Tensor([7.0, 11.0])).sum().backward()
        XCTAssertEqual(y.grad?.scalars, [21, 55])
        XCTAssertEqual(x.grad?.scalars, [42, 110])
    }

    func testAChainOfProductsAndSumsGetsEachStepsFactor() {
        let x = Tensor([1.5], requiresGrad: true)
        let c = Tensor([0.5])
        var y = x
        for _ in 0..<6 { y = y * c + c }
        y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [Float(0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5)])
    }

    func testAGradientGivenToTheCallerIsNotOverwritten() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let c = Tensor([3.0, 4.0])
        let a = x * c
        let b = a * c
        let seed = Tensor([1.0, 1.0])
        b.backward(gradient: seed)
        XCTAssertEqual(seed.scalars, [1, 1])
        XCTAssertEqual(x.grad?.scalars, [9, 16])
    }
}
