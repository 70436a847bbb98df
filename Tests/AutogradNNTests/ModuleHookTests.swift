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

    /// A user's module whose call takes two tensors and returns two, written with
    /// `callWithHooks` as the library's LSTM and GPT are: its parameters are discovered and
    /// its hooks run once per call around the first result.
    private final class GatedSum: Module {
        let gate = Linear(inFeatures: 2, outFeatures: 2)
        func callAsFunction(_ x: Tensor, _ memory: Tensor) -> (output: Tensor, memory: Tensor) {
            let (output, newMemory) = callWithHooks(x) { x in
                let mixed = gate(x).sigmoid() * memory
                return (mixed, memory + mixed)
            }
            return (output, newMemory)
        }
    }

    func testModulesReturningSeveralValuesRunTheirHooks() throws {
        let module = GatedSum()
        XCTAssertEqual(module.namedParameters().map(\.name), ["gate.weight", "gate.bias"])
        var calls = 0
        _ = module.registerForwardPreHook { _, input in input * 0 }
        _ = module.registerForwardHook { _, input, output in
            calls += 1
            XCTAssertEqual(input.scalars, [0, 0])
            return output * 2
        }
        let memory = Tensor([[1.0, 3.0]], requiresGrad: true)
        let bias = module.gate.bias!.scalars
        let (output, newMemory) = module(Tensor([[5.0, -7.0]]), memory)
        let sigmoid = bias.map { 1 / (1 + exp(-$0)) }
        XCTAssertEqual(calls, 1)
        XCTAssertEqual(output.scalars[0], 2 * sigmoid[0] * 1, accuracy: 1e-6)
        XCTAssertEqual(newMemory.scalars[1], 3 + sigmoid[1] * 3, accuracy: 1e-6)
        output.sum().backward()
        XCTAssertEqual(try XCTUnwrap(memory.grad).scalars[0], 2 * sigmoid[0], accuracy: 1e-6)
    }
}
