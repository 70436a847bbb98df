import XCTest
import Autograd

/// grad(), vjp, jvp, jacobian, hessian and gradcheck.
final class FunctionalTests: XCTestCase {
    private func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: accuracy, file: file, line: line) }
    }

    func testGradReturnsGradientsWithoutTouchingGrad() throws {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let w = Tensor([3.0, -1.0], requiresGrad: true)
        let hidden = x * w
        let y = (hidden ** 2).sum()
        let gradients = grad(outputs: [y], inputs: [x, hidden, w])
        assertClose(try XCTUnwrap(gradients[0]).scalars, [18, 4])   // 2·x·w²
        assertClose(try XCTUnwrap(gradients[1]).scalars, [6, -4])   // 2·hidden
        assertClose(try XCTUnwrap(gradients[2]).scalars, [6, -8])   // 2·x²·w
        XCTAssertNil(x.grad)
        XCTAssertNil(w.grad)
    }

    func testGradOfAnUnusedInputIsNil() {
        let x = Tensor([1.0], requiresGrad: true)
        let unused = Tensor([1.0], requiresGrad: true)
        let gradients = grad(outputs: [(x * 2).sum()], inputs: [x, unused])
        XCTAssertEqual(gradients[0]?.scalars, [2])
        XCTAssertNil(gradients[1])
    }

    func testGradErrors() {
        let constant = Tensor([1.0])
        XCTAssertThrowsError(try gradChecked(outputs: [constant], inputs: [constant])) { error in
            XCTAssertEqual((error as? AutogradError)?.message, "One of the differentiated Tensors does not require grad")
        }
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        XCTAssertThrowsError(try gradChecked(outputs: [x * 2], inputs: [x])) { error in
            XCTAssertEqual((error as? AutogradError)?.message, "grad can be implicitly created only for scalar outputs")
        }
    }

    func testGradientPenaltyTrainsThroughTheGradient() throws {
        // A WGAN-GP style penalty: (‖∂D/∂x‖ - 1)², differentiated with respect to D's weight.
        let w = Tensor([0.5, -2.0], requiresGrad: true)
        let x = Tensor([1.0, 1.0], requiresGrad: true)
        let critic = (x * w).tanh().sum()
        let dx = try XCTUnwrap(grad(outputs: [critic], inputs: [x], createGraph: true)[0])
        let penalty = ((dx ** 2).sum().sqrt() - 1) ** 2
        penalty.backward()
        let result = gradcheck(inputs: [w]) { weights in
            let input = Tensor([1.0, 1.0], requiresGrad: true)
            let inner = grad(outputs: [(input * weights[0]).tanh().sum()], inputs: [input], createGraph: true)[0]!
            return ((inner ** 2).sum().sqrt() - 1) ** 2
        }
        XCTAssertTrue(result.passed, result.description)
        XCTAssertNotNil(w.grad)
    }

    func testVJPAndJVPAgreeWithTheJacobian() {
        let matrix = Tensor([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])
        let f: (Tensor) -> Tensor = { (matrix.matmul($0)).tanh() }
        let x = Tensor([0.2, -0.4, 0.1])
        let j = jacobian(f, at: x)
        XCTAssertEqual(j.shape, [2, 3])
        let v = Tensor([1.0, -2.0])
        let (value, vjpResult) = vjp(f, at: x, cotangent: v)
        assertClose(value.scalars, f(x).scalars)
        assertClose(vjpResult.scalars, v.unsqueeze(0).matmul(j).squeeze(0).scalars)
        let t = Tensor([0.3, 0.0, -1.0])
        let (_, jvpResult) = jvp(f, at: x, tangent: t)
        assertClose(jvpResult.scalars, j.matmul(t).scalars)
        XCTAssertFalse(value.requiresGrad)
    }

    func testJacobianOfElementwiseFunctionIsDiagonal() {
        let x = Tensor([0.5, 1.0, 2.0])
        let j = jacobian({ $0.exp() }, at: x)
        let e = x.scalars.map { Float(Foundation.exp(Double($0))) }
        assertClose(j.scalars, [e[0], 0, 0, 0, e[1], 0, 0, 0, e[2]], accuracy: 1e-4)
    }

    func testHessianOfAQuadraticIsItsMatrix() {
        let a = Tensor([[2.0, 1.0], [1.0, 3.0]])
        let h = hessian({ ($0.matmul(a) * $0).sum() * 0.5 }, at: Tensor([0.7, -0.2]))
        XCTAssertEqual(h.shape, [2, 2])
        assertClose(h.scalars, [2, 1, 1, 3])
    }

    func testGradcheckCatchesAWrongGradient() {
        let x = Tensor([0.3, 0.9], requiresGrad: true)
        XCTAssertTrue(gradcheck({ $0.sin() * $0 }, inputs: [x]).passed)
        let wrong = gradcheck({ WrongSquare.apply($0) }, inputs: [x])
        XCTAssertFalse(wrong.passed)
        XCTAssertTrue(wrong.description.hasPrefix("gradcheck failed"), wrong.description)
    }
}

/// x² with a deliberately wrong backward (x instead of 2x), to show gradcheck fails.
private enum WrongSquare: CustomFunction {
    static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        context.saveForBackward(inputs[0])
        return inputs[0] * inputs[0]
    }
    static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
        [gradient * context.savedTensors[0]]
    }
}
