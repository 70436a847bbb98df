import XCTest
import Autograd

/// Forward, forward-pre and backward hooks on modules.
final class ModuleHookTests: XCTestCase {
    private func makeLayer() -> Linear {
        let layer = Linear(inFeatures: 2, outFeatures: 1)
        layer.weight = Parameter(Tensor([[1.0, -1.0]]))
        layer.bias = Parameter(Tensor([0.5]))
        return layer
    }

    func testForwardHooksSeeAndReplaceInputsAndOutputs() {
        let layer = makeLayer()
        var seen: [[Float]] = []
        let pre = layer.registerForwardPreHook { _, input in input * 2 }
        let post = layer.registerForwardHook { module, input, output in
            XCTAssertTrue(module === layer)
            seen.append(input.scalars)
            return output + 100
        }
        let x = Tensor([[1.0, 3.0]])
        XCTAssertEqual(layer(x).scalars, [96.5])      // (2 - 6) + 0.5 + 100
        XCTAssertEqual(seen, [[2, 6]])
        pre.remove()
        post.remove()
        XCTAssertEqual(layer(x).scalars, [-1.5])
        XCTAssertEqual(seen.count, 1)
    }

    func testBackwardHookSeesTheOutputGradientAndCanScaleIt() throws {
        let layer = makeLayer()
        var outputGradients: [[Float]] = []
        let handle = layer.registerBackwardHook { _, gradient in
            outputGradients.append(gradient.scalars)
            return gradient * 10
        }
        let x = Tensor([[1.0, 3.0]], requiresGrad: true)
        (layer(x) * 3).sum().backward()
        XCTAssertEqual(outputGradients, [[3]])
        XCTAssertEqual(try XCTUnwrap(x.grad).scalars, [30, -30])
        XCTAssertEqual(try XCTUnwrap(layer.weight.grad).scalars, [30, 90])
        handle.remove()
        x.zeroGrad()
        (layer(x) * 3).sum().backward()
        XCTAssertEqual(try XCTUnwrap(x.grad).scalars, [3, -3])
        XCTAssertEqual(outputGradients.count, 1)
    }
}
