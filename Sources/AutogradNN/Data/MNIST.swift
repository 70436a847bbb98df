import AutogradCore
import AutogradEngine
import Foundation

/// MNIST (or Fashion-MNIST, or any data set in its IDX format) read from a directory the
/// user gives; nothing is downloaded.
///
/// The directory holds the four files as distributed, gzip-compressed or not:
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte` (with `.gz`, or with a `.` before `idx`, also accepted).
/// The images stay bytes in the dataset, as in torchvision's, and become floats in 0…1
/// only when a batch is made.
/// ```swift
/// let (train, test) = try MNIST.load(directory: URL(fileURLWithPath: "data/mnist"))
/// ```
public enum MNIST {
    /// Which half of the data set.
    public enum Split: String, Sendable {
        /// The 60,000 training images (files `train-*`).
        case train
        /// The 10,000 test images (files `t10k-*`).
        case test
    }

    /// Both halves, whose images must have the same size.
    ///
    /// - Parameters:
    ///   - classes: The number of classes; every label must be below it.
    ///   - maximumFileSize: The most bytes a compressed file may decompress to.
    /// - Throws: ``DataError``, as ``load(directory:split:classes:maximumFileSize:)`` does,
    ///   and when the test images' size differs from the training images'.
    public static func load(directory: URL, classes: Int = 10, maximumFileSize: Int = Gzip.defaultMaximumSize)
        throws(DataError) -> (train: TensorDataset, test: TensorDataset)
    {
        let train = try loadSplit(directory: directory, split: .train, classes: classes, maximumFileSize: maximumFileSize)
        let test = try loadSplit(directory: directory, split: .test, classes: classes, maximumFileSize: maximumFileSize)
        guard test.imageSize == train.imageSize else {
            throw .corrupted(path: test.imagesPath, reason: "the test images are \(test.imageSize.rows)×\(test.imageSize.columns) pixels but the training images in \(train.imagesPath) are \(train.imageSize.rows)×\(train.imageSize.columns)")
        }
        return (train.dataset, test.dataset)
    }

    /// The images of `split` as inputs `[N, 1, rows, columns]`, kept as bytes and scaled
    /// from 0…255 to 0…1 when a batch is made, and their labels as targets `[N]`.
    ///
    /// - Parameters:
    ///   - classes: The number of classes; every label must be below it.
    ///   - maximumFileSize: The most bytes a compressed file may decompress to.
    /// - Throws: ``DataError`` when a file is missing, unreadable, decompresses to more than
    ///   `maximumFileSize` bytes or is not an IDX file of the right kind (bad magic number,
    ///   truncated, or with bytes past its data), when the images have no rows or columns or
    ///   there are none, when a label is not below `classes`, or when the image and label
    ///   counts differ. Each message names the file and the numbers.
    public static func load(directory: URL, split: Split, classes: Int = 10, maximumFileSize: Int = Gzip.defaultMaximumSize)
        throws(DataError) -> TensorDataset
    {
        try loadSplit(directory: directory, split: split, classes: classes, maximumFileSize: maximumFileSize).dataset
    }

    /// One half, with what the checks across halves need.
    private static func loadSplit(directory: URL, split: Split, classes: Int, maximumFileSize: Int) throws(DataError)
        -> (dataset: TensorDataset, imagesPath: String, imageSize: (rows: Int, columns: Int))
    {
        precondition(classes > 0, "MNIST.load: classes must be positive, got \(classes)")
        let prefix = split == .train ? "train" : "t10k"
        let (imagesPath, images) = try readIDX(in: directory, names: ["\(prefix)-images-idx3-ubyte", "\(prefix)-images.idx3-ubyte"],
                                               rank: 3, maximumSize: maximumFileSize)
        let (count, rows, columns) = (images.dimensions[0], images.dimensions[1], images.dimensions[2])
        guard rows > 0, columns > 0 else {
            throw .corrupted(path: imagesPath, reason: "the images are \(rows)×\(columns) pixels; they need at least one row and one column")
        }
        guard count > 0 else { throw .corrupted(path: imagesPath, reason: "the file holds no images") }
        let (labelsPath, labels) = try readIDX(in: directory, names: ["\(prefix)-labels-idx1-ubyte", "\(prefix)-labels.idx1-ubyte"],
                                               rank: 1, maximumSize: maximumFileSize)
        guard labels.dimensions[0] == count else {
            throw .corrupted(path: labelsPath, reason: "\(labels.dimensions[0]) labels for the \(count) images of \(imagesPath)")
        }
        if let index = labels.values.firstIndex(where: { Int($0) >= classes }) {
            throw .corrupted(path: labelsPath, reason: "label \(labels.values[index]) of example \(index) is out of range for \(classes) classes (0...\(classes - 1))")
        }
        let dataset = TensorDataset(
            byteInputs: images.values, shape: [count, 1, rows, columns],
            targets: Tensor(NDArray(shape: [count], integers: labels.values.map(Int64.init), dtype: .int64)))
        return (dataset, imagesPath, (rows, columns))
    }

    /// The first of `names` (each also tried with `.gz`) found in `directory`, parsed as an
    /// IDX array of `rank` dimensions.
    private static func readIDX(in directory: URL, names: [String], rank: Int, maximumSize: Int) throws(DataError) -> (String, IDXArray) {
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
        if Gzip.isCompressed(bytes) { bytes = try Gzip.decompress(bytes, source: url.path, maximumSize: maximumSize) }
        return (url.path, try IDXArray(bytes, rank: rank, source: url.path))
    }
}
