import Autograd
import Foundation
@testable import AutogradCLI

/// Small hostile inputs written by the tests themselves: MNIST-style IDX folders and
/// checkpoints with chosen metadata.
enum CLIFixtures {
    /// Writes the four IDX files of an MNIST-style data set into `folder` (made if
    /// missing): `trainCount` training images of `trainSize` (rows, columns) and
    /// `testCount` test images of `testSize`, labels alternating 0 and 1.
    static func writeIDX(
        in folder: URL, trainCount: Int = 8, trainSize: (Int, Int) = (4, 4), testCount: Int = 4, testSize: (Int, Int)? = nil
    ) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (prefix, count, size) in [("train", trainCount, trainSize), ("t10k", testCount, testSize ?? trainSize)] {
            let pixels = (0..<count * size.0 * size.1).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            try idx(dimensions: [count, size.0, size.1], values: pixels)
                .write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try idx(dimensions: [count], values: (0..<count).map { UInt8($0 % 2) })
                .write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
    }

    /// An IDX file of unsigned bytes.
    private static func idx(dimensions: [Int], values: [UInt8]) -> Data {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for dimension in dimensions {
            bytes += withUnsafeBytes(of: UInt32(dimension).bigEndian, Array.init)
        }
        return Data(bytes + values)
    }

    /// Writes the checkpoint of `model` for 1×`side`×`side` images and `classes` classes
    /// to `url`, with `metadata` as its header's `__metadata__`.
    static func writeCheckpoint(_ model: ModelKind, side: Int = 4, classes: Int = 2, metadata: [String: String], to url: URL) throws {
        try model.make(imageShape: [1, side, side], classes: classes).save(to: url, metadata: metadata)
    }
}
