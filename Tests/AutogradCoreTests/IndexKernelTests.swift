import XCTest
@testable import AutogradCore

/// The gather, scatter and advanced-indexing kernels against plain loops, on arrays large
/// enough for the threaded paths, in several dtypes, with non-contiguous operands, and
/// with indices out of range (which must be reported, not followed).
final class IndexKernelTests: XCTestCase {
    /// A small deterministic generator (a 64-bit LCG).
    private struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    private var generator = Generator(state: 7)

    private func randomIndex(_ shape: [Int], below bound: Int) -> NDArray {
        let values = (0..<shape.reduce(1, *)).map { _ in Int64(generator.next(bound)) }
        return NDArray(shape: shape, integers: values, dtype: .int64)
    }

    private func randomValues(_ shape: [Int], dtype: DType = .float32) -> NDArray {
        let values = (0..<shape.reduce(1, *)).map { _ in Double(generator.next(2000)) / 8 - 100 }
        return NDArray(shape: shape, doubles: values, dtype: dtype)
    }

    func testGatherMatchesALoopAlongEitherDimension() throws {
        let source = randomValues([300, 257])
        let values = source.doubles
        for dim in 0..<2 {
            let (rows, columns) = (280, 250)
            let index = randomIndex([rows, columns], below: source.shape[dim])
            let positions = index.integers
            let result = try source.gathered(dim: dim, index: index)
            var expected: [Double] = []
            for i in 0..<rows {
                for j in 0..<columns {
                    let p = Int(positions[i * columns + j])
                    expected.append(values[dim == 0 ? p * 257 + j : i * 257 + p])
                }
            }
            XCTAssertEqual(result.doubles, expected, "dim \(dim)")
        }
    }

    func testGatherReadsNonContiguousSourcesAndEveryElementWidth() throws {
        for dtype in [DType.float64, .float16, .int32, .int8, .bool] {
            let base = randomValues([257, 300], dtype: dtype)
            let source = try base.transposed(0, 1)
            let index = randomIndex([300, 200], below: 257)
            let result = try source.gathered(dim: 1, index: index)
            let expected = try source.contiguous().gathered(dim: 1, index: index)
            XCTAssertEqual(result.dtype, dtype)
            XCTAssertEqual(result.doubles, expected.doubles, "\(dtype)")
        }
    }

    func testScatterAddSumsRepeatedPositionsLikeALoop() throws {
        let (rows, columns) = (200, 170)
        for dtype in [DType.float64, .int32, .float32] {
            let target = randomValues([rows, columns], dtype: dtype)
            let source = randomValues([rows, columns], dtype: dtype)
            for dim in 0..<2 {
                let index = randomIndex([rows, columns], below: target.shape[dim])
                let result = try target.scattered(dim: dim, index: index, source: source, accumulate: true)
                var expected = target.doubles
                let positions = index.integers, values = source.doubles
                for i in 0..<rows {
                    for j in 0..<columns {
                        let p = Int(positions[i * columns + j])
                        expected[dim == 0 ? p * columns + j : i * columns + p] += values[i * columns + j]
                    }
                }
                let tolerance = dtype == .float32 ? 1e-3 : 0
                for (a, e) in zip(result.doubles, expected) where Swift.abs(a - e) > tolerance {
                    return XCTFail("\(dtype) dim \(dim): \(a) vs \(e)")
                }
            }
        }
    }

    func testScatterWritesEachPositionOfAPermutation() throws {
        // Row i of the index is a rotation of 0..<n, so every element is written once.
        let (rows, columns) = (180, 190)
        let index = NDArray(
            shape: [rows, columns], integers: (0..<rows * columns).map { Int64(($0 % columns + $0 / columns) % columns) },
            dtype: .int64)
        let source = randomValues([rows, columns])
        let result = try NDArray(zeros: [rows, columns]).scattered(dim: 1, index: index, source: source, accumulate: false)
        let gathered = try result.gathered(dim: 1, index: index)
        XCTAssertEqual(gathered.doubles, source.doubles)
    }

    func testAnIndexOutOfRangeIsReportedBeforeItIsFollowed() {
        let source = randomValues([300, 200])
        var values = randomIndex([300, 200], below: 200).integers
        values[values.count - 1] = 200
        values[values.count / 2] = -1
        let index = NDArray(shape: [300, 200], integers: values, dtype: .int64)
        XCTAssertThrowsError(try source.gathered(dim: 1, index: index)) { error in
            XCTAssertEqual(error as? ShapeError, .indexOutOfBounds(op: "gather", index: -1, dim: 1, size: 200))
        }
        XCTAssertThrowsError(try source.scattered(dim: 1, index: index, source: source, accumulate: true)) { error in
            XCTAssertEqual(error as? ShapeError, .indexOutOfBounds(op: "scatter_add", index: -1, dim: 1, size: 200))
        }
    }

    func testAdvancedIndexingOfATransposedArrayMatchesALoop() throws {
        let base = randomValues([40, 300, 3])
        let source = try base.permuted([1, 0, 2])   // [300, 40, 3], not contiguous
        let rows = randomIndex([500], below: 300)
        let indices = try AdvancedIndices([(dim: 0, index: rows)], shape: source.shape)
        let result = source.indexed(indices)
        XCTAssertEqual(result.shape, [500, 40, 3])
        let contiguous = source.contiguous().doubles
        let expected = rows.integers.flatMap { row in contiguous[(Int(row) * 120)..<(Int(row) * 120 + 120)] }
        XCTAssertEqual(result.doubles, expected)
    }

    func testIndexPutAccumulatesAndBroadcastsValues() throws {
        let target = NDArray(zeros: [4, 3], dtype: .int64)
        let indices = try AdvancedIndices([(dim: 0, index: NDArray(shape: [3], integers: [1, 3, 1], dtype: .int64))], shape: [4, 3])
        let values = NDArray(shape: [3], integers: [1, 2, 3], dtype: .int64)
        let added = try target.indexPut(indices, values: values, accumulate: true)
        XCTAssertEqual(added.integers, [0, 0, 0, 2, 4, 6, 0, 0, 0, 1, 2, 3])
        let written = try target.indexPut(indices, values: values, accumulate: false)
        XCTAssertEqual(written.integers, [0, 0, 0, 1, 2, 3, 0, 0, 0, 1, 2, 3])
        XCTAssertThrowsError(try target.indexPut(indices, values: NDArray(zeros: [2], dtype: .int64), accumulate: false)) { error in
            XCTAssertEqual((error as? ShapeError)?.message,
                           "shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of shape [3, 3]")
        }
    }

    func testSteppedSlicesAreViews() throws {
        let array = NDArray(shape: [2, 7], scalars: (0..<14).map(Float.init))
        let stepped = try array.sliced(dim: 1, start: 1, end: 100, step: 3)
        XCTAssertEqual(stepped.shape, [2, 2])
        XCTAssertEqual(stepped.scalars, [1, 4, 8, 11])
        XCTAssertTrue(stepped.storage === array.storage)
        XCTAssertThrowsError(try array.sliced(dim: 1, start: 0, end: 3, step: -1)) { error in
            XCTAssertEqual((error as? ShapeError)?.message, "step must be greater than zero")
        }
    }
}
