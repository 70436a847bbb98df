import XCTest
import Autograd

/// Every loss's value and input gradient against PyTorch, plus stability and errors.
final class LossTests: XCTestCase {
    private func loss(_ fixture: NNFixtures.LossCase) -> (Tensor, Tensor) -> Tensor {
        let reduction = Reduction(rawValue: fixture.config.reduction ?? "mean")!
        let smoothing = Float(fixture.config.labelSmoothing ?? 0)
        switch fixture.kind {
        case "mse": return { MSELoss(reduction: reduction)($0, $1) }
        case "l1": return { L1Loss(reduction: reduction)($0, $1) }
        case "cross_entropy": return { CrossEntropyLoss(reduction: reduction, labelSmoothing: smoothing)($0, $1) }
        case "nll": return { NLLLoss(reduction: reduction)($0, $1) }
        case "bce_with_logits":
            return { BCEWithLogitsLoss(reduction: reduction, posWeight: fixture.config.posWeight?.tensor())($0, $1) }
        default: fatalError("unknown loss kind \(fixture.kind)")
        }
    }

    func testLossesMatchPyTorch() {
        let cases = NNFixtures.shared.losses
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for fixture in cases {
            let input = fixture.input.tensor(requiresGrad: true)
            let output = loss(fixture)(input, fixture.target.tensor())
            assertClose(output, fixture.output, "\(fixture.name) value")
            output.backward(gradient: fixture.upstream.tensor())
            assertClose(input.grad, fixture.inputGrad, "\(fixture.name) input grad")
        }
    }

    func testCrossEntropyGradientMatchesFiniteDifferences() {
        let logits = Tensor(shape: [3, 4], scalars: [0.3, -1.2, 2.0, 0.1, 1.5, 0.2, -0.7, 0.9, -2.0, 0.4, 0.0, 1.1], requiresGrad: true)
        let classes = Tensor([2, 0, 3])
        let result = gradcheck({ crossEntropy($0, classes, labelSmoothing: 0.1) }, inputs: [logits])
        XCTAssertTrue(result.passed, result.description)
    }

    func testBCEWithLogitsGradientIsSigmoidMinusTargetEvenAtZero() throws {
        let logits = Tensor([0, 0, 2], dtype: .float32, requiresGrad: true)
        binaryCrossEntropyWithLogits(logits, Tensor([1, 0, 1], dtype: .float32), reduction: .sum).backward()
        let expected: [Float] = [0.5 - 1, 0.5, 1 / (1 + exp(-2)) - 1]
        for (a, e) in zip(try XCTUnwrap(logits.grad).scalars, expected) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }

    func testCrossEntropyStaysFiniteForHugeLogits() {
        let logits = Tensor([[1e30, -1e30, 0], [-3e38, 3e38, 1]], requiresGrad: true)
        let value = crossEntropy(logits, Tensor([1, 1]))
        XCTAssertTrue(value.item().isFinite)
        value.backward()
        XCTAssertTrue(logits.grad!.scalars.allSatisfy(\.isFinite))
    }
}
