import XCTest
@testable import AutogradEngine

/// Gradient hooks, anomaly detection, custom functions and task-local grad mode.
final class HooksAndAnomalyTests: XCTestCase {
    func testLeafHookSeesAndReplacesTheGradient() {
        let w = Tensor([1.0, 2.0], requiresGrad: true)
        var seen: [Float] = []
        let handle = w.registerHook { gradient in
            seen = gradient.scalars
            return gradient.clamp(min: -1, max: 1)
        }
        (w * Tensor([5.0, -0.5])).sum().backward()
        XCTAssertEqual(seen, [5, -0.5])
        XCTAssertEqual(w.grad?.scalars, [1, -0.5])
        handle.remove()
        w.zeroGrad()
        (w * Tensor([5.0, -0.5])).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [5, -0.5])
        handle.remove()
    }

    func testNonLeafHookChangesWhatFlowsUpstream() {
        let x = Tensor([3.0], requiresGrad: true)
        let y = x * 2
        y.registerHook { $0 * 10 }
        (y * y).sum().backward()   // d/dy = 2y = 12, times 10, times dy/dx = 2
        XCTAssertEqual(x.grad?.scalars, [240])
    }

    func testHooksRunInRegistrationOrder() {
        let x = Tensor([1.0], requiresGrad: true)
        x.registerHook { $0 + 1 }
        x.registerHook { $0 * 3 }
        (x * 2).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [9])
    }

    func testAnomalyModeNamesTheOpAndWhereItWasCreated() throws {
        let x = Tensor([0.0, 1.0], requiresGrad: true)
        try detectAnomaly {
            let y = (x * x).sqrt()   // sqrt's gradient at 0 divides by zero
            XCTAssertThrowsError(try y.sum().backwardChecked()) { error in
                let message = (error as? AutogradError)?.message ?? ""
                XCTAssertTrue(message.hasPrefix("Function 'SqrtBackward0' returned infinite values in its 0th output."), message)
                #if os(Linux)
                XCTAssertTrue(message.contains("HooksAndAnomalyTests.swift:"), message)
                #endif
            }
        }
        // Outside the scope the same computation gives NaN silently, as in PyTorch.
        XCTAssertNoThrow(try (x * x).sqrt().sum().backwardChecked())
        XCTAssertTrue(x.grad!.scalars[0].isNaN)
    }

    func testCustomFunctionRecordsItsNodeAndDifferentiatesTwice() throws {
        let x = Tensor([0.5, -1.0], requiresGrad: true)
        let y = ScaledExp.apply(x)
        XCTAssertEqual(y.gradFn?.name, "ScaledExpBackward")
        XCTAssertTrue(gradcheck({ ScaledExp.apply($0) }, inputs: [x]).passed)
        let first = try XCTUnwrap(grad(outputs: [y.sum()], inputs: [x], createGraph: true)[0])
        let second = try XCTUnwrap(grad(outputs: [first.sum()], inputs: [x])[0])
        for (value, input) in zip(second.scalars, x.scalars) {
            XCTAssertEqual(value, 2 * Float(Foundation.exp(Double(input))), accuracy: 1e-5)
        }
    }

    func testCustomFunctionSavedTensorsAreFreedAndVersionChecked() {
        let x = Tensor([0.5], requiresGrad: true)
        let y = ScaledExp.apply(x * 1)
        y.sum().backward()
        XCTAssertThrowsError(try y.sum().backwardChecked()) { error in
            XCTAssertTrue(((error as? AutogradError)?.message ?? "").hasPrefix("Trying to backward through the graph a second time"))
        }
        let z = ScaledExp.apply(x * 1)
        noGrad { z.fill(1) }
        XCTAssertThrowsError(try z.sum().backwardChecked()) { error in
            XCTAssertTrue(((error as? AutogradError)?.message ?? "").contains("modified by an inplace operation"))
        }
    }

    func testGradModeIsTaskLocalAndHoldsAcrossAwait() async {
        let x = Tensor([1.0], requiresGrad: true)
        let recorded = await noGrad { () async -> Bool in
            await Task.yield()
            let inner = x * 2
            let other = await Task.detached { GradMode.isEnabled }.value
            XCTAssertTrue(other, "a detached task does not inherit the scope")
            return inner.gradFn != nil
        }
        XCTAssertFalse(recorded)
        XCTAssertTrue(GradMode.isEnabled)
    }

    func testATaskStartedInsideNoGradKeepsTheScopeAfterItEnds() async {
        let x = Tensor([1.0], requiresGrad: true)
        let gate = AsyncStream<Void>.makeStream()
        let task = noGrad {
            Task { () async -> Bool in
                for await _ in gate.stream { break }
                return (x * 2).gradFn != nil
            }
        }
        // The scope has ended; the task inherited its context and runs only now.
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertNotNil((x * 2).gradFn)
        gate.continuation.yield(())
        let recorded = await task.value
        XCTAssertFalse(recorded, "the task records nothing: it is still inside the scope it started in")
        XCTAssertNotNil((x * 2).gradFn)
    }

    func testIndependentGraphsBackwardOnSeveralThreads() {
        let results = PerThreadResults(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let x = Tensor([Float(index)], requiresGrad: true)
            var y = x
            for _ in 0..<50 { y = (y * 1.01).sin() + x }
            y.sum().backward()
            results.values[index] = x.grad!.item()
        }
        for index in 0..<8 {
            let x = Tensor([Float(index)], requiresGrad: true)
            var y = x
            for _ in 0..<50 { y = (y * 1.01).sin() + x }
            y.sum().backward()
            XCTAssertEqual(results.values[index], x.grad!.item())
        }
    }
}

/// 2·eˣ, with its saved output used in backward.
private enum ScaledExp: CustomFunction {
    static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let y = inputs[0].exp() * 2
        context.saveForBackward(y)
        return y
    }
    static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
        [gradient * context.savedTensors[0]]
    }
}

/// One slot per worker; each worker writes only its own slot.
private final class PerThreadResults: @unchecked Sendable {
    var values: [Float]
    init(count: Int) { values = [Float](repeating: .nan, count: count) }
}
