import XCTest
import Autograd

/// Cross-entropy and NLL with class weights and ignored targets, smooth L1, Huber, BCE and
/// KL divergence against PyTorch (`Fixtures/layers.json`), in float32 and float64, and
/// their gradients against finite differences.
final class SequenceLossTests: XCTestCase {
    /// The loss object a fixture case describes.
    private func loss(_ fixture: LayerFixtures.LossCase) -> (Tensor, Tensor) -> Tensor {
        let c = fixture.config
        let reduction = Reduction(rawValue: c["reduction"]?.string ?? "mean")!
        let weight = fixture.weight?.tensor()
        switch fixture.kind {
        case "cross_entropy":
            let criterion = CrossEntropyLoss(weight: weight, ignoreIndex: c["ignoreIndex"]?.int ?? -100, reduction: reduction,
                                             labelSmoothing: c["labelSmoothing"]?.float ?? 0)
            return { criterion($0, $1) }
        case "nll":
            let criterion = NLLLoss(weight: weight, ignoreIndex: c["ignoreIndex"]?.int ?? -100, reduction: reduction)
            return { criterion($0, $1) }
        case "smooth_l1": return { SmoothL1Loss(reduction: reduction, beta: c["beta"]?.float ?? 1)($0, $1) }
        case "huber": return { HuberLoss(reduction: reduction, delta: c["delta"]?.float ?? 1)($0, $1) }
        case "bce": return { BCELoss(weight: weight, reduction: reduction)($0, $1) }
        case "kl_div": return { KLDivLoss(reduction: reduction, logTarget: c["logTarget"]?.bool ?? false)($0, $1) }
        default: fatalError("unknown loss kind \(fixture.kind)")
        }
    }

    func testLossesMatchPyTorch() {
        let cases = LayerFixtures.shared.losses
        XCTAssertEqual(cases.count, 92)
        for fixture in cases {
            let input = fixture.input.tensor(requiresGrad: true)
            let target = fixture.target.tensor(requiresGrad: fixture.targetGrad != nil)
            let output = loss(fixture)(input, target)
            // Sums of many terms: a looser absolute tolerance for float32.
            let atol = fixture.dtype == "float64" ? 1e-10 : 1e-5
            assertMatches(output, fixture.output, atol: atol, "\(fixture.name) value")
            output.backward(gradient: fixture.upstream.tensor())
            assertMatches(input.grad, fixture.inputGrad, atol: atol, "\(fixture.name) input grad")
            if fixture.targetGrad != nil {
                assertMatches(target.grad, fixture.targetGrad, atol: atol, "\(fixture.name) target grad")
            }
        }
    }

    func testMeanOverOnlyIgnoredTargetsIsNaNAsInPyTorch() {
        let logits = Tensor(shape: [2, 3], scalars: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        XCTAssertTrue(crossEntropy(logits, Tensor([-100, -100])).item().isNaN)
        XCTAssertEqual(crossEntropy(logits, Tensor([-100, -100]), reduction: .sum).item(), 0)
        XCTAssertTrue(nllLoss(logits, Tensor([1, 1]), ignoreIndex: 1).item().isNaN)
    }

    func testIgnoredTargetsGetNoGradient() throws {
        let logits = Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0) / 5 }, requiresGrad: true)
        crossEntropy(logits, Tensor([2, -1, 0]), ignoreIndex: -1, labelSmoothing: 0.2).backward()
        let grad = try XCTUnwrap(logits.grad).scalars
        XCTAssertEqual(Array(grad[4..<8]), [0, 0, 0, 0])
        XCTAssertTrue(grad[0..<4].contains { $0 != 0 })
    }

    // MARK: - Finite differences in float64

    /// A float64 tensor of `shape` with values spread over `range`.
    private func sample(_ shape: [Int], seed: UInt64, in range: ClosedRange<Double>, requiresGrad: Bool = true) -> Tensor {
        let values = RandomGenerator(seed: seed).uniform(count: shape.reduce(1, *))
            .map { range.lowerBound + Double($0) * (range.upperBound - range.lowerBound) }
        return Tensor(NDArray(shape: shape, doubles: values, dtype: .float64), requiresGrad: requiresGrad)
    }

    private func assertGradcheck(
        _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor
    ) {
        let result = gradcheck(inputs: inputs, f)
        XCTAssertTrue(result.passed, result.description, file: file, line: line)
    }

    func testClassLossGradientsMatchFiniteDifferences() {
        let logits = sample([4, 3], seed: 1, in: -2...2)
        let weight = Tensor([0.5, 2.0, 1.5], dtype: .float64)
        let classes = Tensor([2, -100, 0, 1])
        assertGradcheck([logits]) { crossEntropy($0[0], classes, weight: weight, labelSmoothing: 0.15) }
        assertGradcheck([logits]) { crossEntropy($0[0], classes, weight: weight, reduction: .none) }
        assertGradcheck([logits]) { nllLoss($0[0].logSoftmax(dim: 1), Tensor([2, 1, 1, 0]), weight: weight, ignoreIndex: 1) }
        let probabilities = sample([4, 3], seed: 2, in: 0...1, requiresGrad: false).softmax(dim: 1)
        assertGradcheck([logits]) { crossEntropy($0[0], probabilities, weight: weight, labelSmoothing: 0.1) }
    }

    func testRegressionLossGradientsMatchFiniteDifferences() {
        let input = sample([3, 4], seed: 3, in: -3...3)
        let target = sample([3, 4], seed: 4, in: -3...3)
        assertGradcheck([input, target]) { smoothL1Loss($0[0], $0[1], beta: 0.8) }
        assertGradcheck([input, target]) { huberLoss($0[0], $0[1], reduction: .sum, delta: 1.3) }
    }

    func testBCEAndKLGradientsMatchFiniteDifferences() {
        let probabilities = sample([2, 5], seed: 5, in: 0.05...0.95)
        let targets = sample([2, 5], seed: 6, in: 0...1)
        let weight = Tensor([1.0, 0.5, 2.0, 1.5, 0.25], dtype: .float64)
        assertGradcheck([probabilities, targets]) { bceLoss($0[0], $0[1], weight: weight) }
        // BCE's backward is itself differentiable.
        assertGradcheck([probabilities]) { grad(outputs: [bceLoss($0[0], targets, reduction: .sum)], inputs: [$0[0]], createGraph: true)[0]! }
        let logProbabilities = sample([2, 5], seed: 7, in: -3...0)
        let distribution = sample([2, 5], seed: 8, in: 0.1...1)
        assertGradcheck([logProbabilities, distribution]) { klDivLoss($0[0], $0[1], reduction: .batchMean) }
        assertGradcheck([logProbabilities, logProbabilities.detach().requiresGradCopy()]) {
            klDivLoss($0[0], $0[1], reduction: .sum, logTarget: true)
        }
    }
}

private extension Tensor {
    /// A new leaf with this tensor's values (shifted so it differs from the original) that
    /// requires grad.
    func requiresGradCopy() -> Tensor {
        Tensor(NDArray(shape: shape, doubles: asArray(Double.self).map { $0 * 0.7 - 0.1 }, dtype: dtype), requiresGrad: true)
    }
}
