import XCTest
@testable import AutogradCore

/// `NDArray.addInPlace` into windows of a larger array: evenly spaced rows in one pass,
/// other layouts through a sum aside, against the same sum computed elementwise.
final class WindowAddTests: XCTestCase {
    override func tearDown() {
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// Adds `source` into the window `start..<end` along `dim` of `whole` and checks every
    /// element of `whole`: the window's summed, the rest unchanged.
    private func checkWindowAdd(shape: [Int], dim: Int, start: Int, end: Int, transposedSource: Bool = false,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let count = shape.reduce(1, *)
        let before = pseudoRandomFloats(count, seed: 1)
        let whole = NDArray(shape: shape, scalars: before)
        let window = try whole.sliced(dim: dim, start: start, end: end)
        var sourceShape = window.shape
        if transposedSource { sourceShape.swapAt(0, sourceShape.count - 1) }
        var source = NDArray(shape: sourceShape, scalars: pseudoRandomFloats(window.count, seed: 2))
        if transposedSource { source = try source.transposed(0, sourceShape.count - 1) }
        let expected = try NDArray.zip(.add, window, source, name: "add").scalars
        XCTAssertTrue(window.addInPlace(source), file: file, line: line)
        XCTAssertEqual(window.scalars, expected, file: file, line: line)
        let untouched = try NDArray.zip(.subtract, whole, NDArray(shape: shape, scalars: before), name: "subtract")
        let changed = untouched.scalars.filter { $0 != 0 }.count
        XCTAssertLessThanOrEqual(changed, window.count, file: file, line: line)
    }

    func testWindowsAlongEachDimension() throws {
        for threads in [1, 2] {
            Kernels.threadCount = threads
            try checkWindowAdd(shape: [4, 6, 9], dim: 2, start: 3, end: 6)
            try checkWindowAdd(shape: [4, 6, 9], dim: 1, start: 2, end: 5)
            try checkWindowAdd(shape: [4, 6, 9], dim: 0, start: 1, end: 3)
            try checkWindowAdd(shape: [4, 6, 9], dim: 2, start: 0, end: 4, transposedSource: true)
            // Rows long enough for the work to be split between threads, mid-row.
            try checkWindowAdd(shape: [63, 3 * 700], dim: 1, start: 700, end: 1400)
        }
    }

    func testEvenlySpacedRows() throws {
        let whole = NDArray(zeros: [4, 6, 9])
        XCTAssertEqual(try whole.sliced(dim: 2, start: 3, end: 6).layout.evenlySpacedRows.map { [$0.count, $0.length, $0.stride] },
                       [24, 3, 9])
        XCTAssertNil(try whole.sliced(dim: 1, start: 2, end: 5).layout.evenlySpacedRows)
        XCTAssertEqual(whole.layout.evenlySpacedRows.map { [$0.count, $0.length, $0.stride] }, [24, 9, 9])
        XCTAssertNil(NDArray(zeros: [1, 3]).layout.broadcast(to: [4, 3]).evenlySpacedRows)
    }

    func testMismatchedOrSameStorageOperandsAreRefused() throws {
        let a = NDArray(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertFalse(a.addInPlace(NDArray(zeros: [3, 2])))
        XCTAssertFalse(a.addInPlace(NDArray(zeros: [2, 3], dtype: .float64)))
        XCTAssertFalse(a.addInPlace(a))
        XCTAssertEqual(a.scalars, [1, 2, 3, 4, 5, 6])
    }
}
