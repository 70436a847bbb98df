import Foundation
import XCTest
import AutogradCore
import AutogradEngine

/// Scaled dot-product attention against PyTorch (Fixtures/attention.json, made by
/// Scripts/fixtures/make_attention_fixtures.py): outputs, the gradients of query, key and
/// value for a given output gradient, and the node name (the blocked kernel's, or the
/// math path's where PyTorch takes it), for masks, causality, 3-D inputs,
/// broadcast batches and sequences longer than one block, in float32 and float64.
final class AttentionFixtureTests: XCTestCase {
    private func cases() throws -> [[String: Any]] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "attention", withExtension: "json", subdirectory: "Fixtures"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(root["cases"] as? [[String: Any]])
    }

    private func tensor(_ fixture: [String: Any], _ key: String, dtype: DType, requiresGrad: Bool = false) throws -> Tensor {
        let shape = try XCTUnwrap(fixture["\(key)_shape"] as? [Int])
        let values = try XCTUnwrap(fixture[key] as? [Double])
        return Tensor(NDArray(shape: shape, doubles: values, dtype: dtype), requiresGrad: requiresGrad)
    }

    private func assertClose(_ actual: Tensor?, _ expected: Any?, tolerance: Double, _ message: String) throws {
        let values = try XCTUnwrap(actual, message).asArray(Double.self)
        let reference = try XCTUnwrap(expected as? [Double], message)
        XCTAssertEqual(values.count, reference.count, message)
        let scale = reference.map(Swift.abs).max() ?? 1
        for (a, e) in zip(values, reference) {
            XCTAssertEqual(a, e, accuracy: tolerance * Swift.max(scale, 1), "\(message): \(a) vs \(e)")
        }
    }

    func testOutputsGradientsAndNamesMatchPyTorch() throws {
        for fixture in try cases() {
            let name = try XCTUnwrap(fixture["name"] as? String)
            let dtype = try XCTUnwrap(DType(rawValue: try XCTUnwrap(fixture["dtype"] as? String)))
            let tolerance = dtype == .float64 ? 1e-12 : 2e-5
            let (q, k, v) = (try tensor(fixture, "q", dtype: dtype, requiresGrad: true),
                             try tensor(fixture, "k", dtype: dtype, requiresGrad: true),
                             try tensor(fixture, "v", dtype: dtype, requiresGrad: true))
            var mask: Tensor?
            if let maskDType = fixture["mask_dtype"] as? String {
                let raw = try tensor(fixture, "mask", dtype: .float32)
                mask = maskDType == "bool" ? raw .!= 0 : raw
            }
            let output = Tensor.scaledDotProductAttention(
                q, k, v, mask: mask, isCausal: fixture["causal"] as? Bool ?? false, scale: fixture["scale"] as? Double)
            XCTAssertEqual(output.shape, fixture["output_shape"] as? [Int], name)
            XCTAssertEqual(output.dtype, dtype, name)
            XCTAssertEqual(output.gradFn?.name, fixture["grad_fn"] as? String, name)
            try assertClose(output, fixture["output"], tolerance: tolerance, "\(name) output")
            let outputShape = try XCTUnwrap(fixture["output_shape"] as? [Int])
            let gradient = Tensor(NDArray(shape: outputShape, doubles: try XCTUnwrap(fixture["grad_output"] as? [Double]), dtype: dtype))
            output.backward(gradient: gradient)
            try assertClose(q.grad, fixture["grad_q"], tolerance: tolerance, "\(name) dq")
            try assertClose(k.grad, fixture["grad_k"], tolerance: tolerance, "\(name) dk")
            try assertClose(v.grad, fixture["grad_v"], tolerance: tolerance, "\(name) dv")
        }
    }
}
