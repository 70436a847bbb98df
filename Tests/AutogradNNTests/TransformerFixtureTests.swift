import Foundation
import XCTest
import Autograd

/// MultiheadAttention and the transformer layers against PyTorch
/// (Fixtures/transformer.json, made by Scripts/fixtures/make_transformer_fixtures.py):
/// PyTorch's weights are loaded by state-dict name, then outputs, attention weights and
/// the gradients of every parameter and input are compared.
final class TransformerFixtureTests: XCTestCase {
    private func cases() throws -> [[String: Any]] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "transformer", withExtension: "json", subdirectory: "Fixtures"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(root["cases"] as? [[String: Any]])
    }

    private func tensor(_ entry: Any?, dtype: DType = .float32) throws -> Tensor {
        let fields = try XCTUnwrap(entry as? [String: Any])
        let shape = try XCTUnwrap(fields["shape"] as? [Int]), values = try XCTUnwrap(fields["values"] as? [Double])
        return Tensor(NDArray(shape: shape, doubles: values, dtype: dtype))
    }

    private func assertClose(_ actual: Tensor?, _ expected: Any?, _ message: String) throws {
        let reference = try tensor(expected)
        let values = try XCTUnwrap(actual, message)
        XCTAssertEqual(values.shape, reference.shape, message)
        let scale = Swift.max(reference.asArray(Double.self).map(Swift.abs).max() ?? 1, 1)
        for (a, e) in zip(values.asArray(Double.self), reference.asArray(Double.self)) {
            XCTAssertEqual(a, e, accuracy: 1e-4 * scale, "\(message): \(a) vs \(e)")
        }
    }

    private func mask(_ fixture: [String: Any], _ name: String) throws -> Tensor? {
        guard let entry = (fixture["masks"] as? [String: Any])?[name] as? [String: Any] else { return nil }
        let values = try tensor(entry)
        return entry["dtype"] as? String == "bool" ? values .!= 0 : values
    }

    private func makeModule(_ config: [String: Any]) throws -> (Module, ([Tensor]) -> (Tensor, Tensor?)) {
        let kind = try XCTUnwrap(config["kind"] as? String)
        let (dModel, heads) = (config["d_model"] as? Int ?? 0, config["nhead"] as? Int ?? 0)
        let batchFirst = config["batch_first"] as? Bool ?? false
        let activation = TransformerActivation(rawValue: config["activation"] as? String ?? "relu") ?? .relu
        func encoderLayer() -> TransformerEncoderLayer {
            TransformerEncoderLayer(
                dModel: dModel, nhead: heads, dimFeedforward: config["dim_feedforward"] as? Int ?? 0, dropout: 0,
                activation: activation, batchFirst: batchFirst, normFirst: config["norm_first"] as? Bool ?? false)
        }
        switch kind {
        case "mha":
            let attention = MultiheadAttention(embedDim: try XCTUnwrap(config["embed_dim"] as? Int),
                                               numHeads: try XCTUnwrap(config["num_heads"] as? Int), batchFirst: batchFirst)
            return (attention, { _ in (Tensor(0.0), nil) })
        case "encoder_layer":
            let layer = encoderLayer()
            let causal = config["causal"] as? Bool ?? false
            return (layer, { x in
                let length = x[0].shape[1]
                let above = (0..<length).map { i in (0..<length).map { $0 > i } }
                let mask = causal ? Tensor.zeros([length, length]).maskedFill(Tensor(above), -.infinity) : nil
                return (layer(x[0], srcMask: mask, isCausal: causal), nil)
            })
        case "decoder_layer":
            let layer = TransformerDecoderLayer(
                dModel: dModel, nhead: heads, dimFeedforward: config["dim_feedforward"] as? Int ?? 0, dropout: 0,
                activation: activation, batchFirst: batchFirst)
            return (layer, { x in (layer(x[0], x[1]), nil) })
        default:
            let encoder = TransformerEncoder(encoderLayer(), numLayers: config["num_layers"] as? Int ?? 1,
                                             norm: LayerNorm(normalizedShape: [dModel]))
            return (encoder, { x in (encoder(x[0]), nil) })
        }
    }

    func testLayersMatchPyTorch() throws {
        for fixture in try cases() {
            let name = try XCTUnwrap(fixture["name"] as? String)
            let config = try XCTUnwrap(fixture["config"] as? [String: Any])
            var (module, call) = try makeModule(config)
            module.eval()
            let state = try XCTUnwrap(fixture["state"] as? [String: Any]).mapValues { try tensor($0) }
            try module.loadStateDict(state)
            let inputs = try XCTUnwrap(fixture["inputs"] as? [Any]).map { try tensor($0) }
            for input in inputs { input.requiresGrad = true }
            if let attention = module as? MultiheadAttention {
                let keyPadding = try mask(fixture, "key_padding_mask"), attnMask = try mask(fixture, "attn_mask")
                let (q, k, v) = inputs.count == 1 ? (inputs[0], inputs[0], inputs[0]) : (inputs[0], inputs[1], inputs[2])
                call = { _ in
                    let result = attention(q, k, v, keyPaddingMask: keyPadding, needWeights: config["need_weights"] as? Bool ?? true,
                                           attnMask: attnMask, averageAttnWeights: config["average"] as? Bool ?? true)
                    return (result.output, result.weights)
                }
            }
            let (output, weights) = call(inputs)
            try assertClose(output, fixture["output"], "\(name) output")
            if fixture["weights"] != nil { try assertClose(weights, fixture["weights"], "\(name) weights") }
            (output * (try tensor(fixture["grad_output"]))).sum().backward()
            for (index, input) in inputs.enumerated() {
                try assertClose(input.grad, (fixture["input_grads"] as? [Any])?[index], "\(name) input \(index) grad")
            }
            let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.parameter) })
            let expected = try XCTUnwrap(fixture["parameter_grads"] as? [String: Any])
            XCTAssertEqual(Set(parameters.keys), Set(expected.keys), "\(name) parameter names")
            for (key, gradient) in expected { try assertClose(parameters[key]?.grad, gradient, "\(name) \(key) grad") }
        }
    }
}
