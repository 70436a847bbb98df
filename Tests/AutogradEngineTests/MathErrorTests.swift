import Foundation
import Testing
import Autograd

/// Misuse of the creation, math, reduction and sorting ops stops with PyTorch 2.15's
/// message (each public call in a child process that must fail and print it), and the
/// shape errors behind them carry the op and the values.
@Suite struct MathErrorTests {
    @Test func shapeErrorsSayWhatPyTorchSays() {
        #expect(ShapeError.selectedIndexOutOfRange(op: "topk", k: 5, size: 4).message == "topk: selected index k out of range")
        #expect(ShapeError.emptyReductionDimension(op: "amax", dim: 1).message == "amax(): Expected reduction dim 1 to have non-zero size.")
        #expect(ShapeError.floatingPointRequired(op: "var", .int64).message == "var: std and var only support floating point and complex dtypes")
        #expect(ShapeError.floatingPointRequired(op: "linalg.vector_norm", .int64).message
            == "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long")
        #expect(ShapeError.expectedDType(op: "lerp", argument: "end", expected: .float32, got: .float64).message
            == "lerp: expected dtype float for `end` but got dtype double")
        #expect(ShapeError.dimensionOutOfRange(op: "sort", dim: 2, rank: 2).message
            == "sort: dimension out of range (expected to be in range of [-2, 1], but got 2)")
    }

    @Test func uniqueIsNotDifferentiable() {
        let x = Tensor([3.0, 1.0, 3.0], requiresGrad: true)
        let u = x.unique()
        #expect(u.gradFn?.name == "Unique2Backward0")
        let error = #expect(throws: AutogradError.self) { try u.sum().backwardChecked() }
        #expect(error == .derivativeNotImplemented(function: "_unique2"))
        #expect(error?.message == "the derivative for '_unique2' is not implemented.")
        #expect(Tensor([3.0, 1.0]).unique().gradFn == nil)
    }

    /// The misuses, with the message each must print.
    static let misuses: [(String, String)] = [
        ("topk", "topk: selected index k out of range"),
        ("sortDimension", "sort: dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        ("varOfIntegers", "var: std and var only support floating point and complex dtypes"),
        ("normOfIntegers", "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
        ("amaxOfEmpty", "amax(): Expected reduction dim 1 to have non-zero size."),
        ("lerpDTypes", "lerp: expected dtype float for `end` but got dtype double"),
        ("arangeStep", "arange: step must be nonzero"),
        ("arangeSign", "arange: upper bound and lower bound inconsistent with step sign"),
        ("linspaceSteps", "linspace: number of steps must be non-negative"),
        ("randint", "random_ expects 'from' to be less than 'to', but got from=10 >= to=0"),
        ("floorOfBool", "floor: not implemented for 'Bool'"),
        ("multinomial", "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"),
    ]

    @Test(arguments: misuses.map(\.0))
    func stopsWithPyTorchsMessage(_ misuse: String) async throws {
        let expected = try #require(Self.misuses.first { $0.0 == misuse }?.1)
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [misuse = misuse as String] in
            MathErrorTests.commit(misuse)
        }
        let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(printed.contains(expected), "printed: \(printed)")
    }

    /// Runs the misuse called `name`; each must stop the process.
    static func commit(_ name: String) {
        let x = Tensor([[0.2, -0.5, 0.7, 0.1], [0.9, 0.1, -0.3, 0.4]])
        switch name {
        case "topk": _ = x.topk(5, dim: 1)
        case "sortDimension": _ = x.sort(dim: 2)
        case "varOfIntegers": _ = Tensor([1, 2]).var()
        case "normOfIntegers": _ = Tensor([1, 2]).norm()
        case "amaxOfEmpty": _ = Tensor.zeros([2, 0]).amax(dim: 1)
        case "lerpDTypes": _ = x.lerp(x.to(.float64), weight: 0.5)
        case "arangeStep": _ = Tensor.arange(0, 5, step: 0)
        case "arangeSign": _ = Tensor.arange(0, 5, step: -1)
        case "linspaceSteps": _ = Tensor.linspace(0, 1, steps: -1)
        case "randint": _ = Tensor.randint(low: 10, high: 0, shape: [4])
        case "floorOfBool": _ = Tensor([true, false]).floor()
        case "multinomial": _ = Tensor.multinomial(Tensor([0.0, 0.0]), numSamples: 1)
        default: Issue.record("unknown misuse \(name)")
        }
    }
}
