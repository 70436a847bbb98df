import XCTest
import Autograd

/// The public API exactly as the project promises it, written as a user would write it
/// with one `import Autograd`. If any of these names change, this file stops compiling.
final class APIContractTests: XCTestCase {
    func testTheDocumentedAPICompilesAndBehaves() {
        let x = Tensor([2.0])
        let p = Tensor([1.0, 3.0], requiresGrad: true)
        let s = Tensor(240.0)
        let m = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: false)
        let img = Tensor([[[[2, 2, 1, 3], [4, 3, 1, 2]]]], dtype: .float32)
        XCTAssertEqual(x.shape, [1])
        XCTAssertEqual(m.shape, [2, 3])
        XCTAssertEqual(m.transpose(0, 1).scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(s.item(), 240)
        XCTAssertEqual(img.shape, [1, 1, 2, 4])
        XCTAssertNil(p.grad)
        XCTAssertTrue(p.requiresGrad && p.isLeaf)

        let a = Tensor(shape: [2, 3, 4], scalars: (0..<24).map { Float($0) / 10 + 0.1 }, requiresGrad: true)
        let b = Tensor(shape: [2, 3, 4], scalars: (0..<24).map { Float(24 - $0) / 10 })
        let elementwise: [Tensor] = [
            a + b, a - b, a * b, a / b, -a, a + 1, 1 + a, a - 1, 1 - a, a * 2, 2 * a, a / 2, 2 / a,
            a ** 2, a.pow(3), a ** b, 2 ** a,
            a.exp(), a.log(), a.sqrt(), a.abs(), a.sin(), a.cos(), a.tanh(), a.sigmoid(), a.relu(),
            a.maximum(b), minimum(a, b), a.clamp(min: 0.5, max: 1.5),
        ]
        XCTAssertTrue(elementwise.allSatisfy { $0.shape == [2, 3, 4] })
        XCTAssertEqual(a.sum().shape, [])
        XCTAssertEqual(a.sum(dim: 1, keepDim: false).shape, [2, 4])
        XCTAssertEqual(a.mean().shape, [])
        XCTAssertEqual(a.mean(dim: 1, keepDim: true).shape, [2, 1, 4])
        XCTAssertEqual(a.max(dim: 2).values.shape, [2, 3])
        XCTAssertEqual(a.min().shape, [])
        XCTAssertEqual(a.matmul(b.transpose(1, 2)).shape, [2, 3, 3])
        XCTAssertEqual(a.reshape([4, 6]).shape, [4, 6])
        XCTAssertEqual(a.transpose(0, 2).shape, [4, 3, 2])
        XCTAssertEqual(a.permute([2, 0, 1]).shape, [4, 2, 3])
        XCTAssertEqual(a.unsqueeze(0).squeeze(0).shape, [2, 3, 4])
        XCTAssertEqual(a.softmax(dim: 0).shape, [2, 3, 4])
        XCTAssertEqual(a.logSoftmax(dim: 1).shape, [2, 3, 4])
        XCTAssertEqual(a[0].shape, [3, 4])
        XCTAssertEqual(a[1..<2].shape, [1, 3, 4])
        XCTAssertEqual(a.sum(dim: 0, keepDim: true).expand([5, 3, 4]).shape, [5, 3, 4])
        XCTAssertEqual(cat([a, b], dim: 1).shape, [2, 6, 4])
        XCTAssertEqual(stack([a, b], dim: 0).shape, [2, 2, 3, 4])

        let g = Tensor(shape: [2, 3, 4], scalars: [Float](repeating: 1, count: 24))
        a.sigmoid().backward(gradient: g)
        XCTAssertEqual(a.grad?.shape, [2, 3, 4])
        a.zeroGrad()
        XCTAssertNil(a.grad)
        let frozen = noGrad { a * 2 }
        XCTAssertNil(frozen.gradFn)
        XCTAssertNil(a.detach().gradFn)

        let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 3)
        let w = Tensor([[[[3, 4, 5], [1, 2, 5], [1, 4, 5]]]], dtype: .float32)
        let bias = Tensor([0], dtype: .float32)
        conv.weight = Parameter(w)
        conv.bias = Parameter(bias)
        let image = Tensor([[[[2, 2, 1, 3], [4, 3, 1, 2], [1, 2, 2, 2], [1, 1, 2, 4]]]], dtype: .float32)
        let y = conv(image)
        XCTAssertEqual(y.gradFn?.name, "ConvolutionBackward0")
        let same = conv2d(image, w, bias, stride: 1, padding: 0, dilation: 1)
        XCTAssertEqual(same.scalars, y.scalars)
        let loss = y.sum()
        loss.backward()
        XCTAssertEqual(loss.description, "tensor(240., grad_fn=<SumBackward0>)")
        XCTAssertEqual(conv.bias?.grad?.scalars, [4])
    }
}
