import Foundation
import XCTest
import Autograd

/// LSTM, GRU, RNN, their cells and a character LSTM against PyTorch
/// (Fixtures/rnn.json, made by Scripts/fixtures/make_rnn_fixtures.py): PyTorch's weights
/// are loaded by state-dict name, then the outputs, final states and the gradients of
/// every parameter, input and initial state are compared, in float32 (relative 1e-4) and
/// float64 (relative 1e-10).
final class RecurrentFixtureTests: XCTestCase {
    struct Fixtures: Decodable {
        let cases: [Case]
        let names: [String: Names]
    }

    struct Names: Decodable {
        let repr: String
        let stateDict: [String]
        enum CodingKeys: String, CodingKey { case repr, stateDict = "state_dict" }
    }

    struct Config: Decodable {
        let inputSize: Int?, hiddenSize: Int, numLayers: Int?, bias: Bool?, batchFirst: Bool?, bidirectional: Bool?
        let nonlinearity: String?, vocabSize: Int?, embeddingDim: Int?
        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size", hiddenSize = "hidden_size", numLayers = "num_layers", bias
            case batchFirst = "batch_first", bidirectional, nonlinearity, vocabSize = "vocab_size"
            case embeddingDim = "embedding_dim"
        }
    }

    struct Case: Decodable {
        let name: String, kind: String, dtype: String, config: Config
        let state: [String: TensorFixture]
        let input: TensorFixture, h0: TensorFixture?, c0: TensorFixture?, targets: TensorFixture?
        let outputs: [String: TensorFixture], upstream: [String: TensorFixture]?
        let grads: [String: TensorFixture], inputGrads: [String: TensorFixture]
        enum CodingKeys: String, CodingKey {
            case name, kind, dtype, config, state, input, h0, c0, targets, outputs, upstream, grads
            case inputGrads = "input_grads"
        }

        var dataType: DType { dtype == "float64" ? .float64 : .float32 }

        /// A fixture tensor in this case's dtype (int64 where the fixture says so).
        func tensor(_ fixture: TensorFixture, requiresGrad: Bool = false) -> Tensor {
            if fixture.dtype == "int64" { return fixture.tensor() }
            return Tensor(NDArray(shape: fixture.shape, doubles: fixture.values, dtype: dataType), requiresGrad: requiresGrad)
        }
    }

    static let fixtures: Fixtures = {
        let url = Bundle.module.url(forResource: "rnn", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()

    /// `actual` equals `expected` within `tolerance` relative to the larger of 1 and the
    /// expected tensor's largest magnitude.
    private func assertClose(_ actual: Tensor?, _ expected: TensorFixture, tolerance: Double, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else { return XCTFail("\(message): missing", file: file, line: line) }
        XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
        let scale = Swift.max(expected.values.map(Swift.abs).max() ?? 1, 1)
        var worst = 0.0
        for (a, e) in zip(actual.asArray(Double.self), expected.values) { worst = Swift.max(worst, Swift.abs(a - e)) }
        XCTAssertLessThanOrEqual(worst, tolerance * scale, "\(message): largest difference \(worst)", file: file, line: line)
    }

    /// Builds the module of `fixture` with PyTorch's weights and runs it; returns the
    /// module, the outputs by fixture name and the leaves (input and initial states).
    private func run(_ fixture: Case) throws -> (Module, [String: Tensor], [String: Tensor]) {
        let config = fixture.config, dtype = fixture.dataType
        let (layers, bias) = (config.numLayers ?? 1, config.bias ?? true)
        let (batchFirst, bidirectional) = (config.batchFirst ?? false, config.bidirectional ?? false)
        let relu = config.nonlinearity == "relu"
        var leaves = ["input": fixture.tensor(fixture.input, requiresGrad: fixture.kind != "char_lstm")]
        if let h0 = fixture.h0 { leaves["h0"] = fixture.tensor(h0, requiresGrad: true) }
        if let c0 = fixture.c0 { leaves["c0"] = fixture.tensor(c0, requiresGrad: true) }
        let input = leaves["input"]!
        let module: Module
        var outputs: [String: Tensor] = [:]
        let inputSize = config.inputSize ?? 0, hiddenSize = config.hiddenSize
        switch fixture.kind {
        case "lstm":
            let lstm = LSTM(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: layers, bias: bias,
                            batchFirst: batchFirst, bidirectional: bidirectional, dtype: dtype)
            try load(lstm, fixture)
            let state = leaves["h0"].map { ($0, leaves["c0"]!) }
            let (output, (h, c)) = lstm(input, state)
            (module, outputs) = (lstm, ["output": output, "h": h, "c": c])
        case "gru", "rnn":
            let network: RNNBase = fixture.kind == "gru"
                ? GRU(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: layers, bias: bias, batchFirst: batchFirst,
                      bidirectional: bidirectional, dtype: dtype)
                : RNN(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: layers, nonlinearity: relu ? .relu : .tanh,
                      bias: bias, batchFirst: batchFirst, bidirectional: bidirectional, dtype: dtype)
            try load(network, fixture)
            let (output, h) = (network as? GRU).map { $0(input, leaves["h0"]) } ?? (network as! RNN)(input, leaves["h0"])
            (module, outputs) = (network, ["output": output, "h": h])
        case "lstm_cell":
            let cell = LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
            try load(cell, fixture)
            let (h, c) = cell(input, leaves["h0"].map { ($0, leaves["c0"]!) })
            (module, outputs) = (cell, ["h": h, "c": c])
        case "gru_cell":
            let cell = GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
            try load(cell, fixture)
            (module, outputs) = (cell, ["h": cell(input, leaves["h0"])])
        case "rnn_cell":
            let cell = RNNCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, nonlinearity: relu ? .relu : .tanh,
                               dtype: dtype)
            try load(cell, fixture)
            (module, outputs) = (cell, ["h": cell(input, leaves["h0"])])
        case "char_lstm":
            let vocab = try XCTUnwrap(config.vocabSize)
            let model = CharLSTM(vocabSize: vocab, embeddingDim: try XCTUnwrap(config.embeddingDim),
                                 hiddenSize: hiddenSize, numLayers: layers)
            try load(model, fixture)
            let logits = model(input)
            let targets = fixture.tensor(try XCTUnwrap(fixture.targets))
            let loss = crossEntropy(logits.reshape([-1, vocab]), targets.reshape([-1]))
            (module, outputs) = (model, ["logits": logits, "loss": loss])
        default:
            throw XCTSkip("unknown kind \(fixture.kind)")
        }
        return (module, outputs, leaves)
    }

    private func load(_ module: Module, _ fixture: Case) throws {
        try module.loadStateDict(fixture.state.mapValues { fixture.tensor($0) })
    }

    func testEveryCaseMatchesPyTorch() throws {
        XCTAssertEqual(Self.fixtures.cases.count, 20)
        for fixture in Self.fixtures.cases {
            let tolerance = fixture.dataType == .float64 ? 1e-10 : 1e-4
            let (module, outputs, leaves) = try run(fixture)
            for (name, expected) in fixture.outputs {
                assertClose(outputs[name], expected, tolerance: tolerance, "\(fixture.name): \(name)")
            }
            if fixture.kind == "char_lstm" {
                outputs["loss"]!.backward()
            } else {
                let upstream = try XCTUnwrap(fixture.upstream)
                let terms = outputs.map { name, value in (value * fixture.tensor(upstream[name]!)).sum() }
                terms.dropFirst().reduce(terms[0], +).backward()
            }
            let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.parameter) })
            XCTAssertEqual(Set(parameters.keys), Set(fixture.grads.keys), fixture.name)
            for (name, expected) in fixture.grads {
                assertClose(parameters[name]?.grad, expected, tolerance: tolerance, "\(fixture.name): grad of \(name)")
            }
            for (name, expected) in fixture.inputGrads {
                assertClose(leaves[name]?.grad, expected, tolerance: tolerance, "\(fixture.name): grad of \(name)")
            }
        }
    }

    /// The recorded backward (the rule as tensor ops, used for higher derivatives) gives
    /// the fused kernel's first derivatives.
    func testRecordedBackwardMatchesTheFusedKernel() throws {
        for fixture in Self.fixtures.cases where ["lstm", "gru", "rnn", "lstm_cell", "gru_cell"].contains(fixture.kind) {
            let (module, outputs, leaves) = try run(fixture)
            let upstream = try XCTUnwrap(fixture.upstream)
            let terms = outputs.map { name, value in (value * fixture.tensor(upstream[name]!)).sum() }
            let loss = terms.dropFirst().reduce(terms[0], +)
            let inputs = module.parameters() + Array(leaves.values)
            let recorded = grad(outputs: [loss], inputs: inputs, retainGraph: true, createGraph: true)
            let fused = grad(outputs: [loss], inputs: inputs)
            let tolerance = fixture.dataType == .float64 ? 1e-12 : 1e-5
            for (a, b) in zip(recorded, fused) {
                let (x, y) = (try XCTUnwrap(a).asArray(Double.self), try XCTUnwrap(b).asArray(Double.self))
                let scale = Swift.max(y.map(Swift.abs).max() ?? 1, 1)
                for (p, q) in zip(x, y) { XCTAssertEqual(p, q, accuracy: tolerance * scale, fixture.name) }
            }
        }
    }

    func testNamesAndReprMatchPyTorch() {
        let names = Self.fixtures.names
        let modules: [String: Module] = [
            "lstm": LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true),
            "gru": GRU(inputSize: 3, hiddenSize: 4, bias: false),
            "rnn": RNN(inputSize: 3, hiddenSize: 4, numLayers: 3),
            "lstm_cell": LSTMCell(inputSize: 3, hiddenSize: 4),
            "gru_cell": GRUCell(inputSize: 3, hiddenSize: 4, bias: false),
            "rnn_cell": RNNCell(inputSize: 3, hiddenSize: 4),
            "char_lstm": CharLSTM(vocabSize: 65),
        ]
        for (kind, module) in modules {
            XCTAssertEqual(module.stateDict().map(\.name), names[kind]?.stateDict, kind)
        }
        XCTAssertEqual(LSTM(inputSize: 64, hiddenSize: 256, numLayers: 2, batchFirst: true, dropout: 0.1,
                            bidirectional: true).description, names["lstm"]?.repr)
        XCTAssertEqual(GRU(inputSize: 3, hiddenSize: 4, bias: false).description, names["gru"]?.repr)
        XCTAssertEqual(RNN(inputSize: 3, hiddenSize: 4, numLayers: 3, nonlinearity: .relu).description, names["rnn"]?.repr)
        XCTAssertEqual(LSTMCell(inputSize: 3, hiddenSize: 4).description, names["lstm_cell"]?.repr)
        XCTAssertEqual(GRUCell(inputSize: 3, hiddenSize: 4, bias: false).description, names["gru_cell"]?.repr)
        XCTAssertEqual(RNNCell(inputSize: 3, hiddenSize: 4, nonlinearity: .relu).description, names["rnn_cell"]?.repr)
        XCTAssertEqual(CharLSTM(vocabSize: 65).description, names["char_lstm"]?.repr)
    }
}
