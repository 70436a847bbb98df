import XCTest
import AutogradCore
import AutogradEngine

/// The attention kernel reads query, key and value in place when their rows are contiguous
/// runs (heads split off one projection and transposed, as GPT does): outputs and every
/// gradient equal those of contiguous copies of the same values, bit for bit.
final class AttentionStridedInputTests: XCTestCase {
    /// A deterministic `[count]` array of values in [-1, 1).
    private func values(_ count: Int, seed: UInt64) -> [Double] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
    }

    /// q, k, v split off a `[b, t, 3c]` projection into `[b, heads, t, c / heads]` views.
    private func heads(_ projection: Tensor, heads: Int) -> [Tensor] {
        let (b, t, c) = (projection.shape[0], projection.shape[1], projection.shape[2] / 3)
        return projection.split(c, dim: 2).map { $0.reshape([b, t, heads, c / heads]).transpose(1, 2) }
    }

    private func run(contiguous: Bool, dtype: DType, causal: Bool) -> (output: [Double], grad: [Double]) {
        let (b, t, c, h) = (2, 70, 24, 3)   // 70 rows: two query and key blocks
        let projection = Tensor(NDArray(shape: [b, t, 3 * c], doubles: values(b * t * 3 * c, seed: 3), dtype: dtype),
                                requiresGrad: true)
        var qkv = heads(projection * 1, heads: h)
        XCTAssertFalse(qkv[0].array.layout.isContiguous)
        if contiguous { qkv = qkv.map { $0.contiguous() } }
        let y = Tensor.scaledDotProductAttention(qkv[0], qkv[1], qkv[2], isCausal: causal)
        let weights = Tensor(NDArray(shape: y.shape, doubles: values(y.count, seed: 9), dtype: dtype))
        (y * weights).sum().backward()
        return (y.asArray(Double.self), projection.grad!.asArray(Double.self))
    }

    func testStridedHeadsGiveTheSameBitsAsContiguousCopies() {
        for dtype in [DType.float32, .float64] {
            for causal in [false, true] {
                let strided = run(contiguous: false, dtype: dtype, causal: causal)
                let copied = run(contiguous: true, dtype: dtype, causal: causal)
                XCTAssertEqual(strided.output, copied.output, "\(dtype) causal=\(causal)")
                XCTAssertEqual(strided.grad, copied.grad, "\(dtype) causal=\(causal)")
            }
        }
    }
}
