import XCTest
@testable import AutogradCore

/// Large buffers come from the buffer cache and go back to it; small ones do not.
final class BufferCacheTests: XCTestCase {
    func testFreedLargeBuffersAreReusedAndTheCacheEmpties() {
        BufferCache.empty()
        let count = 100_000                                     // 400,000 bytes: cached
        var first: Storage? = Storage.zeros(count)
        let address = first!.raw
        first!.base[count - 1] = 7
        XCTAssertEqual(BufferCache.cachedBytes, 0)
        first = nil
        XCTAssertGreaterThanOrEqual(BufferCache.cachedBytes, count * 4)
        XCTAssertLessThanOrEqual(BufferCache.cachedBytes, count * 5)   // its size class is within a quarter
        // A buffer of the same size class gets the same block back, zeroed when asked.
        let second = Storage.zeros(count - 10)
        XCTAssertEqual(second.raw, address)
        XCTAssertEqual(second.base[count - 11], 0)
        XCTAssertEqual(BufferCache.cachedBytes, 0)
        var third: Storage? = Storage.uninitialized(count, dtype: .float64)
        third = nil
        XCTAssertNil(third)
        XCTAssertGreaterThan(BufferCache.cachedBytes, 0)
        XCTAssertGreaterThanOrEqual(BufferCache.empty(), count * 8)
        XCTAssertEqual(BufferCache.cachedBytes, 0)
    }

    /// Large buffers start a cache line, so rows of 64-byte multiples read in place (the GEMM
    /// reads a short product's B that way) never straddle two lines.
    func testLargeBuffersStartACacheLine() {
        BufferCache.empty()
        for count in [1 << 14, 100_000, (1 << 20) + 3] {
            let fresh = Storage.uninitialized(count)
            XCTAssertEqual(Int(bitPattern: fresh.raw) % 64, 0, "\(count) floats")
        }
        var freed: Storage? = Storage.uninitialized(100_000)
        freed = nil
        XCTAssertNil(freed)
        XCTAssertEqual(Int(bitPattern: Storage.uninitialized(100_000).raw) % 64, 0, "from the cache")
    }

    func testSmallBuffersAndTheLimitBypassTheCache() {
        BufferCache.empty()
        var small: Storage? = Storage.zeros(100)
        small = nil
        XCTAssertNil(small)
        XCTAssertEqual(BufferCache.cachedBytes, 0)
        let saved = BufferCache.limit
        defer { BufferCache.limit = saved }
        BufferCache.limit = 1 << 16
        var large: Storage? = Storage.zeros(1 << 16)            // 256 KiB: over the limit, freed
        large = nil
        XCTAssertNil(large)
        XCTAssertEqual(BufferCache.cachedBytes, 0)
        XCTAssertEqual(BufferCache.limit, 1 << 16)
    }

    func testBuffersOfEveryDTypeKeepTheirValuesAcrossThreads() {
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<20 {
                let count = 20_000 + 1_000 * worker
                let storage = Storage.uninitialized(count, dtype: .float64)
                let values = storage.raw.assumingMemoryBound(to: Double.self)
                for index in 0..<count { values[index] = Double(worker * 1000 + round) }
                XCTAssertTrue((0..<count).allSatisfy { values[$0] == Double(worker * 1000 + round) })
            }
        }
    }
}
