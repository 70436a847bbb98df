import XCTest
@testable import AutogradEngine

/// PyTorch's autograd semantics: leaves, accumulation, retained gradients, detach,
/// grad mode, retained graphs and errors.
final class SemanticsTests: XCTestCase {
    func testLeafGradientsAccumulateUntilZeroGrad() {
        let w = Tensor([1.0, 2.0], requiresGrad: true)
        (w * w).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [2, 4])
        (w * 3).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [5, 7])
        w.zeroGrad()
        XCTAssertNil(w.grad)
    }

    func testOnlyLeavesKeepGradUnlessRetained() {
        let x = Tensor([2.0], requiresGrad: true)
        let hidden = x * 3
        let kept = hidden + 1
        kept.retainGrad()
        let loss = (kept * hidden).sum()
        loss.backward()
        XCTAssertNil(hidden.grad)
        XCTAssertTrue(kept.retainsGrad)
        XCTAssertEqual(kept.grad?.scalars, [6])
        // d/dx (3x + 1)(3x) = 18x + 3
        XCTAssertEqual(x.grad?.scalars, [39])
    }

    func testLeafAndRequiresGradFlags() {
        let p = Tensor([1.0, 3.0], requiresGrad: true)
        let c = Tensor([2.0])
        let y = c * p
        XCTAssertTrue(p.isLeaf)
        XCTAssertTrue(c.isLeaf)
        XCTAssertFalse(c.requiresGrad)
        XCTAssertFalse(y.isLeaf)
        XCTAssertTrue(y.requiresGrad)
        XCTAssertEqual(y.gradFn?.name, "MulBackward0")
        XCTAssertNil((c * c).gradFn)
    }

    func testIndexingIsDifferentiableAndGivesZeroDimensionalTensors() {
        let p = Tensor([1.0, 3.0], requiresGrad: true)
        let first = p[0]
        XCTAssertEqual(first.shape, [])
        XCTAssertEqual(first.gradFn?.name, "SelectBackward0")
        XCTAssertEqual(first.item(), 1)
        (first * 5 + p[1..<2].sum()).backward()
        XCTAssertEqual(p.grad?.scalars, [5, 1])
    }

    func testDetachSharesStorageAndCutsTheGraph() {
        let p = Tensor([3.0], requiresGrad: true)
        let d = p.detach()
        XCTAssertTrue(d.array.storage === p.array.storage)
        XCTAssertFalse(d.requiresGrad)
        XCTAssertNil(d.gradFn)
        (p * d).backward()
        XCTAssertEqual(p.grad?.scalars, [3])
    }

    func testNoGradRecordsNothing() {
        let w = Tensor([1.0], requiresGrad: true)
        let y = noGrad { w * 2 + 1 }
        XCTAssertNil(y.gradFn)
        XCTAssertFalse(y.requiresGrad)
        let z = noGrad { enableGrad { w * 2 } }
        XCTAssertEqual(z.gradFn?.name, "MulBackward0")
        XCTAssertTrue(GradMode.isEnabled)
    }

    func testBroadcastGradientsAreSummedToEachInputShape() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let b = Tensor([10.0, 20.0, 30.0], requiresGrad: true)
        let s = Tensor(2.0, requiresGrad: true)
        (a * b + s).sum().backward()
        XCTAssertEqual(b.grad?.shape, [3])
        XCTAssertEqual(b.grad?.scalars, [5, 7, 9])
        XCTAssertEqual(a.grad?.scalars, [10, 20, 30, 10, 20, 30])
        XCTAssertEqual(s.grad?.shape, [])
        XCTAssertEqual(s.grad?.item(), 6)
    }

    func testNonScalarBackwardNeedsAGradient() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = x * 2
        XCTAssertThrowsError(try y.backwardChecked()) { error in
            XCTAssertEqual((error as? AutogradError)?.message, "grad can be implicitly created only for scalar outputs")
        }
        y.backward(gradient: Tensor([1.0, 0.5]))
        XCTAssertEqual(x.grad?.scalars, [2, 1])
        XCTAssertThrowsError(try (x * 2).backwardChecked(gradient: Tensor([1.0]))) { error in
            XCTAssertEqual((error as? AutogradError)?.message,
                           "Mismatch in shape: grad_output[0] has a shape of [1] and output[0] has a shape of [2].")
        }
    }

    func testBackwardOnATensorWithoutGradFails() {
        XCTAssertThrowsError(try Tensor([1.0]).backwardChecked()) { error in
            XCTAssertEqual((error as? AutogradError)?.message,
                           "element 0 of tensors does not require grad and does not have a grad_fn")
        }
    }

    func testSecondBackwardFailsUnlessTheGraphIsRetained() throws {
        let x = Tensor([2.0], requiresGrad: true)
        let y = (x * x).sum()
        try y.backwardChecked(retainGraph: true)
        try y.backwardChecked()
        XCTAssertEqual(x.grad?.scalars, [8])
        XCTAssertThrowsError(try y.backwardChecked()) { error in
            let message = (error as? AutogradError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("Trying to backward through the graph a second time"), message)
            XCTAssertTrue(message.contains("retainGraph: true"), message)
        }
        // A failed pass leaves nothing half-done: the gradient is unchanged.
        XCTAssertEqual(x.grad?.scalars, [8])
    }

    func testGraphsWithoutSavedValuesCanBeWalkedTwice() {
        let x = Tensor([1.0], requiresGrad: true)
        let y = (x + 1).sum()
        y.backward()
        y.backward()
        XCTAssertEqual(x.grad?.scalars, [2])
    }

    func testCreateGraphGivesHigherOrderGradients() throws {
        let x = Tensor([2.0], requiresGrad: true)
        let y = (x ** 3).sum()
        y.backward(createGraph: true)
        let first = try XCTUnwrap(x.grad)
        XCTAssertEqual(first.scalars, [12])
        XCTAssertNotNil(first.gradFn)
        x.zeroGrad()
        first.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [12])  // d/dx 3x² = 6x
    }

    func testSavedResultsStayDifferentiable() throws {
        // d²/dx² e^x = e^x goes through the saved output of ExpBackward0.
        let x = Tensor([0.5], requiresGrad: true)
        x.exp().sum().backward(createGraph: true)
        let first = try XCTUnwrap(x.grad)
        x.zeroGrad()
        first.sum().backward()
        XCTAssertEqual(try XCTUnwrap(x.grad).item(), Float(M_E).squareRoot(), accuracy: 1e-5)
    }

    func testLongChainsRunAndFreeWithoutRecursion() {
        let x = Tensor([1.0], requiresGrad: true)
        var y = x
        for i in 0..<10_000 { y = i % 2 == 0 ? y * 1.0001 : y + 0.5 }
        y.sum().backward()
        XCTAssertEqual(try XCTUnwrap(x.grad).item(), Float(pow(1.0001, 5000.0)), accuracy: 1e-3)
    }

    func testPrintingSuffixes() {
        XCTAssertEqual(Tensor([1.0, 2.0], requiresGrad: true).description, "tensor([1., 2.], requires_grad=True)")
        XCTAssertEqual(Parameter(Tensor([0.5])).description, "Parameter containing:\ntensor([0.5000], requires_grad=True)")
        XCTAssertEqual(Tensor(240.0).description, "tensor(240.)")
    }

    func testNestedLiteralsBuildTheRightShapes() {
        XCTAssertEqual(Tensor([[1, 2, 3], [4, 5, 6]]).shape, [2, 3])
        XCTAssertEqual(Tensor([[[1, 2], [3, 4]]]).shape, [1, 2, 2])
        let image = Tensor([[[[2, 2, 1, 3], [4, 3, 1, 2]]]], dtype: .float32)
        XCTAssertEqual(image.shape, [1, 1, 2, 4])
        XCTAssertEqual(image.scalars, [2, 2, 1, 3, 4, 3, 1, 2])
        XCTAssertEqual(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: false).transpose(0, 1).scalars,
                       [1, 4, 2, 5, 3, 6])
    }
}
