import XCTest
@testable import AutogradCore

/// Copies of strided arrays long enough to be split over the threads, and zero-filled
/// storages likewise, element by element against the same copy on one thread.
final class StridedCopyTests: XCTestCase {
    override func tearDown() {
        Kernels.threadCount = 0
        super.tearDown()
    }

    func testPermutedCopiesMatchOnOneAndTwoThreads() throws {
        // [batch, heads, tokens, width] made contiguous as [batch, tokens, heads, width]: rows
        // of the source are strided, each of the destination contiguous.
        let shape = [5, 4, 64, 33]
        let values = pseudoRandomFloats(shape.reduce(1, *), seed: 3)
        let source = try NDArray(shape: shape, scalars: values).transposed(1, 2)
        var copies: [[Float]] = []
        for threads in [1, 2] {
            Kernels.threadCount = threads
            copies.append(source.contiguous().scalars)
        }
        XCTAssertEqual(copies[0], copies[1])
        // Element (b, t, h, w) of the copy is element (b, h, t, w) of the original.
        let (b, t, h, w) = (3, 17, 2, 30)
        XCTAssertEqual(copies[1][((b * 64 + t) * 4 + h) * 33 + w], values[((b * 4 + h) * 64 + t) * 33 + w])
    }

    func testZeroFilledStoragesAreZeroOnTwoThreads() {
        Kernels.threadCount = 2
        for dtype in [DType.float32, .float64, .bool, .int64] {
            do {
                // A dirty buffer of this size, freed to the buffer cache, which may hand it out again.
                let dirty = Storage.uninitialized(100_003, dtype: dtype)
                dirty.raw.initializeMemory(as: UInt8.self, repeating: 0xA5, count: 100_003 * dtype.itemSize)
            }
            let zeros = NDArray(zeros: [100_003], dtype: dtype)
            let bytes = UnsafeRawBufferPointer(start: zeros.storage.raw, count: 100_003 * dtype.itemSize)
            XCTAssertTrue(bytes.allSatisfy { $0 == 0 }, "\(dtype)")
        }
    }
}
