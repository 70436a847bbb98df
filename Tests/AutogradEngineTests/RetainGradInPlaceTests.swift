import XCTest
@testable import AutogradEngine

/// `retainGrad()` follows in-place ops, as PyTorch moves the retain-grad hook to the new
/// `grad_fn` (ports of test_retain_grad_inplace and test_retain_grad_inplace_over_view;
/// values in Fixtures/autograd_edges.json).
final class RetainGradInPlaceTests: XCTestCase {
    func testRetainedGradIsThatOfTheValuesAfterTheInPlaceOps() throws {
        let c = try EdgeCase("retain_grad_inplace")
        let once = Tensor([1.0], requiresGrad: true).clone()
        once.retainGrad()
        once *= 2
        once.sum().backward()
        try c.assertMatches(once.grad, "once")

        let twice = Tensor([1.0], requiresGrad: true).clone()
        twice.retainGrad()
        twice *= 2
        twice *= 2
        twice.sum().backward()
        try c.assertMatches(twice.grad, "twice")

        // The hook moves from the base's old node to CopySlices, then to the in-place op.
        let x = Tensor([1.0], requiresGrad: true).clone()
        x.retainGrad()
        let view = x[0..<1]
        view *= 2
        x *= 2
        x.sum().backward()
        try c.assertMatches(x.grad, "over_base")

        // A base that did not require grad has no hook to move.
        let base = Tensor.zeros([4])
        let z = Tensor(shape: [2, 2], scalars: [0.5, -1, 2, 0.25], requiresGrad: true)
        base.reshape([2, 2]).addInPlace(z)
        base.sum().backward()
        try c.assertMatches(z.grad, "z_grad")
    }

    func testRetainedViewsFollowAWriteThroughOneOfThem() throws {
        let c = try EdgeCase("retain_grad_inplace_over_view")
        let base = Tensor([1.0], requiresGrad: true).clone()
        let view = base[0..<1], view2 = base[0..<1]
        view.retainGrad()
        view2.retainGrad()
        view *= 2
        (view + view2).sum().backward()
        try c.assertMatches(view.grad, "view_grad")
        try c.assertMatches(view2.grad, "view2_grad")
        XCTAssertTrue(view.retainsGrad && view2.retainsGrad)
    }
}
