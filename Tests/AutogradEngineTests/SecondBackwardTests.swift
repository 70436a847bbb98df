import XCTest
import AutogradCore
@testable import AutogradEngine

/// A second backward without `retainGraph` fails with PyTorch's message exactly where
/// PyTorch's node saved something (an input, its output, indices, a scalar operand),
/// and succeeds where it saved nothing (values from PyTorch in
/// Fixtures/autograd_edges.json, case second_backward).
final class SecondBackwardTests: XCTestCase {
    /// Each op as the fixture script writes it, applied to `x`.
    private static func ops(other: Tensor) -> [String: (Tensor) -> Tensor] {
        let geometry = ConvolutionGeometry(kernel: (2, 2), stride: (2, 2), padding: (0, 0), dilation: (1, 1))
        let kernel = Tensor([[[[0.5, -0.25], [1.0, 0.75]]]])
        return [
            "add": { $0 + other }, "sub": { $0 - other }, "mul": { $0 * other }, "div": { $0 / other },
            "pow": { ($0.abs() + 0.5) ** other },
            "add_scalar": { $0 + 2 }, "sub_scalar": { $0 - 2 }, "rsub_scalar": { 2 - $0 },
            "mul_scalar": { $0 * 3 }, "div_scalar": { $0 / 4 }, "pow_scalar": { $0 ** 2 }, "rpow_scalar": { 2 ** $0 },
            "neg": { -$0 }, "exp": { $0.exp() }, "log": { $0.abs().log() }, "sqrt": { $0.abs().sqrt() },
            "abs": { $0.abs() }, "sin": { $0.sin() }, "cos": { $0.cos() }, "tanh": { $0.tanh() },
            "sigmoid": { $0.sigmoid() }, "relu": { $0.relu() }, "reciprocal": { $0.reciprocal() },
            "clamp": { $0.clamp(min: -1, max: 1) }, "erf": { $0.erf() },
            "maximum": { $0.maximum(other) }, "minimum": { $0.minimum(other) },
            "sum": { $0.sum() }, "sum_dim": { $0.sum(dim: 1) }, "mean": { $0.mean() }, "mean_dim": { $0.mean(dim: 0) },
            "max": { $0.max() }, "max_dim": { $0.max(dim: 1).values },
            "softmax": { $0.softmax(dim: 1) }, "log_softmax": { $0.logSoftmax(dim: 1) },
            "view": { $0.reshape([3, 2]) }, "transpose": { $0.transpose(0, 1) }, "permute": { $0.permute([1, 0]) },
            "squeeze": { $0.unsqueeze(0).squeeze(0) }, "unsqueeze": { $0.unsqueeze(1) },
            "expand": { $0.expand([2, 2, 3]) }, "select": { $0[1] }, "slice": { $0.slice(dim: 1, start: 1, end: 3) },
            "cat": { cat([$0, other]) }, "stack": { stack([$0, other]) }, "clone": { $0.clone() },
            "matmul": { $0.matmul(other.transpose(0, 1)) },
            "index_select": { $0.indexSelect(dim: 1, indices: [2, 0, 2]) },
            "copy_slices": { x in
                let copy = x.clone()
                copy.slice(dim: 1, start: 0, end: 2) *= 2
                return copy
            },
            "conv2d": { conv2d($0, kernel, padding: 1) },
            "max_pool2d": { $0.maxPool2d(geometry) },
            "unfold": { $0.unfold(geometry) },
        ]
    }

    func testSecondBackwardFailsWhereverPyTorchsDoes() throws {
        let c = try EdgeCase("second_backward")
        let x0 = try c.tensor("x"), other = try c.tensor("other")
        let image = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map { Float($0) / 7 - 1 })
        for (name, op) in Self.ops(other: other) {
            let start = ["conv2d", "max_pool2d", "unfold"].contains(name) ? image : x0
            let x = Tensor(shape: start.shape, scalars: start.scalars, requiresGrad: true)
            let y = op(x).sum()
            XCTAssertNoThrow(try y.backwardChecked(), name)
            let expected = try c.string(name)
            do {
                try y.backwardChecked()
                XCTAssertNil(expected, "\(name): a second backward ran; PyTorch refuses it")
            } catch {
                let message = error.message
                XCTAssertNotNil(expected, "\(name): PyTorch runs a second backward; here: \(message)")
                if let expected {
                    let sentence = "Trying to backward through the graph a second time"
                    XCTAssertTrue(expected.hasPrefix(sentence) && message.hasPrefix(sentence), "\(name): \(message)")
                }
            }
        }
    }
}
