import XCTest
@testable import AutogradEngine

/// `grad(outputs:inputs:)` and `backward(inputs:)` run only the part of the graph between
/// the outputs and the inputs, and only the hooks on that part, as in PyTorch (ports of
/// test_hook_edge_case_when_called_with_grad, test_grad_nonleaf, test_backward_with_inputs,
/// test_grad_unreachable*, test_grad_fn_prehooks*; values in Fixtures/autograd_edges.json).
final class PartialBackwardTests: XCTestCase {
    /// Counts hook calls by kind.
    private final class Counts {
        var tensor = 0, pre = 0, post = 0
        var all: [Int] { [tensor, pre, post] }
        func reset() { (tensor, pre, post) = (0, 0, 0) }
    }

    func testWhichHooksRunForEachKindOfPass() throws {
        let c = try EdgeCase("hooks_when_called_with_grad")
        let a = Tensor(1.0, requiresGrad: true)
        let b = a * 2
        let out = b * 2
        let counts = Counts()
        a.registerHook { _ in counts.tensor += 1; return nil }
        b.registerHook { _ in counts.tensor += 1; return nil }
        let node = try XCTUnwrap(b.gradFn)
        node.registerHook { _, _ in counts.post += 1; return nil }
        node.registerPrehook { _ in counts.pre += 1; return nil }
        let passes: [(String, () -> Void)] = [
            ("grad_b", { _ = grad(outputs: [out], inputs: [b], retainGraph: true) }),
            ("grad_ab", { _ = grad(outputs: [out], inputs: [a, b], retainGraph: true) }),
            ("backward", { out.backward(retainGraph: true) }),
            ("backward_ab", { out.backward(retainGraph: true, inputs: [a, b]) }),
            ("backward_a", { out.backward(retainGraph: true, inputs: [a]) }),
        ]
        for (key, pass) in passes {
            counts.reset()
            pass()
            let expected = try c.numbers(key).map { Int($0) }
            XCTAssertEqual(counts.all, expected, "\(key): [tensor hooks, pre-hooks, post-hooks]")
        }
    }

    func testACapturedNodeThatMustRunCapturesBeforeItsHooks() throws {
        let c = try EdgeCase("capture_and_hooks")
        let a = Tensor([1.0], requiresGrad: true)
        let b = a * 2
        b.registerHook { $0 * 10 }
        let out = (b * 3).sum()
        let both = grad(outputs: [out], inputs: [a, b], retainGraph: true)
        try c.assertMatches(both[0], "a_grad")
        try c.assertMatches(both[1], "b_grad")
        try c.assertMatches(grad(outputs: [out], inputs: [b])[0], "b_only_grad")
    }

    func testALeafHookRunsOnceWithTheWholeGradient() throws {
        let c = try EdgeCase("leaf_hook_once")
        let a = Tensor([1.0, -2.0], requiresGrad: true)
        var seen: [Tensor] = []
        a.registerHook { seen.append($0); return nil }
        (a * a).sum().backward()
        XCTAssertEqual(seen.count, Int(try c.number("calls")))
        try c.assertMatches(seen.first, "seen")
        try c.assertMatches(a.grad, "a_grad")
    }

    func testGradStopsAtItsInputs() throws {
        let c = try EdgeCase("grad_stops_at_inputs")
        let x = try c.tensor("x", requiresGrad: true)
        var calls = 0
        x.registerHook { _ in calls += 1; return nil }
        let s = x[0..<2], u = x[2..<4]
        u.registerHook { _ in calls += 1; return nil }
        let gradients = grad(outputs: [(s * u).sum()], inputs: [s])
        try c.assertMatches(gradients[0], "s_grad")
        XCTAssertEqual(calls, Int(try c.number("hook_calls")))
        XCTAssertNil(x.grad)
    }

    func testARetainedNonLeafOnThePathGetsItsGradUnderGrad() throws {
        let c = try EdgeCase("retained_grad_under_grad")
        let a = Tensor([1.0], requiresGrad: true)
        let b = a * 2
        b.retainGrad()
        _ = grad(outputs: [(b * 3).sum()], inputs: [a])
        try c.assertMatches(b.grad, "b_grad")
        try c.assertMatches(a.grad, "a_grad")
    }

    func testGradOfANonLeafStepByStep() throws {
        let c = try EdgeCase("grad_nonleaf")
        let xInit = try c.tensor("x_init", requiresGrad: true), y = try c.tensor("y", requiresGrad: true)
        let expected = try c.numbers("steps").map { Float($0) }
        var x = xInit
        for step in 0..<5 {
            let gx = try XCTUnwrap(grad(
                outputs: [x * x + y * x + y * y], inputs: [x], gradOutputs: [Tensor.ones([2, 2])], createGraph: true)[0])
            for (value, reference) in zip(gx.scalars, expected[(step * 4)..<(step * 4 + 4)]) {
                XCTAssertEqual(value, reference, accuracy: 1e-5)
            }
            XCTAssertNil(x.grad)
            XCTAssertNil(y.grad)
            x = x + 0.05 * gx
        }
        x.backward(gradient: Tensor.ones([2, 2]))
        try c.assertMatches(xInit.grad, "x_init_grad", accuracy: 1e-4)
        try c.assertMatches(y.grad, "y_grad", accuracy: 1e-4)
    }

    func testBackwardAccumulatesOnlyIntoItsInputs() throws {
        let c = try EdgeCase("backward_with_inputs")
        let x = try c.tensor("x", requiresGrad: true), y = try c.tensor("y", requiresGrad: true)
        for (label, inputs) in [("both", [x, y]), ("x", [x]), ("y", [y])] {
            x.zeroGrad()
            y.zeroGrad()
            (x * x + y * x + y * y).backward(gradient: Tensor.ones([2, 2]), inputs: inputs)
            try c.assertMatches(x.grad, label + "_x_grad")
            try c.assertMatches(y.grad, label + "_y_grad")
        }
        XCTAssertThrowsError(try (x * x).backwardChecked(gradient: Tensor.ones([2, 2]), inputs: [])) { error in
            XCTAssertEqual((error as? AutogradError)?.message, try? c.string("empty_error"))
        }
        XCTAssertThrowsError(try (x * 2).sum().backwardChecked(inputs: [Tensor.ones([1])])) { error in
            XCTAssertEqual((error as? AutogradError)?.message, try? c.string("not_requiring_error"))
        }
    }

    func testBackwardWithNonLeafInputs() throws {
        let c = try EdgeCase("backward_with_nonleaf_inputs")
        let x = try c.tensor("x", requiresGrad: true), y = try c.tensor("y", requiresGrad: true)
        let z = Tensor.zeros([2, 2], requiresGrad: true)
        let hidden = x * 1
        let out = hidden * hidden + y * hidden + y * y
        out.backward(gradient: Tensor.ones([2, 2]), createGraph: true, inputs: [x, y, hidden])
        try c.assertMatches(x.grad, "x_grad")
        try c.assertMatches(y.grad, "y_grad")
        try c.assertMatches(hidden.grad, "x_nonleaf_grad")
        out.backward(gradient: Tensor.ones([2, 2]), createGraph: true, inputs: [z])
        try c.assertMatches(z.grad, "z_grad")
    }

    func testUnusedInputs() throws {
        let c = try EdgeCase("grad_unreachable")
        let x = Tensor.ones([1], requiresGrad: true), y = Tensor.ones([1], requiresGrad: true)
        let gradients = grad(outputs: [x * 2], inputs: [x, y], allowUnused: true)
        try c.assertMatches(gradients[0], "x_grad")
        try c.assertMatches(gradients[1], "y_grad")
        let expected = try XCTUnwrap(c.string("error")).replacingOccurrences(of: "allow_unused=True", with: "allowUnused: true")
        XCTAssertThrowsError(try gradChecked(outputs: [x * 2], inputs: [x, y], allowUnused: false)) { error in
            XCTAssertEqual((error as? AutogradError)?.message, expected)
        }
    }

    func testNodesThatLeadToNoInputDoNotRun() throws {
        let c = try EdgeCase("grad_unreachable_discovery")
        Tripwire.ran = 0
        let x = Tripwire.apply(Tensor.ones([1], requiresGrad: true) * 2)
        let y = Tensor.ones([1], requiresGrad: true)
        try c.assertMatches(grad(outputs: [x], inputs: [y], allowUnused: true)[0], "first")
        let x2 = Tripwire.apply(Tensor.ones([1], requiresGrad: true) * 2)
        let z = Tensor.ones([1], requiresGrad: true)
        let gradients = grad(outputs: [x2 + z], inputs: [y, z], allowUnused: true)
        try c.assertMatches(gradients[0], "y_grad")
        try c.assertMatches(gradients[1], "z_grad")
        let x3 = Tripwire.apply(Tensor.ones([1], requiresGrad: true) * 2)
        x3.backward(gradient: Tensor.ones([1]), inputs: [y])
        try c.assertMatches(y.grad, "backward_y_grad")
        XCTAssertEqual(Tripwire.ran, Int(try c.number("ran")))
    }

    func testNodePreHooksAndPostHooks() throws {
        let c = try EdgeCase("grad_fn_prehooks")
        let a = Tensor([1.0], requiresGrad: true)
        let b = a * 2
        var post: [(input: Float, output: Float)] = [], pre = 0
        let node = try XCTUnwrap(b.gradFn)
        let posthook: NodePostHook = { inputs, output in
            post.append((inputs[0]!.item(), output.item()))
            return inputs
        }
        let prehook: GradientHook = { pre += 1; return $0 * 2 }
        node.registerHook(posthook)
        node.registerHook(posthook)
        node.registerPrehook(prehook)
        node.registerPrehook { _ in nil }
        node.registerPrehook(prehook)
        node.registerPrehook(prehook)
        node.registerPrehook { $0 }
        node.registerPrehook { _ in nil }
        b.sum().backward()
        XCTAssertEqual(post.count, Int(try c.number("post_calls")))
        XCTAssertEqual(pre, Int(try c.number("pre_calls")))
        XCTAssertEqual(Double(post[0].input), try c.number("post_input"))
        XCTAssertEqual(Double(post[0].output), try c.number("post_output"))
        try c.assertMatches(a.grad, "a_grad")
    }

    func testRemovedNodeHooksDoNotRun() throws {
        let c = try EdgeCase("grad_fn_prehooks_remove_hooks")
        let a = Tensor.zeros([3, 3], requiresGrad: true)
        let b = a * 2
        var calls = 0
        let handle = b.gradFn!.registerPrehook { _ in calls += 1; return nil }
        b.gradFn!.registerPrehook { _ in calls += 1; return nil }
        handle.remove()
        b.sum().backward()
        XCTAssertEqual(calls, Int(try c.number("calls")))
        try c.assertMatches(a.grad, "a_grad")
    }
}

/// Identity whose backward counts its runs (PyTorch's test fails the test instead).
private enum Tripwire: CustomFunction {
    nonisolated(unsafe) static var ran = 0
    static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor { inputs[0].clone() }
    static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
        ran += 1
        return [gradient]
    }
}
