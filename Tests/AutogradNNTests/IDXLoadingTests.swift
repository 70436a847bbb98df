import Foundation
import XCTest
import Autograd

/// MNIST's IDX files: images kept as bytes until a batch is made, and damaged or
/// inconsistent files refused at load time with messages naming the file and the numbers.
final class IDXLoadingTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The bytes of an IDX file of unsigned bytes.
    private func idx(_ dimensions: [Int], _ values: [UInt8], magic: [UInt8]? = nil) -> [UInt8] {
        (magic ?? [0, 0, 8, UInt8(dimensions.count)])
            + dimensions.flatMap { size in (0..<4).reversed().map { UInt8(truncatingIfNeeded: size >> (8 * $0)) } } + values
    }

    /// Writes `bytes` as `name` in the test's directory; returns its path.
    @discardableResult
    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Writes a split of `count` images of `rows`×`columns` (pixel `i` holds `i % 256`) and
    /// the given labels.
    private func writeSplit(_ prefix: String, count: Int, rows: Int, columns: Int, labels: [UInt8]) throws {
        try write("\(prefix)-images-idx3-ubyte", idx([count, rows, columns], (0..<(count * rows * columns)).map { UInt8($0 % 256) }))
        try write("\(prefix)-labels-idx1-ubyte", idx([labels.count], labels))
    }

    /// Asserts that loading `split` throws `.corrupted` for the file at `path` with `reason`.
    private func assertCorrupted(_ split: MNIST.Split, path: String, _ reason: String, classes: Int = 10,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try MNIST.load(directory: directory, split: split, classes: classes), file: file, line: line) { error in
            XCTAssertEqual(error as? DataError, .corrupted(path: path, reason: reason), file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "the message is one line", file: file, line: line)
        }
    }

    func testImagesStayBytesUntilABatchIsMade() throws {
        try writeSplit("t10k", count: 3, rows: 2, columns: 3, labels: [4, 0, 9])
        let data = try MNIST.load(directory: directory, split: .test)
        XCTAssertEqual(data.inputBytes, (0..<18).map(UInt8.init))
        XCTAssertEqual(data.inputShape, [3, 1, 2, 3])
        XCTAssertEqual(data.count, 3)
        let (images, labels) = data.batch([2, 0])
        XCTAssertEqual(images.shape, [2, 1, 2, 3])
        XCTAssertEqual(images.scalars, ((12..<18).map { $0 } + (0..<6).map { $0 }).map { Float($0) / 255 })
        XCTAssertEqual(labels.scalars, [9, 4])
        XCTAssertEqual(data[1].input.shape, [1, 2, 3])
        XCTAssertEqual(data[1].input.scalars, (6..<12).map { Float($0) / 255 })
        XCTAssertEqual(data.inputs.shape, [3, 1, 2, 3])
        XCTAssertEqual(Array(DataLoader(data, batchSize: 2)).map(\.input.shape), [[2, 1, 2, 3], [1, 1, 2, 3]])
        let dense = TensorDataset(inputs: Tensor(shape: [1, 1], scalars: [1]), targets: Tensor([0]))
        XCTAssertNil(dense.inputBytes)
        XCTAssertEqual(dense.inputShape, [1, 1])
    }

    func testTrainAndTestImageSizesMustAgree() throws {
        try writeSplit("train", count: 2, rows: 3, columns: 4, labels: [1, 2])
        try writeSplit("t10k", count: 2, rows: 4, columns: 4, labels: [1, 2])
        let trainPath = directory.appendingPathComponent("train-images-idx3-ubyte").path
        let testPath = directory.appendingPathComponent("t10k-images-idx3-ubyte").path
        XCTAssertThrowsError(try MNIST.load(directory: directory)) { error in
            XCTAssertEqual(error as? DataError, .corrupted(
                path: testPath, reason: "the test images are 4×4 pixels but the training images in \(trainPath) are 3×4"))
        }
        try writeSplit("t10k", count: 1, rows: 3, columns: 4, labels: [7])
        let (train, test) = try MNIST.load(directory: directory)
        XCTAssertEqual([train.count, test.count], [2, 1])
    }

    func testZeroSizedImagesAndEmptyFilesAreRefused() throws {
        let path = try write("t10k-images-idx3-ubyte", idx([2, 0, 28], []))
        try write("t10k-labels-idx1-ubyte", idx([2], [0, 1]))
        assertCorrupted(.test, path: path, "the images are 0×28 pixels; they need at least one row and one column")
        try write("t10k-images-idx3-ubyte", idx([2, 28, 0], []))
        assertCorrupted(.test, path: path, "the images are 28×0 pixels; they need at least one row and one column")
        try write("t10k-images-idx3-ubyte", idx([0, 28, 28], []))
        assertCorrupted(.test, path: path, "the file holds no images")
    }

    func testLabelsOutOfRangeAreRefused() throws {
        try writeSplit("t10k", count: 3, rows: 1, columns: 1, labels: [9, 0, 10])
        let labels = directory.appendingPathComponent("t10k-labels-idx1-ubyte").path
        assertCorrupted(.test, path: labels, "label 10 of example 2 is out of range for 10 classes (0...9)")
        XCTAssertEqual(try MNIST.load(directory: directory, split: .test, classes: 11).targets.scalars, [9, 0, 10])
        assertCorrupted(.test, path: labels, "label 9 of example 0 is out of range for 5 classes (0...4)", classes: 5)
    }

    func testImageAndLabelCountsMustAgree() throws {
        try writeSplit("t10k", count: 3, rows: 1, columns: 2, labels: [1, 2])
        let images = directory.appendingPathComponent("t10k-images-idx3-ubyte").path
        assertCorrupted(.test, path: directory.appendingPathComponent("t10k-labels-idx1-ubyte").path,
                        "2 labels for the 3 images of \(images)")
    }

    func testTruncatedAndOverlongFilesAreRefused() throws {
        try write("t10k-labels-idx1-ubyte", idx([2], [0, 1]))
        let path = try write("t10k-images-idx3-ubyte", idx([2, 2, 2], [UInt8](repeating: 1, count: 7)))
        assertCorrupted(.test, path: path, "the header promises 2×2×2 = 8 values but the file holds 7 (it is truncated)")
        try write("t10k-images-idx3-ubyte", idx([2, 2, 2], [UInt8](repeating: 1, count: 9)))
        assertCorrupted(.test, path: path, "the header promises 2×2×2 = 8 values but the file holds 9 (1 byte too many)")
        try write("t10k-images-idx3-ubyte", Array(idx([2, 2, 2], []).prefix(10)))
        assertCorrupted(.test, path: path, "the file ends inside its header (10 of 16 bytes)")
        try write("t10k-images-idx3-ubyte", idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], []))
        assertCorrupted(.test, path: path, "the header's sizes 4294967295×4294967295×4294967295 are too large")
    }

    func testBadMagicNumbersAreRefused() throws {
        try write("t10k-labels-idx1-ubyte", idx([1], [0]))
        let path = try write("t10k-images-idx3-ubyte", idx([1], [0]))
        assertCorrupted(.test, path: path,
                        "not an IDX file of unsigned bytes in 3 dimensions: found magic number 0x00000801, expected magic number 0x00000803")
        try write("t10k-images-idx3-ubyte", idx([1, 1, 1], [0, 0, 0, 0], magic: [0, 0, 0x0D, 3]))
        assertCorrupted(.test, path: path,
                        "not an IDX file of unsigned bytes in 3 dimensions: found magic number 0x00000D03, expected magic number 0x00000803")
        try write("t10k-images-idx3-ubyte", [0, 0])
        assertCorrupted(.test, path: path,
                        "not an IDX file of unsigned bytes in 3 dimensions: found a file of 2 bytes, expected magic number 0x00000803")
        try write("t10k-images-idx3-ubyte", idx([1, 1, 1], [0]))
        let labels = try write("t10k-labels-idx1-ubyte", idx([1, 1, 1], [0]))
        assertCorrupted(.test, path: labels,
                        "not an IDX file of unsigned bytes in 1 dimension: found magic number 0x00000803, expected magic number 0x00000801")
    }

    /// A compressed file that would decompress past the caller's limit is refused.
    func testACompressedFileIsBoundedByTheCallersLimit() throws {
        try write("t10k-images-idx3-ubyte", idx([1, 1, 1], [0]))
        let path = try write("t10k-labels-idx1-ubyte.gz", gzipBomb(pairs: 40_000))
        XCTAssertThrowsError(try MNIST.load(directory: directory, split: .test, maximumFileSize: 1 << 20)) { error in
            XCTAssertEqual(error as? DataError, .tooLarge(path: path, limit: 1 << 20))
        }
    }
}
