import XCTest
@testable import AutogradEngine

/// A pass that records nothing adds the gradients reaching one tensor into the first of them
/// when only the pass holds it, and adds each output's gradient of `split` into its window
/// of the split tensor's gradient. These check the sums against the values, whatever order
/// the gradients arrive in, and that no gradient anyone else holds is written.
final class PendingGradientSumTests: XCTestCase {
    func testSplitOutputsGetTheirOwnWindows() throws {
        for dim in [0, 1] {
            let x = Tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], requiresGrad: true)
            let parts = (x * 1).split(dim == 0 ? 1 : 2, dim: dim)
            ((parts[0] * 3).sum() + (parts[1] * 5).sum()).backward()
            let expected: [Float] = dim == 0 ? [3, 3, 3, 3, 5, 5, 5, 5] : [3, 3, 5, 5, 3, 3, 5, 5]
            XCTAssertEqual(x.grad?.scalars, expected, "dim \(dim)")
        }
    }

    func testSplitOutputsAddToAGradientFromElsewhere() throws {
        let x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requiresGrad: true)
        let y = x * 2
        let parts = y.split(sizes: [1, 2], dim: 1)
        // y's own use sends its gradient first or last depending on the order nodes run.
        ((parts[1] * Tensor([[10.0, 20.0], [30.0, 40.0]])).sum() + y.sum() + (parts[0] * 7).sum()).backward()
        XCTAssertEqual(x.grad?.scalars, [16, 22, 42, 16, 62, 82])
        let z = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requiresGrad: true)
        let w = z * 2
        let pieces = w.split(sizes: [1, 2], dim: 1)
        ((pieces[0] * 7).sum() + w.sum() + (pieces[1] * Tensor([[10.0, 20.0], [30.0, 40.0]])).sum()).backward()
        XCTAssertEqual(z.grad?.scalars, [16, 22, 42, 16, 62, 82])
    }

    func testUnusedAndTransposedSplitOutputs() throws {
        let x = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requiresGrad: true)
        let parts = (x + 0).split(1, dim: 0)
        ((parts[0] * 2).sum() + (parts[2].transpose(0, 1) * Tensor([[1.0], [10.0]])).sum()).backward()
        XCTAssertEqual(x.grad?.scalars, [2, 2, 0, 0, 1, 10])
    }

    func testALeafReachedThreeTimesGetsTheSum() throws {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let c = Tensor([3.0, 4.0])
        // Products (pass-private), the gradient of a sum passed on as is, and one through a view.
        (x * 2 + x * c + x + x.reshape([2, 1]).reshape([2]) * 5).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [11, 12])
        let seed = Tensor([1.0, 1.0])
        (x * 2 + x).backward(gradient: seed)
        XCTAssertEqual(x.grad?.scalars, [14, 15])
        XCTAssertEqual(seed.scalars, [1, 1])
    }

    func testARetainedGradientIsNotChangedByLaterSums() throws {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = x * 3
        y.retainGrad()
        let a = y * 2, b = y * 5
        (a + b).sum().backward(retainGraph: true)
        XCTAssertEqual(y.grad?.scalars, [7, 7])
        XCTAssertEqual(x.grad?.scalars, [21, 21])
        (y * 4).sum().backward()
        XCTAssertEqual(y.grad?.scalars, [11, 11])
        XCTAssertEqual(x.grad?.scalars, [33, 33])
    }

    func testAGradientAHookSawIsNotAddedInto() throws {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = x * 3
        var seen: [Tensor] = []
        let a = y + 1
        a.registerHook { gradient in
            seen.append(gradient)
            return gradient
        }
        // The hook's gradient goes on to y unchanged, where the product's gradient joins it.
        (a.sum() + (y * 5).sum()).backward()
        XCTAssertEqual(seen.first?.scalars, [1, 1])
        XCTAssertEqual(x.grad?.scalars, [18, 18])
    }

    func testSumsInAGraphBuildingPassStayDifferentiable() throws {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let parts = (x * x).split(1, dim: 0)
        let y = (parts[0] * 3).sum() + (parts[1] * 5).sum() + (x * x).sum()
        let gradient = try XCTUnwrap(grad(outputs: [y], inputs: [x], createGraph: true)[0])
        XCTAssertEqual(gradient.scalars, [8, 24])
        gradient.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [8, 12])
    }
}
