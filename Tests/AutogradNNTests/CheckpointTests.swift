import Foundation
import XCTest
import Autograd

/// The architecture of `Scripts/fixtures/make_safetensors_fixtures.py`'s `CheckpointNet`,
/// written as a PyTorch user would write it.
private final class CheckpointNet: Module {
    let featureExtractor = Sequential(
        Conv2d(inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4), ReLU(),
        MaxPool2d(kernelSize: 2))
    let classifier = Sequential(
        Flatten(), Linear(inFeatures: 64, outFeatures: 16), ReLU(), Dropout(p: 0.1), Linear(inFeatures: 16, outFeatures: 10))

    override func forward(_ input: Tensor) -> Tensor { classifier(featureExtractor(input)) }
}

/// Safetensors checkpoints, both ways with PyTorch, and what happens with damaged files.
final class CheckpointTests: XCTestCase {
    private struct Expected: Decodable {
        let input: TensorFixture, output: TensorFixture, stateDictKeys: [String]
    }

    private var fixtureURL: URL {
        Bundle.module.url(forResource: "pytorch_checkpoint", withExtension: "safetensors", subdirectory: "Fixtures")!
    }

    private func expected() throws -> Expected {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "pytorch_checkpoint", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    private func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("autograd-\(UUID().uuidString)-\(name)")
    }

    func testStateDictKeysAreTheOnesPyTorchHas() throws {
        XCTAssertEqual(CheckpointNet().stateDict().map(\.name), try expected().stateDictKeys)
    }

    func testACheckpointWrittenByPyTorchGivesPyTorchsPredictions() throws {
        let model = CheckpointNet()
        try model.load(from: fixtureURL)
        model.eval()
        let fixture = try expected()
        assertClose(model(fixture.input.tensor()), fixture.output, "logits")
        XCTAssertEqual(model.featureExtractor.namedBuffers().first { $0.name == "1.num_batches_tracked" }?.buffer.value.item(), 3)
    }

    func testACheckpointWrittenHereIsByteForByteWhatPyTorchWrites() throws {
        let model = CheckpointNet()
        try model.load(from: fixtureURL)
        let saved = temporaryFile("model.safetensors")
        defer { try? FileManager.default.removeItem(at: saved) }
        try model.save(to: saved)
        XCTAssertEqual(try Data(contentsOf: saved), try Data(contentsOf: fixtureURL))
    }

    func testRoundTripKeepsValuesMetadataAndIntegerBuffers() throws {
        let model = CheckpointNet()
        let saved = temporaryFile("round-trip.safetensors")
        defer { try? FileManager.default.removeItem(at: saved) }
        model.featureExtractor.train()
        _ = model(Tensor.uniform([2, 1, 8, 8]))
        try model.save(to: saved, metadata: ["model": "checkpoint-net"])
        let file = try Safetensors.read(from: saved)
        XCTAssertEqual(file.metadata, ["model": "checkpoint-net"])
        XCTAssertEqual(file.tensors["feature_extractor.1.num_batches_tracked"]?.dtype, .int64)
        let copy = CheckpointNet()
        XCTAssertEqual(try copy.load(from: saved), ["model": "checkpoint-net"])
        for (original, loaded) in zip(model.stateDict(), copy.stateDict()) {
            XCTAssertEqual(original.tensor.scalars, loaded.tensor.scalars, original.name)
        }
    }

    func testDamagedFilesThrowClearErrorsAndLeaveTheModelUnchanged() throws {
        let good = [UInt8](try Data(contentsOf: fixtureURL))
        let headerLength = Int(good[0]) | Int(good[1]) << 8
        var badJSON = good
        badJSON[8] = UInt8(ascii: "[")
        var hugeHeader = good
        hugeHeader[6] = 1
        var badDType = good
        let f32 = Array("\"F32\"".utf8)
        let at = try XCTUnwrap((8..<(8 + headerLength)).first { Array(good[$0..<($0 + f32.count)]) == f32 })
        badDType.replaceSubrange(at..<(at + f32.count), with: Array("\"F99\"".utf8))
        let cases: [(String, [UInt8], (CheckpointError) -> Bool)] = [
            ("empty", [], { if case .truncated = $0 { true } else { false } }),
            ("inside the header", Array(good[..<(8 + headerLength / 2)]), { if case .truncated = $0 { true } else { false } }),
            ("inside the data", Array(good.dropLast(10)), { if case .truncated = $0 { true } else { false } }),
            ("one byte short", Array(good.dropLast()), { if case .truncated = $0 { true } else { false } }),
            ("header length past the end", hugeHeader, { if case .truncated = $0 { true } else { false } }),
            ("not a JSON object", badJSON, { if case .invalidHeader = $0 { true } else { false } }),
            ("extra bytes", good + [0, 0, 0, 0], { if case .invalidHeader = $0 { true } else { false } }),
            ("unknown dtype", badDType, { if case .unsupportedDType = $0 { true } else { false } }),
            ("overflowing shape", headerOnly(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}"#),
             { if case .invalidEntry("w", "shape", _) = $0 { true } else { false } }),
            ("negative offset", headerOnly(#"{"w":{"dtype":"F32","shape":[],"data_offsets":[-4,0]}}"#),
             { if case .invalidEntry("w", "data_offsets", _) = $0 { true } else { false } }),
        ]
        let model = CheckpointNet()
        let before = model.stateDict().map(\.tensor.scalars)
        for (name, bytes, isExpected) in cases {
            let url = temporaryFile("damaged.safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try Data(bytes).write(to: url)
            do {
                try model.load(from: url)
                XCTFail("\(name): loading succeeded")
            } catch {
                XCTAssertTrue(isExpected(error), "\(name): unexpected error \(error)")
                XCTAssertFalse(error.description.contains("\n"), "\(name): the message is one line")
            }
            XCTAssertEqual(model.stateDict().map(\.tensor.scalars), before, "\(name): the model changed")
        }
    }

    /// A file made of `header` and four data bytes.
    private func headerOnly(_ header: String) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + [0, 0, 0, 0]
    }

    func testMismatchedArchitecturesNameTheProblem() throws {
        let small = Sequential(Linear(inFeatures: 2, outFeatures: 3))
        let url = temporaryFile("linear.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try small.save(to: url)
        XCTAssertThrowsError(try Sequential(Linear(inFeatures: 2, outFeatures: 4)).load(from: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .shapeMismatch(name: "0.weight", checkpoint: [3, 2], model: [4, 2]))
        }
        XCTAssertThrowsError(try Sequential(Linear(inFeatures: 2, outFeatures: 3, bias: false)).load(from: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .unexpectedKeys(["0.bias"]))
        }
        XCTAssertThrowsError(try Sequential(Linear(inFeatures: 2, outFeatures: 3), ReLU(), Linear(inFeatures: 3, outFeatures: 1)).load(from: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .missingKeys(["2.weight", "2.bias"]))
        }
        let partial = Sequential(Linear(inFeatures: 2, outFeatures: 3), ReLU(), Linear(inFeatures: 3, outFeatures: 1))
        let result = try partial.loadStateDict(Safetensors.read(from: url).tensors.mapValues(\.tensor), strict: false)
        XCTAssertEqual(result.missingKeys, ["2.weight", "2.bias"])
        XCTAssertEqual(partial.stateDict()[0].tensor.scalars, small.stateDict()[0].tensor.scalars)
        XCTAssertThrowsError(try small.load(from: temporaryFile("missing.safetensors"))) { error in
            guard case .unreadable = error as? CheckpointError else { return XCTFail("\(error)") }
        }
    }

    func testOtherDTypesAreReadAndWritten() throws {
        let values: [Float] = [0, 1, -2.5, 65504, 1e-7, 3.140625]
        for dtype in [SafetensorsDType.float64, .float16, .bfloat16] {
            let bytes = Safetensors.encode([SafetensorsEntry(name: "x", tensor: Tensor(values), dtype: dtype)])
            let decoded = try XCTUnwrap(Safetensors.decode(bytes).tensors["x"])
            XCTAssertEqual(decoded.dtype, dtype)
            for (a, e) in zip(decoded.tensor.scalars, values) { XCTAssertEqual(a, e, accuracy: abs(e) * 1e-2 + 1e-7, "\(dtype)") }
        }
        let integers = Safetensors.encode([SafetensorsEntry(name: "i", tensor: Tensor([-3, 0, 7]), dtype: .int32)])
        XCTAssertEqual(try Safetensors.decode(integers).tensors["i"]?.tensor.scalars, [-3, 0, 7])
    }

    func testTensorsKeepTheirDTypeThroughAFile() throws {
        let tensors: [String: Tensor] = [
            "f64": Tensor([0.1, -2.5e-300, 1e300], dtype: .float64),
            "i64": Tensor([Int.min, -1, Int.max]),
            "bool": Tensor([true, false, true]),
            "f16": Tensor([0.1, 65504, -3], dtype: .float16),
            "bf16": Tensor([0.1, 3.14159, -2.5], dtype: .bfloat16),
            "i8": Tensor([-128, 127], dtype: .int8),
            "u8": Tensor([0, 255], dtype: .uint8),
            "f32": Tensor([1.5, -0.25]),
        ]
        let bytes = Safetensors.encode(tensors.map { SafetensorsEntry(name: $0.key, tensor: $0.value) })
        let decoded = try Safetensors.decode(bytes).tensors
        for (name, tensor) in tensors {
            let loaded = try XCTUnwrap(decoded[name]?.tensor, name)
            XCTAssertEqual(loaded.dtype, tensor.dtype, name)
            XCTAssertEqual(loaded.asArray(Double.self), tensor.asArray(Double.self), name)
            XCTAssertEqual(loaded.asArray(Int.self), tensor.asArray(Int.self), name)
        }
        XCTAssertEqual(decoded["f64"]?.dtype, .float64)
        XCTAssertEqual(decoded["bool"]?.dtype, .bool)
    }

    func testBatchNormCountsBatchesInInt64AsPyTorchSavesIt() throws {
        let norm = BatchNorm1d(numFeatures: 2)
        _ = norm(Tensor([[1.0, 2.0], [3.0, 5.0]]))
        let counter = try XCTUnwrap(norm.stateDict().first { $0.name == "num_batches_tracked" })
        XCTAssertEqual(counter.tensor.dtype, .int64)
        XCTAssertEqual(counter.tensor.asArray(Int.self), [1])
        let file = temporaryFile("norm.safetensors")
        try norm.save(to: file)
        XCTAssertEqual(try Safetensors.read(from: file).tensors["num_batches_tracked"]?.dtype, .int64)
    }
}
