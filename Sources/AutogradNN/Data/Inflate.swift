/// A DEFLATE decoder in the style of zlib's `puff`: canonical Huffman codes decoded bit by
/// bit, which keeps it short and obviously correct.
///
/// It decodes one gzip member, whose output starts at `outputStart` of the output array:
/// back-references may not reach before that point (a member is decoded independently, as
/// zlib does), and the output may not grow past `maximumOutput` bytes in all, nor past
/// what the file's last trailer declares once this member must be the last.
struct Inflater {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int
    private var bitBuffer: UInt32 = 0
    private var bitCount = 0
    private let outputStart: Int
    private let maximumOutput: Int
    /// The output size past which ``makeRoom(for:)`` must check: the size the last
    /// trailer declares, then (once the member need not be the last) `maximumOutput`.
    private var limit: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int, outputStart: Int, maximumOutput: Int) {
        self.bytes = bytes
        self.position = position
        self.outputStart = outputStart
        self.maximumOutput = maximumOutput
        let room = maximumOutput - outputStart
        self.limit = outputStart + (Gzip.declaredLimit(bytes, after: position, room: room) ?? room)
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
            default: throw .corrupt("invalid block type")
            }
        }
        bitBuffer = 0
        bitCount = 0
    }

    /// Checks that the output may grow to `size` bytes, past ``limit``.
    private mutating func makeRoom(for size: Int) throws(InflateError) {
        guard size <= maximumOutput else { throw .tooLarge(limit: maximumOutput) }
        guard Gzip.mayFollow(bytes, after: position) else {
            throw .corrupt("the data decompresses to more than the \(limit - outputStart) bytes its trailer allows (damaged, truncated or hostile data)")
        }
        limit = maximumOutput
    }

    private mutating func bits(_ count: Int) throws(InflateError) -> Int {
        while bitCount < count {
            guard position < bytes.count else { throw .corrupt("the compressed data ends early") }
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
        guard position + 4 <= bytes.count else { throw .corrupt("the compressed data ends early") }
        let length = Int(bytes[position]) | Int(bytes[position + 1]) << 8
        let complement = Int(bytes[position + 2]) | Int(bytes[position + 3]) << 8
        guard length == ~complement & 0xFFFF else { throw .corrupt("stored block length check failed") }
        position += 4
        guard position + length <= bytes.count else { throw .corrupt("the compressed data ends early") }
        if output.count + length > limit { try makeRoom(for: output.count + length) }
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
        throw .corrupt("invalid Huffman code")
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    private mutating func codesBlock(literals: Huffman, distances: Huffman, into output: inout [UInt8]) throws(InflateError) {
        while true {
            let symbol = try decode(literals)
            if symbol < 256 {
                if output.count >= limit { try makeRoom(for: output.count + 1) }
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let lengthCode = symbol - 257
                guard lengthCode < 29 else { throw .corrupt("invalid literal/length code") }
                let length = Inflater.lengthBase[lengthCode] + (try bits(Inflater.lengthExtra[lengthCode]))
                let distanceCode = try decode(distances)
                guard distanceCode < 30 else { throw .corrupt("invalid distance code") }
                let distance = Inflater.distanceBase[distanceCode] + (try bits(Inflater.distanceExtra[distanceCode]))
                guard distance <= output.count - outputStart else { throw .corrupt("invalid distance too far back") }
                if output.count + length > limit { try makeRoom(for: output.count + length) }
                let from = output.count - distance
                for offset in 0..<length { output.append(output[from + offset]) }
            }
        }
    }

    private mutating func dynamicTables() throws(InflateError) -> (Huffman, Huffman) {
        let literalCount = try bits(5) + 257, distanceCount = try bits(5) + 1, codeLengthCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw .corrupt("too many length or distance codes") }
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
                guard let previous = lengths.last else { throw .corrupt("a repeat code with no previous length") }
                lengths += repeatElement(previous, count: 3 + (try bits(2)))
            case 17: lengths += repeatElement(0, count: 3 + (try bits(3)))
            default: lengths += repeatElement(0, count: 11 + (try bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount else { throw .corrupt("code lengths overflow the table") }
        guard lengths[256] != 0 else { throw .corrupt("no end-of-block code") }
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
            guard left >= 0 else { throw .corrupt("over-subscribed Huffman code") }
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
