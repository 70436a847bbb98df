import AutogradEngine
import Foundation

/// MNIST (or Fashion-MNIST, or any data set in its IDX format) read from a directory the
/// user gives; nothing is downloaded.
///
/// The directory holds the four files as distributed, gzip-compressed or not:
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte` (with `.gz`, or with a `.` before `idx`, also accepted).
/// ```swift
/// let train = try MNIST.load(directory: URL(fileURLWithPath: "data/mnist"), split: .train)
/// ```
public enum MNIST {
    /// Which half of the data set.
    public enum Split: String, Sendable {
        /// The 60,000 training images (files `train-*`).
        case train
        /// The 10,000 test images (files `t10k-*`).
        case test
    }

    /// The images of `split` as inputs `[N, 1, rows, columns]` scaled from 0…255 to 0…1,
    /// and their labels as targets `[N]`.
    ///
    /// - Throws: ``DataError`` when a file is missing, unreadable, not in IDX format, or the
    ///   image and label counts differ.
    public static func load(directory: URL, split: Split) throws(DataError) -> TensorDataset {
        let prefix = split == .train ? "train" : "t10k"
        let (imagesPath, images) = try readIDX(in: directory, names: ["\(prefix)-images-idx3-ubyte", "\(prefix)-images.idx3-ubyte"])
        let (labelsPath, labels) = try readIDX(in: directory, names: ["\(prefix)-labels-idx1-ubyte", "\(prefix)-labels.idx1-ubyte"])
        guard images.dimensions.count == 3 else {
            throw .corrupted(path: imagesPath, reason: "expected 3 dimensions (images, rows, columns), found \(images.dimensions.count)")
        }
        guard labels.dimensions.count == 1 else {
            throw .corrupted(path: labelsPath, reason: "expected 1 dimension (labels), found \(labels.dimensions.count)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw .corrupted(path: labelsPath, reason: "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images")
        }
        let shape = [images.dimensions[0], 1, images.dimensions[1], images.dimensions[2]]
        return TensorDataset(
            inputs: Tensor(shape: shape, scalars: images.values.map { Float($0) / 255 }),
            targets: Tensor(shape: [labels.dimensions[0]], scalars: labels.values.map(Float.init)))
    }

    /// The first of `names` (each also tried with `.gz`) found in `directory`, parsed.
    private static func readIDX(in directory: URL, names: [String]) throws(DataError) -> (String, IDXArray) {
        let candidates = names.flatMap { [$0, $0 + ".gz"] }.map { directory.appendingPathComponent($0) }
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw .fileNotFound(path: directory.appendingPathComponent(names[0]).path + "[.gz]")
        }
        var bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        if Gzip.isCompressed(bytes) { bytes = try Gzip.decompress(bytes, source: url.path) }
        return (url.path, try IDXArray(bytes, source: url.path))
    }
}

/// An unsigned-byte array in the IDX format: a big-endian magic number `0x0000 08 nd`,
/// `nd` big-endian 32-bit sizes, then the bytes.
struct IDXArray {
    let dimensions: [Int]
    let values: ArraySlice<UInt8>

    init(_ bytes: [UInt8], source: String) throws(DataError) {
        func word(_ offset: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) } }
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08 else {
            throw .corrupted(path: source, reason: "not an IDX file of unsigned bytes (bad magic number)")
        }
        let rank = Int(bytes[3])
        let dataStart = 4 + 4 * rank
        guard bytes.count >= dataStart else { throw .corrupted(path: source, reason: "the file ends inside its header") }
        dimensions = (0..<rank).map { word(4 + 4 * $0) }
        guard let count = byteCount(ofUntrustedShape: dimensions), bytes.count - dataStart == count else {
            throw .corrupted(path: source, reason: "the header promises \(dimensions.map(String.init).joined(separator: "×")) values but the file holds \(bytes.count - dataStart)")
        }
        values = bytes[dataStart...]
    }
}
