import Foundation
import XCTest
import Autograd

/// Gzip decompression of hostile input: bounded output, and members decoded independently.
final class GzipTests: XCTestCase {
    private func fixture(_ name: String) throws -> [UInt8] {
        struct Case: Decodable { let name: String, compressed: String }
        struct Cases: Decodable { let cases: [Case] }
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent("gzip.json")
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url)).cases
        return [UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(cases.first { $0.name == name }).compressed)))
    }

    /// Asserts that decompressing `bytes` throws exactly `expected`.
    private func assertThrows(_ bytes: [UInt8], maximumSize: Int = Gzip.defaultMaximumSize, _ expected: DataError,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Gzip.decompress(bytes, source: "x.gz", maximumSize: maximumSize), file: file, line: line) { error in
            XCTAssertEqual(error as? DataError, expected, file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "the message is one line", file: file, line: line)
        }
    }

    func testTheBombBuilderMakesValidGzip() throws {
        let size = 1 + 258 * 100
        let bomb = gzipBomb(pairs: 100, crc: testCRC32([UInt8](repeating: 0, count: size)))
        XCTAssertEqual(try Gzip.decompress(bomb), [UInt8](repeating: 0, count: size))
    }

    /// The case: a file under 1 MB that decompresses to 1 GB. Its trailer declares
    /// more than the default limit, so it is refused before anything is decompressed.
    func testABombDeclaringMoreThanTheLimitIsRefusedAtOnce() {
        let bomb = gzipBomb(pairs: 3_900_000)
        XCTAssertLessThan(bomb.count, 1_000_000)
        XCTAssertEqual(Gzip.defaultMaximumSize, 512 << 20)
        assertThrows(bomb, .tooLarge(path: "x.gz", limit: Gzip.defaultMaximumSize))
        XCTAssertEqual(DataError.tooLarge(path: "x.gz", limit: 1000).description,
                       "data file x.gz decompresses to more than the limit of 1000 bytes")
    }

    /// The same bomb with a trailer that lies (declaring 100 bytes) is stopped early. The
    /// bound is 25,822 bytes, not 100: the trailer ends in zero bytes, which could be zero
    /// padding after a trailer one byte earlier, whose length would be 0x64DE.
    func testABombWithALyingTrailerIsStoppedEarly() {
        assertThrows(gzipBomb(pairs: 3_900_000, declared: 100), maximumSize: 4 << 20,
                     .corrupted(path: "x.gz", reason: "gzip: the data decompresses to more than the 25822 bytes its trailer allows (damaged, truncated or hostile data)"))
    }

    /// A member that outgrows the size its (last) trailer declares is stopped there,
    /// before the caller's limit.
    func testAMemberIsStoppedAtTheSizeItsTrailerDeclares() {
        let declared: UInt32 = 0x0100_0001  // 16 MiB + 1; the bomb holds about 33 MB
        assertThrows(gzipBomb(pairs: 128_000, declared: declared), maximumSize: 64 << 20,
                     .corrupted(path: "x.gz", reason: "gzip: the data decompresses to more than the 16777217 bytes its trailer allows (damaged, truncated or hostile data)"))
    }

    /// When another member follows, the last trailer says nothing about the first, which is
    /// then bounded by the caller's limit alone.
    func testAnEarlierMemberIsBoundedByTheCallersLimit() {
        let file = gzipBomb(pairs: 128_000) + storedMember(Array("abc".utf8))
        assertThrows(file, maximumSize: 1 << 20, .tooLarge(path: "x.gz", limit: 1 << 20))
    }

    func testOutputUpToTheLimitIsAllowed() throws {
        let file = try fixture("long_matches")  // 20,003 bytes
        XCTAssertEqual(try Gzip.decompress(file, maximumSize: 20003).count, 20003)
        assertThrows(file, maximumSize: 20002, .tooLarge(path: "x.gz", limit: 20002))
        assertThrows(file, maximumSize: 0, .tooLarge(path: "x.gz", limit: 0))
        XCTAssertEqual(try Gzip.decompress(try fixture("empty"), maximumSize: 0), [])
    }

    /// Valid files the declared-size bound must not refuse: a first member larger than the
    /// last one, and zero padding after the last trailer (which gzip and Python accept).
    func testValidFilesAreNotRefused() throws {
        let long = try fixture("long_matches"), short = try fixture("fixed_huffman")
        let both = try Gzip.decompress(long + short)
        XCTAssertEqual(both.count, 20003 + 26)
        XCTAssertEqual(Array(both.suffix(26)), Array("hello, hello, hello world\n".utf8))
        for padding in [1, 3, 4, 600] {
            XCTAssertEqual(try Gzip.decompress(long + [UInt8](repeating: 0, count: padding)).count, 20003, "\(padding) zero bytes")
        }
        let text = try fixture("dynamic_huffman")
        XCTAssertEqual(try Gzip.decompress(text + [0, 0]), try Gzip.decompress(text))
    }

    /// A back-reference before the start of its own member's output is refused, as zlib
    /// refuses it, even when an earlier member's output is there.
    func testABackReferenceIntoAnEarlierMemberIsRefused() {
        func member(distanceCode: Int, contents: String) -> [UInt8] {
            var writer = BitWriter()
            writer.bits(1, 1)
            writer.bits(1, 2)  // fixed Huffman codes
            writer.fixedSymbol(Int(UInt8(ascii: "x")))
            writer.fixedSymbol(257)  // a match of length 3 ...
            writer.code(distanceCode, 5)  // ... at distance 1 + distanceCode
            writer.fixedSymbol(256)
            let bytes = Array(contents.utf8)
            return gzipMember(deflate: writer.bytes, crc: testCRC32(bytes), size: UInt32(bytes.count))
        }
        XCTAssertEqual(try Gzip.decompress(member(distanceCode: 0, contents: "xxxx")), Array("xxxx".utf8))
        let tooFarBack = DataError.corrupted(path: "x.gz", reason: "gzip: invalid distance too far back")
        assertThrows(storedMember(Array("abc".utf8)) + member(distanceCode: 3, contents: "xabc"), tooFarBack)
        assertThrows(member(distanceCode: 1, contents: "xxxx"), tooFarBack)
    }
}
