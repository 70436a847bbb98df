import Foundation
import XCTest
import Autograd

/// Datasets, the data loader, the bundled digits, the gzip decoder and the MNIST reader.
final class DataTests: XCTestCase {
    private func fixture(_ name: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    private let numbers = TensorDataset(
        inputs: Tensor(shape: [10, 2], scalars: (0..<20).map(Float.init)),
        targets: Tensor((0..<10).map(Float.init)))

    func testBatchesInOrderWithTheLastPartialBatch() {
        let loader = DataLoader(numbers, batchSize: 4)
        XCTAssertEqual(loader.count, 3)
        let batches = Array(loader)
        XCTAssertEqual(batches.map(\.target.scalars), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        XCTAssertEqual(batches[2].input.shape, [2, 2])
        XCTAssertEqual(batches[2].input.scalars, [16, 17, 18, 19])
        let dropping = DataLoader(numbers, batchSize: 4, dropLast: true)
        XCTAssertEqual(dropping.count, 2)
        XCTAssertEqual(Array(dropping).count, 2)
    }

    func testABatchSizeNearIntMaxGivesOneBatchOfEverything() {
        let loader = DataLoader(numbers, batchSize: Int.max)
        XCTAssertEqual(loader.count, 1)
        XCTAssertEqual(Array(loader).map(\.target.count), [10])
        XCTAssertEqual(DataLoader(numbers, batchSize: Int.max, dropLast: true).count, 0)
    }

    func testShufflingIsSeededAndDiffersBetweenEpochs() {
        let loader = DataLoader(numbers, batchSize: 3, shuffle: true, generator: RandomGenerator(seed: 4))
        let first = loader.flatMap(\.target.scalars), second = loader.flatMap(\.target.scalars)
        XCTAssertEqual(first.sorted(), (0..<10).map(Float.init))
        XCTAssertNotEqual(first, second)
        let again = DataLoader(numbers, batchSize: 3, shuffle: true, generator: RandomGenerator(seed: 4))
        XCTAssertEqual(again.flatMap(\.target.scalars), first)
        // Inputs stay paired with their targets.
        for (input, target) in loader {
            XCTAssertEqual(input.scalars, target.scalars.flatMap { [2 * $0, 2 * $0 + 1] })
        }
    }

    func testRandomSplitIsDisjointAndCoversEverything() {
        let parts = randomSplit(numbers, fractions: [0.7, 0.3], generator: RandomGenerator(seed: 1))
        XCTAssertEqual(parts.map(\.count), [7, 3])
        XCTAssertEqual(Set(parts[0].indices).union(parts[1].indices), Set(0..<10))
        XCTAssertEqual(parts[1][0].target.item(), Float(parts[1].indices[0]))
        XCTAssertEqual(parts[1].batch([0, 2]).target.scalars, [parts[1].indices[0], parts[1].indices[2]].map(Float.init))
    }

    func testTheBundledDigitsLoad() throws {
        let digits = try Digits.load()
        XCTAssertEqual(digits.count, 1797)
        XCTAssertEqual(digits.inputs.shape, [1797, 1, 8, 8])
        XCTAssertEqual(Set(digits.targets.scalars), Set((0..<10).map(Float.init)))
        XCTAssertTrue(digits.inputs.scalars.allSatisfy { (0...1).contains($0) })
        // The first row of the file: a zero.
        XCTAssertEqual(digits[0].target.item(), 0)
        XCTAssertEqual(Array(digits[0].input.scalars.prefix(8)), [0, 0, 5, 13, 9, 1, 0, 0].map { $0 / 16 })
        let (train, test) = try Digits.trainTestSplit()
        XCTAssertEqual([train.count, test.count], [1438, 359])
        XCTAssertEqual(try Digits.trainTestSplit().test.indices, test.indices)
    }

    private struct GzipCase: Decodable { let name: String, compressed: String, original: String }

    func testInflateMatchesPythonsGzip() throws {
        struct Cases: Decodable { let cases: [GzipCase] }
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: fixture("gzip.json"))).cases
        XCTAssertEqual(cases.count, 8)
        for fixture in cases {
            let compressed = [UInt8](Data(base64Encoded: fixture.compressed)!)
            XCTAssertTrue(Gzip.isCompressed(compressed))
            XCTAssertEqual(try Gzip.decompress(compressed), [UInt8](Data(base64Encoded: fixture.original)!), fixture.name)
        }
    }

    func testDamagedGzipThrows() throws {
        struct Cases: Decodable { let cases: [GzipCase] }
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: fixture("gzip.json"))).cases
        let good = [UInt8](Data(base64Encoded: cases.first { $0.name == "dynamic_huffman" }!.compressed)!)
        var flipped = good
        flipped[good.count / 2] ^= 0x10
        let damaged: [(String, [UInt8])] = [
            ("truncated", Array(good.prefix(good.count / 2))), ("flipped bit", flipped),
            ("bad magic", [0x1F, 0x8C] + good.dropFirst(2)), ("trailing garbage", good + [1, 2, 3]),
            ("no trailer", Array(good.dropLast(8))),
        ]
        for (name, bytes) in damaged {
            XCTAssertThrowsError(try Gzip.decompress(bytes, source: "x.gz"), name) { error in
                guard case .corrupted(let path, _) = error as? DataError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(path, "x.gz")
            }
        }
    }

    func testMNISTReadsIDXFilesRawAndCompressed() throws {
        struct Split: Decodable { let pixels: [Float], labels: [Float], count: Int }
        let expected = try JSONDecoder().decode([String: Split].self, from: Data(contentsOf: fixture("mnist/expected.json")))
        for (split, key) in [(MNIST.Split.train, "train"), (.test, "t10k")] {
            let data = try MNIST.load(directory: fixture("mnist"), split: split)
            let truth = try XCTUnwrap(expected[key])
            XCTAssertEqual(data.inputs.shape, [truth.count, 1, 3, 4])
            XCTAssertEqual(data.inputs.scalars, truth.pixels.map { $0 / 255 })
            XCTAssertEqual(data.targets.scalars, truth.labels)
        }
    }

    func testMNISTErrorsNameTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mnist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try MNIST.load(directory: directory, split: .test)) { error in
            guard case .fileNotFound(let path) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("t10k-images-idx3-ubyte[.gz]"))
        }
        try Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7]).write(to: directory.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Data([0, 0, 8, 1, 0, 0, 0, 2, 4, 2]).write(to: directory.appendingPathComponent("t10k-labels-idx1-ubyte"))
        XCTAssertThrowsError(try MNIST.load(directory: directory, split: .test)) { error in
            XCTAssertEqual((error as? DataError)?.description.contains("promises 2×1×1 = 2 values but the file holds 1 (it is truncated)"), true, "\(error)")
        }
    }
}
