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

    /// The dtype contract, line by line.
    func testTheDTypeContractCompilesAndBehaves() {
        XCTAssertEqual(Tensor([1, 2, 3]).dtype, .int64)
        XCTAssertEqual(Tensor([[1, 20], [300, -4]]).dtype, .int64)
        XCTAssertEqual(Tensor([true, false, true]).dtype, .bool)
        XCTAssertEqual(Tensor([2.0, 3.5]).dtype, .float32)
        let precise = Tensor([1.5, 2.0], dtype: .float64)
        XCTAssertEqual(precise.asArray(Double.self), [1.5, 2.0])
        XCTAssertEqual(Tensor([1, 2, 3], dtype: .float32).dtype, .float32)
        XCTAssertEqual(Tensor(0.5).dtype, .float32)
        XCTAssertEqual(Tensor(0.5).to(.float64).dtype, .float64)
        let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
        XCTAssertTrue(x.requiresGrad)
        XCTAssertEqual(x.to(.int32).dtype, .int32)
        XCTAssertEqual(x.to(.float16).dtype, .float16)
        XCTAssertEqual(x.to(.float32).gradFn?.name, "ToCopyBackward0")

        let y = Tensor([2.0, 2.0], dtype: .float64)
        let comparisons = [x .== y, x .!= y, x .< y, x .<= y, x .> y, x .>= y, x .== 1, x .< 1.5]
        XCTAssertTrue(comparisons.allSatisfy { $0.dtype == .bool })
        XCTAssertEqual((x .< y).asArray(Bool.self), [true, false])
        let a = Tensor([true, false]), b = Tensor([true, true])
        XCTAssertEqual((a .& b).asArray(Bool.self), [true, false])
        XCTAssertEqual((a .| b).asArray(Bool.self), [true, true])
        XCTAssertEqual((a .^ b).asArray(Bool.self), [false, true])
        XCTAssertEqual((.!a).asArray(Bool.self), [false, true])
        XCTAssertEqual(Tensor.where(a, x, y).asArray(Double.self), [1, 2])
        let scores = Tensor([[0.5, 0.1], [0.2, 0.9]])
        let causal = Tensor([[false, true], [false, false]])
        XCTAssertEqual(scores.maskedFill(causal, -1e9).asArray(Float.self), [0.5, -1e9, 0.2, 0.9])
        let inPlace = Tensor([[0.5, 0.1], [0.2, 0.9]])
        inPlace.maskedFillInPlace(causal, -1e9)
        XCTAssertEqual(inPlace.asArray(Float.self), [0.5, -1e9, 0.2, 0.9])
        let odd = Tensor([1.0, .nan, .infinity])
        XCTAssertEqual(odd.isnan().asArray(Bool.self), [false, true, false])
        XCTAssertEqual(odd.isinf().asArray(Bool.self), [false, false, true])
        XCTAssertEqual(odd.isfinite().asArray(Bool.self), [true, false, false])
        XCTAssertEqual(scores.argmax().asArray(Int.self), [3])
        XCTAssertEqual(scores.argmax(dim: 1).asArray(Int.self), [0, 1])
        XCTAssertEqual(scores.max(dim: 0).indices.dtype, .int64)
        XCTAssertEqual(scores.asArray(Float.self).count, 4)
        XCTAssertEqual(Tensor([1, 2]).asArray(Int.self), [1, 2])
        let logits = Tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requiresGrad: true)
        let loss = crossEntropy(logits, Tensor([0, 2]))
        XCTAssertEqual(crossEntropy(logits, Tensor([[1.0, 0, 0], [0, 0, 1.0]])).item(), loss.item(), accuracy: 1e-6)
        // An accuracy line, as PyTorch code writes it.
        let correct = (logits.argmax(dim: 1) .== Tensor([0, 2])).sum()
        XCTAssertEqual(correct.dtype, .int64)
        XCTAssertEqual(correct.item(), 2)
        XCTAssertEqual(Tensor.zeros([2], dtype: .float64).dtype, .float64)
        XCTAssertEqual(Tensor.ones([2], dtype: .int32).dtype, .int32)
        XCTAssertEqual(Tensor([1, 2, 3]).scalars, [1, 2, 3])
        let counts = Tensor([1, 2])
        counts += 1
        counts *= 3
        XCTAssertEqual(counts.dtype, .int64)
        XCTAssertEqual(counts.asArray(Int.self), [6, 9])
        let halves = Tensor([1.0, 2.0], dtype: .float16)
        halves += Tensor([0.5, 0.25], dtype: .float64)   // same category: allowed, stored as float16
        XCTAssertEqual(halves.dtype, .float16)
        XCTAssertEqual(halves.asArray(Double.self), [1.5, 2.25])
    }

    /// The dtype example of README.md prints what the README shows.
    func testTheReadmeDTypeExamplePrintsAsShown() {
        let logits = Tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
        let labels = Tensor([0, 2])
        let correct = (logits.argmax(dim: 1) .== labels).sum()
        XCTAssertEqual(correct.description, "tensor(2)")
        let causal = Tensor([[false, true], [false, false]])
        let scores = Tensor([[0.5, 0.1], [0.2, 0.9]], dtype: .float64)
        XCTAssertEqual(scores.maskedFill(causal, -.infinity).description,
                       "tensor([[0.5000,   -inf],\n        [0.2000, 0.9000]], dtype=torch.float64)")
    }
}
