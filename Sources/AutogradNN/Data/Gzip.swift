/// Decompression of gzip files (RFC 1952) and the DEFLATE data inside them (RFC 1951),
/// written here so the package needs no system zlib.
///
/// ```swift
/// let csv = try Gzip.decompress(bytes)      // throws DataError.corrupted on bad input
/// ```
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// The decompressed contents of a gzip file (all its members, concatenated), checked
    /// against the CRC-32 and length each member records.
    ///
    /// - Parameter source: The file's name, used in error messages.
    /// - Throws: ``DataError/corrupted(path:reason:)`` for anything that is not valid gzip.
    public static func decompress(_ bytes: [UInt8], source: String = "<memory>") throws(DataError) -> [UInt8] {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(InflateError) in
                var output: [UInt8] = []
                if bytes.count >= 4 {
                    let recorded = bytes[(bytes.count - 4)...].reversed().reduce(0) { $0 << 8 | Int($1) }
                    output.reserveCapacity(Swift.min(recorded, 1 << 30))
                }
                var position = 0
                repeat {
                    position = try decompressMember(buffer, at: position, into: &output)
                } while position + 2 <= buffer.count && buffer[position] == 0x1F && buffer[position + 1] == 0x8B
                guard buffer[position...].allSatisfy({ $0 == 0 }) else {
                    throw InflateError("\(buffer.count - position) bytes of trailing garbage after the compressed data")
                }
                return output
            }
        } catch {
            throw .corrupted(path: source, reason: "gzip: \(error.message)")
        }
    }

    /// Decompresses the member starting at `start`; returns where the next one starts.
    private static func decompressMember(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, into output: inout [UInt8]) throws(InflateError) -> Int {
        var position = start
        func byte() throws(InflateError) -> UInt8 {
            guard position < bytes.count else { throw InflateError("the file ends inside a header") }
            defer { position += 1 }
            return bytes[position]
        }
        guard try byte() == 0x1F, try byte() == 0x8B else { throw InflateError("not a gzip file (bad magic number)") }
        guard try byte() == 8 else { throw InflateError("unknown compression method") }
        let flags = try byte()
        guard flags & 0xE0 == 0 else { throw InflateError("reserved header flags are set") }
        for _ in 0..<6 { _ = try byte() }  // modification time, extra flags, operating system
        if flags & 0x04 != 0 {  // FEXTRA
            let length = Int(try byte()) | Int(try byte()) << 8
            for _ in 0..<length { _ = try byte() }
        }
        if flags & 0x08 != 0 { while try byte() != 0 {} }  // FNAME
        if flags & 0x10 != 0 { while try byte() != 0 {} }  // FCOMMENT
        if flags & 0x02 != 0 { _ = try byte(); _ = try byte() }  // FHCRC
        let outputStart = output.count
        var inflater = Inflater(bytes, position: position)
        try inflater.inflate(into: &output)
        position = inflater.bytePosition
        guard position + 8 <= bytes.count else { throw InflateError("the file ends before the CRC-32 and length trailer") }
        let word = { (offset: Int) in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[position + offset + $1]) << (8 * $1) } }
        let crc = CRC32.checksum(output[outputStart...])
        guard word(0) == crc else { throw InflateError("CRC-32 mismatch (the data is damaged)") }
        guard word(4) == UInt32(truncatingIfNeeded: output.count - outputStart) else {
            throw InflateError("length mismatch (the data is damaged)")
        }
        return position + 8
    }
}

/// A decompression failure, with what was wrong.
struct InflateError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A DEFLATE decoder in the style of zlib's `puff`: canonical Huffman codes decoded bit by
/// bit, which keeps it short and obviously correct.
struct Inflater {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int
    private var bitBuffer: UInt32 = 0
    private var bitCount = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// Where the byte after the compressed data is (unused bits of the last byte dropped).
    var bytePosition: Int { position }

    /// Decodes blocks until the final one, appending to `output`.
    mutating func inflate(into output: inout [UInt8]) throws(InflateError) {
        var last = false
        while !last {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0: try storedBlock(into: &output)
            case 1: try codesBlock(literals: Huffman.fixedLiterals, distances: Huffman.fixedDistances, into: &output)
            case 2:
                let (literals, distances) = try dynamicTables()
                try codesBlock(literals: literals, distances: distances, into: &output)
            default: throw InflateError("invalid block type")
            }
        }
        bitBuffer = 0
        bitCount = 0
    }

    private mutating func bits(_ count: Int) throws(InflateError) -> Int {
        while bitCount < count {
            guard position < bytes.count else { throw InflateError("the compressed data ends early") }
            bitBuffer |= UInt32(bytes[position]) << UInt32(bitCount)
            position += 1
            bitCount += 8
        }
        let value = Int(bitBuffer & ((1 << UInt32(count)) - 1))
        bitBuffer >>= UInt32(count)
        bitCount -= count
        return value
    }

    private mutating func storedBlock(into output: inout [UInt8]) throws(InflateError) {
        bitBuffer = 0
        bitCount = 0
        guard position + 4 <= bytes.count else { throw InflateError("the compressed data ends early") }
        let length = Int(bytes[position]) | Int(bytes[position + 1]) << 8
        let complement = Int(bytes[position + 2]) | Int(bytes[position + 3]) << 8
        guard length == ~complement & 0xFFFF else { throw InflateError("stored block length check failed") }
        position += 4
        guard position + length <= bytes.count else { throw InflateError("the compressed data ends early") }
        output.append(contentsOf: bytes[position..<(position + length)])
        position += length
    }

    private mutating func decode(_ code: Huffman) throws(InflateError) -> Int {
        var value = 0, first = 0, index = 0
        for length in 1...Huffman.maximumBits {
            value |= try bits(1)
            let count = code.counts[length]
            if value - count < first { return code.symbols[index + value - first] }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw InflateError("invalid Huffman code")
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    private mutating func codesBlock(literals: Huffman, distances: Huffman, into output: inout [UInt8]) throws(InflateError) {
        while true {
            let symbol = try decode(literals)
            if symbol < 256 {
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let lengthCode = symbol - 257
                guard lengthCode < 29 else { throw InflateError("invalid length code") }
                let length = Inflater.lengthBase[lengthCode] + (try bits(Inflater.lengthExtra[lengthCode]))
                let distanceCode = try decode(distances)
                guard distanceCode < 30 else { throw InflateError("invalid distance code") }
                let distance = Inflater.distanceBase[distanceCode] + (try bits(Inflater.distanceExtra[distanceCode]))
                guard distance <= output.count else { throw InflateError("a back-reference points before the start") }
                let from = output.count - distance
                for offset in 0..<length { output.append(output[from + offset]) }
            }
        }
    }

    private mutating func dynamicTables() throws(InflateError) -> (Huffman, Huffman) {
        let literalCount = try bits(5) + 257, distanceCount = try bits(5) + 1, codeLengthCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw InflateError("too many length or distance codes") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengths[order[i]] = try bits(3) }
        let codeLengthCode = try Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(codeLengthCode)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw InflateError("a repeat code with no previous length") }
                lengths += repeatElement(previous, count: 3 + (try bits(2)))
            case 17: lengths += repeatElement(0, count: 3 + (try bits(3)))
            default: lengths += repeatElement(0, count: 11 + (try bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount else { throw InflateError("code lengths overflow the table") }
        guard lengths[256] != 0 else { throw InflateError("no end-of-block code") }
        return (try Huffman(lengths: Array(lengths[..<literalCount])), try Huffman(lengths: Array(lengths[literalCount...])))
    }
}

/// A canonical Huffman code: how many codes have each length, and the symbols in code order.
struct Huffman {
    static let maximumBits = 15
    let counts: [Int]
    let symbols: [Int]

    /// The code for the given code length of each symbol (0 = unused).
    init(lengths: [Int]) throws(InflateError) {
        var counts = [Int](repeating: 0, count: Huffman.maximumBits + 1)
        for length in lengths { counts[length] += 1 }
        var left = 1
        for length in 1...Huffman.maximumBits {
            left = (left << 1) - counts[length]
            guard left >= 0 else { throw InflateError("over-subscribed Huffman code") }
        }
        var offsets = [Int](repeating: 0, count: Huffman.maximumBits + 1)
        for length in 1..<Huffman.maximumBits { offsets[length + 1] = offsets[length] + counts[length] }
        var symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
        self.counts = counts
        self.symbols = symbols
    }

    // The fixed codes of block type 1.
    static let fixedLiterals = try! Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
    static let fixedDistances = try! Huffman(lengths: [Int](repeating: 5, count: 30))
}

/// The CRC-32 checksum gzip records (polynomial 0xEDB88320).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    /// The checksum of `bytes`.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        ~bytes.reduce(UInt32.max) { table[Int(($0 ^ UInt32($1)) & 0xFF)] ^ ($0 >> 8) }
    }
}
