import XCTest
@testable import AutogradEngine

/// `.grad` accumulates in place unless the pass is recorded, as PyTorch's AccumulateGrad
/// (ports of test_accumulate_grad and test_accumulate_grad_tensor_reference; values in
/// Fixtures/autograd_edges.json).
final class GradAccumulationTests: XCTestCase {
    /// Backward twice through `x + 2`; returns the grad held after the first pass, a copy
    /// of it, and whether `x.grad` is still that object after the second.
    private func accumulateTwice(createGraph: Bool) throws -> (held: Tensor, copy: Tensor, same: Bool) {
        let x = Tensor.zeros([5, 5], requiresGrad: true)
        let y = x + 2
        y.backward(gradient: Tensor.ones([5, 5]), retainGraph: true)
        let held = try XCTUnwrap(x.grad)
        let copy = held.clone()
        y.backward(gradient: Tensor.ones([5, 5]), createGraph: createGraph)
        return (held, copy, x.grad === held)
    }

    func testSecondBackwardAddsIntoTheHeldGrad() throws {
        let c = try EdgeCase("accumulate_grad")
        let plain = try accumulateTwice(createGraph: false)
        try c.assertMatches(plain.held, "held")
        try c.assertMatches(plain.copy, "clone")
        XCTAssertEqual(plain.same, try c.flag("same"))
        let recorded = try accumulateTwice(createGraph: true)
        try c.assertMatches(recorded.held, "held_create_graph")
        try c.assertMatches(recorded.copy, "clone_create_graph")
        XCTAssertEqual(recorded.same, try c.flag("same_create_graph"))
    }

    func testAnAssignedGradKeepsItsIdentity() throws {
        let c = try EdgeCase("accumulate_grad_tensor_reference")
        for createGraph in [false, true] {
            let suffix = createGraph ? "_create_graph" : ""
            let params = Tensor([1.5, 1.5], requiresGrad: true)
            let saved = Tensor([1.5, 1.5])
            params.grad = saved
            params.backward(gradient: Tensor([1.5, 1.5]), createGraph: createGraph)
            XCTAssertEqual(params.grad === saved, try c.flag("kept" + suffix))
            try c.assertMatches(saved, "saved" + suffix)
            try c.assertMatches(params.grad, "grad" + suffix)
        }
    }

    func testRecordedFirstGradientsAreNotShared() throws {
        let c = try EdgeCase("create_graph_grads_not_shared")
        let a = Tensor([1.0, 2.0], requiresGrad: true), b = Tensor([1.0, 2.0], requiresGrad: true)
        (a + b).sum().backward(createGraph: true)
        XCTAssertEqual(a.grad === b.grad, try c.flag("shared"))
        XCTAssertEqual(a.grad?.requiresGrad, try c.flag("a_grad_requires_grad"))
    }
}
