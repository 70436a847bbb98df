/// Bits in DEFLATE's order (RFC 1951): values least significant bit first, Huffman codes
/// most significant bit first. Used to build hostile gzip files in the tests.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var used = 8

    /// Appends the low `count` bits of `value`, least significant first.
    mutating func bits(_ value: Int, _ count: Int) {
        for i in 0..<count {
            if used == 8 { bytes.append(0); used = 0 }
            bytes[bytes.count - 1] |= UInt8((value >> i) & 1) << UInt8(used)
            used += 1
        }
    }

    /// Appends a Huffman code of `length` bits, most significant first.
    mutating func code(_ code: Int, _ length: Int) {
        for i in (0..<length).reversed() { bits((code >> i) & 1, 1) }
    }

    /// Appends `count` zero bits, a byte at a time where it can.
    mutating func zeros(_ count: Int) {
        var left = count
        while left > 0 && used != 8 { bits(0, 1); left -= 1 }
        bytes += [UInt8](repeating: 0, count: left / 8)
        bits(0, left % 8)
    }

    /// Appends a literal or a length symbol of the fixed Huffman code (block type 1).
    mutating func fixedSymbol(_ symbol: Int) {
        switch symbol {
        case 0..<144: code(0x30 + symbol, 8)
        case 144..<256: code(0x190 + symbol - 144, 9)
        case 256..<280: code(symbol - 256, 7)
        default: code(0xC0 + symbol - 280, 8)
        }
    }
}

/// The gzip CRC-32 of `bytes`, computed independently of the library's.
func testCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc = UInt32.max
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    return ~crc
}

/// A gzip member around `deflate`, with the trailer's CRC-32 and length as given.
func gzipMember(deflate: [UInt8], crc: UInt32, size: UInt32) -> [UInt8] {
    let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]
    let trailer = [crc, size].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
    return header + deflate + trailer
}

/// A valid gzip member holding `contents` in a stored block.
func storedMember(_ contents: [UInt8]) -> [UInt8] {
    precondition(contents.count < 65536)
    let length = contents.count
    let deflate: [UInt8] = [1, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)] + contents
    return gzipMember(deflate: deflate, crc: testCRC32(contents), size: UInt32(length))
}

/// A DEFLATE "bomb": one dynamic-Huffman block of a zero byte and `pairs` copies of the
/// longest match (258 bytes at distance 1), each coded in 2 bits, so `1 + 258 × pairs`
/// zero bytes come from about `pairs / 4` bytes: DEFLATE's largest ratio, 1032 to 1.
func deflateBomb(pairs: Int) -> [UInt8] {
    var writer = BitWriter()
    writer.bits(1, 1)  // final block
    writer.bits(2, 2)  // dynamic Huffman codes
    writer.bits(286 - 257, 5)
    writer.bits(2 - 1, 5)
    writer.bits(18 - 4, 4)
    // Code-length code: symbols 0, 1, 2 and 18 of length 2 (codes 00, 01, 10, 11).
    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1]
    for symbol in order { writer.bits([0, 1, 2, 18].contains(symbol) ? 2 : 0, 3) }
    let (one, two, repeatZeros) = (0b01, 0b10, 0b11)
    // Literal/length lengths: 0 → 2, 1...255 → 0, 256 → 2, 257...284 → 0, 285 → 1.
    writer.code(two, 2)
    writer.code(repeatZeros, 2); writer.bits(138 - 11, 7)
    writer.code(repeatZeros, 2); writer.bits(117 - 11, 7)
    writer.code(two, 2)
    writer.code(repeatZeros, 2); writer.bits(28 - 11, 7)
    writer.code(one, 2)
    // Distance lengths: codes 0 and 1 of length 1.
    writer.code(one, 2); writer.code(one, 2)
    // Literal/length codes: 285 → 0, 0 → 10, 256 → 11; distance code 0 → 0.
    writer.code(0b10, 2)
    writer.zeros(2 * pairs)
    writer.code(0b11, 2)
    return writer.bytes
}

/// A gzip file of one ``deflateBomb(pairs:)`` member whose trailer declares `declared`
/// bytes (the true size modulo 2³² unless told otherwise) and a CRC-32 of `crc`.
func gzipBomb(pairs: Int, declared: UInt32? = nil, crc: UInt32 = 0xDEAD_BEEF) -> [UInt8] {
    gzipMember(deflate: deflateBomb(pairs: pairs), crc: crc, size: declared ?? UInt32(truncatingIfNeeded: 1 + 258 * pairs))
}
