import XCTest
import Autograd

/// The primitives added for the layers (`erf` for GELU, `indexSelect` for Embedding and the
/// losses, and public `unfold` for pooling): values, node names, and gradients against
/// finite differences, including the second derivative through each backward rule.
final class PrimitiveGradientTests: XCTestCase {
    private let x = Tensor([-2.5, -0.7, 0, 0.3, 1.1, 3], requiresGrad: true)

    func testErfValuesAndGradient() throws {
        let y = x.erf()
        XCTAssertEqual(y.gradFn?.name, "ErfBackward0")
        // erf(0.3) = 0.328626759..., erf(-2.5) = -0.999593047...
        XCTAssertEqual(y.scalars[3], 0.3286268, accuracy: 1e-6)
        XCTAssertEqual(y.scalars[0], -0.999593, accuracy: 1e-6)
        XCTAssertTrue(gradcheck({ $0.erf() }, inputs: [x]).passed)
        // d²/dx² erf(x) = -2x · 2/√π · e^(-x²): the backward rule is itself differentiable.
        let first = grad(outputs: [x.erf().sum()], inputs: [x], createGraph: true)[0]!
        let second = grad(outputs: [first.sum()], inputs: [x])[0]!
        for (value, point) in zip(second.scalars, x.scalars) {
            XCTAssertEqual(value, -2 * point * 2 / Float.pi.squareRoot() * exp(-point * point), accuracy: 1e-5)
        }
    }

    func testIndexSelectGathersAndAddsGradientsOverRepeats() throws {
        let table = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let rows = table.indexSelect(dim: 0, indices: [2, 0, 2])
        XCTAssertEqual(rows.gradFn?.name, "IndexSelectBackward0")
        XCTAssertEqual(rows.scalars, [5, 6, 1, 2, 5, 6])
        XCTAssertEqual(table.indexSelect(dim: 1, indices: [1]).scalars, [2, 4, 6])
        let result = gradcheck(inputs: [table]) { ($0[0].indexSelect(dim: 1, indices: [1, 1, 0]) * Tensor([1, 2, 3], dtype: .float32)).tanh() }
        XCTAssertTrue(result.passed, result.description)
        rows.sum().backward()
        XCTAssertEqual(try XCTUnwrap(table.grad).scalars, [1, 1, 0, 0, 2, 2])
        // Through the backward rule (index_add) again.
        let weights = Tensor(shape: [3, 2], scalars: [0.5, -1, 2, 0.25, 1, 3])
        let first = grad(outputs: [table.indexSelect(dim: 0, indices: [1, 1]).pow(2).sum()], inputs: [table], createGraph: true)[0]!
        XCTAssertEqual(first.gradFn?.name, "IndexAddBackward0")
        let second = grad(outputs: [(first * weights).sum()], inputs: [table])[0]!
        XCTAssertEqual(second.scalars, [0, 0, 8, 1, 0, 0])
    }

    func testUnfoldIsPublicAndDifferentiable() {
        let image = Tensor(shape: [1, 2, 3, 3], scalars: (0..<18).map { Float($0) / 7 - 1 }, requiresGrad: true)
        let geometry = ConvolutionGeometry(kernel: (2, 2), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        XCTAssertEqual(image.unfold(geometry).shape, [1, 8, 16])
        XCTAssertTrue(gradcheck({ $0.unfold(geometry).sin() }, inputs: [image]).passed)
    }

    func testPoolingGradientsMatchFiniteDifferences() {
        let image = Tensor(shape: [1, 1, 4, 5], scalars: (0..<20).map { Float(($0 * 7) % 20) / 3 }, requiresGrad: true)
        XCTAssertTrue(gradcheck({ maxPool2d($0, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)) }, inputs: [image]).passed)
        XCTAssertTrue(gradcheck({ avgPool2d($0, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false) },
                                inputs: [image]).passed)
        XCTAssertTrue(gradcheck({ adaptiveAvgPool2d($0, outputSize: (3, 2)) }, inputs: [image]).passed)
    }
}
