import XCTest
@testable import AutogradSeed

/// The seed note's five programs print exactly what the note shows PyTorch printing.
final class SeedExerciseTests: XCTestCase {
    private func output(of id: String) throws -> [String] {
        let exercise = try XCTUnwrap(SeedExercise.all.first { $0.id == id })
        return exercise.run()
    }

    func testExerciseOneLinearModel() throws {
        XCTAssertEqual(try output(of: "1"), [
            "loss: tensor([4.], grad_fn=<PowBackward0>)",
            "params.grad: tensor([8., 4.])",
        ])
    }

    func testExerciseTwoSharedParameter() throws {
        XCTAssertEqual(try output(of: "2"), [
            "loss: tensor([54.], grad_fn=<MulBackward0>)",
            "params.grad: tensor([36.])",
        ])
    }

    func testExerciseTwoDetachCutsOnePath() throws {
        XCTAssertEqual(try output(of: "2b"), [
            "loss: tensor([54.], grad_fn=<MulBackward0>)",
            "params.grad: tensor([18.])",
        ])
    }

    func testExerciseThreeBranchesAddUp() throws {
        XCTAssertEqual(try output(of: "3"), [
            "r: tensor([210.], grad_fn=<MulBackward0>), s: tensor([168.], grad_fn=<MulBackward0>)",
            "params.grad: tensor([189., 126.,  42.,  42.])",
        ])
    }

    func testExerciseFourConvolution() throws {
        XCTAssertEqual(try output(of: "4"), [
            ">>> result",
            """
            tensor([[[[53., 60.],
                      [59., 68.]]]], grad_fn=<ConvolutionBackward0>)
            """,
            ">>> loss",
            "tensor(240., grad_fn=<SumBackward0>)",
            ">>> conv.weight.grad",
            """
            tensor([[[[11.,  7.,  7.],
                      [10.,  8.,  7.],
                      [ 5.,  7., 10.]]]])
            """,
            ">>> conv.bias.grad",
            "tensor([4.])",
        ])
    }

    func testAllFiveProgramsAreListedInOrder() {
        XCTAssertEqual(SeedExercise.all.map(\.id), ["1", "2", "2b", "3", "4"])
    }
}
