import XCTest
@testable import AutogradEngine

/// Writes into views against PyTorch (ports of test_inplace_on_view_* from
/// test_autograd.py; values in Fixtures/autograd_edges.json): the write is recorded on
/// the base (CopySlices), and the base, the view and its siblings all give the gradients
/// of their current values.
final class ViewWriteTests: XCTestCase {
    func testFillThroughAViewZeroesTheOverwrittenGradient() throws {
        let c = try EdgeCase("view_fill")
        let x = try c.tensor("x", requiresGrad: true), w = try c.tensor("w")
        let y = x + 2
        y[1].fill(2)
        XCTAssertEqual(y.gradFn?.name, "CopySlices")
        XCTAssertTrue(try XCTUnwrap(c.string("base_grad_fn")).hasSuffix("CopySlices"))
        (y * w).sum().backward()
        try c.assertMatches(y, "y")
        try c.assertMatches(x.grad, "x_grad")
    }

    func testCopyIntoAViewSendsTheGradientToTheSource() throws {
        let c = try EdgeCase("view_copy")
        let x = try c.tensor("x", requiresGrad: true), v = try c.tensor("v", requiresGrad: true), w = try c.tensor("w")
        let y = x + 2
        y[3].copy(from: v)
        (y * w).sum().backward()
        try c.assertMatches(x.grad, "x_grad")
        try c.assertMatches(v.grad, "v_grad")
    }

    func testWriteIntoAViewOfAView() throws {
        let c = try EdgeCase("view_of_view")
        let root = try c.tensor("root", requiresGrad: true)
        let x = root.clone()
        let v1 = x.slice(dim: 0, start: 0, end: 1)
        let v2 = v1.slice(dim: 1, start: 1, end: 2)
        v2 *= 2
        x.sum().backward()
        try c.assertMatches(root.grad, "root_grad")
    }

    func testWriteIntoAViewOfANonContiguousTensor() throws {
        let c = try EdgeCase("view_non_contiguous")
        let root = Tensor.ones([2, 3, 2]).select(dim: 2, index: 1).transpose(0, 1)
        root.requiresGrad = true
        let x = root.clone()
        x.slice(dim: 0, start: 0, end: 1).slice(dim: 1, start: 1, end: 2).multiplyInPlace(Tensor(2.0))
        x.sum().backward()
        try c.assertMatches(root.grad, "root_grad")
    }

    func testBackwardThroughTheWrittenView() throws {
        let c = try EdgeCase("view_backprop_view")
        let a = Tensor([2.0, 5.0]), b = Tensor([3.0], requiresGrad: true)
        let result = a.slice(dim: 0, start: 1, end: 2)
        result.multiplyInPlace(b)
        result.sum().backward()
        try c.assertMatches(a, "a")
        try c.assertMatches(b.grad, "b_grad")
        try c.assertMatches(a.grad, "a_grad")
    }

    func testWriteMakesTheBaseRequireGrad() throws {
        let c = try EdgeCase("view_makes_base_require_grad")
        let a = try c.tensor("a"), b = try c.tensor("b", requiresGrad: true), go = try c.tensor("go")
        func f(_ b: Tensor) -> Tensor {
            let x = a.clone()
            x.slice(dim: 1, start: 2, end: 4).multiplyInPlace(b)
            return x
        }
        let x = a.clone()
        XCTAssertEqual(x.requiresGrad, try c.flag("requires_grad_before"))
        x.slice(dim: 1, start: 2, end: 4).multiplyInPlace(b)
        XCTAssertEqual(x.requiresGrad, try c.flag("requires_grad_after"))
        (x * go).sum().backward()
        try c.assertMatches(x, "x")
        try c.assertMatches(b.grad, "b_grad")
        let check = gradcheck({ f($0) }, inputs: [Tensor(shape: b.shape, scalars: b.scalars, requiresGrad: true)])
        XCTAssertTrue(check.passed, check.description)
    }

    func testOlderViewsFollowAnInPlaceOpOnTheirBase() throws {
        let c = try EdgeCase("view_modify_base")
        let r = Tensor.ones([1], requiresGrad: true)
        let x = Tensor.ones([5])
        let v = x.select(dim: 0, index: 1)
        XCTAssertEqual(v.requiresGrad, try c.flag("requires_grad_before"))
        XCTAssertNil(v.gradFn)
        x.addInPlace(r)
        XCTAssertEqual(v.requiresGrad, try c.flag("requires_grad_after"))
        v.backward()
        try c.assertMatches(r.grad, "r_grad")
    }

    func testViewHistoryRemadeInsideNoGrad() throws {
        let c = try EdgeCase("view_then_no_grad")
        let a = Tensor.ones([3, 1], requiresGrad: true)
        let b = a * 2
        let view = b.reshape(b.shape)
        view[0][0].fill(3)
        noGrad { _ = view.gradFn }
        view.sum().backward()
        try c.assertMatches(view, "c")
        try c.assertMatches(a.grad, "a_grad")
    }

    func testTwoWritesIntoNestedViews() throws {
        let c = try EdgeCase("view_gradcheck")
        let a = try c.tensor("a", requiresGrad: true), b = try c.tensor("b", requiresGrad: true)
        let go = try c.tensor("go")
        let x = a.clone()
        x.slice(dim: 1, start: 2, end: 4).slice(dim: 0, start: 1, end: 3).multiplyInPlace(b)
        x.slice(dim: 1, start: 0, end: 2).slice(dim: 0, start: 1, end: 3).multiplyInPlace(b)
        (x * go).sum().backward()
        try c.assertMatches(x, "x")
        try c.assertMatches(a.grad, "a_grad")
        try c.assertMatches(b.grad, "b_grad")
    }

    func testSiblingViewSeesTheWriteThroughAnother() throws {
        let c = try EdgeCase("view_sibling_regenerated")
        let x = try c.tensor("x", requiresGrad: true), w = try c.tensor("w")
        let y = x * 1
        let first = y[0..<2], second = y[1..<3]
        first *= 3
        (second * w[1..<3]).sum().backward()
        try c.assertMatches(x.grad, "x_grad")
    }

    func testWriteThroughATransposedViewThenIntoTheBase() throws {
        let c = try EdgeCase("view_then_base_inplace")
        let x = try c.tensor("x", requiresGrad: true)
        let y = x.sin()
        y.transpose(0, 1)[2] *= 3
        y.multiplyInPlace(x)
        y.sum().backward()
        try c.assertMatches(y, "y")
        try c.assertMatches(x.grad, "x_grad")
    }

    func testWritesThroughReshapedAndSelectedViews() throws {
        let c = try EdgeCase("view_reshape_and_scalar")
        let x = try c.tensor("x", requiresGrad: true)
        let y = x * 2
        y.reshape([2, 3]).select(dim: 1, index: 1).zero()
        y[4].multiplyInPlace(x[0])
        y.pow(2).sum().backward()
        try c.assertMatches(y, "y")
        try c.assertMatches(x.grad, "x_grad")
    }

    func testASavedOutputChangedThroughAViewIsDetected() {
        // exp saves its output; PyTorch refuses the backward after a write through a view.
        let x = Tensor([[0.5, -1.0, 2.0], [1.0, 0.25, -0.5]], requiresGrad: true)
        let y = x.exp()
        y.transpose(0, 1)[2] *= 3
        XCTAssertThrowsError(try y.sum().backwardChecked()) { error in
            XCTAssertTrue((error as? AutogradError)?.message.contains("modified by an inplace operation") == true)
        }
        let z = x.exp()
        z.transpose(0, 1)[2] *= 3
        z.multiplyInPlace(x)
        XCTAssertThrowsError(try z.sum().backwardChecked())
    }

    func testViewsShareTheVersionCounter() {
        let x = Tensor([1.0, 2.0, 3.0])
        let view = x[1..<3]
        XCTAssertEqual(x.version, 0)
        view += 1
        XCTAssertEqual(x.version, 1)
        XCTAssertEqual(view.version, 1)
        x.detach().zero()
        XCTAssertEqual(view.version, 2)
    }

    func testDetachInPlaceMakesALeaf() {
        let w = Tensor([1.0, 2.0], requiresGrad: true)
        let y = w * 2
        y.retainGrad()
        y.detachInPlace()
        XCTAssertTrue(y.isLeaf)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.gradFn)
        XCTAssertFalse(y.retainsGrad)
    }
}
