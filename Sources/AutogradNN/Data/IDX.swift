/// An unsigned-byte array in the IDX format (MNIST's): a big-endian magic number
/// `0x0000 08 nd` (`08` for unsigned bytes, `nd` the number of dimensions), `nd`
/// big-endian 32-bit sizes, then exactly that many bytes.
struct IDXArray {
    /// The sizes the header gives.
    let dimensions: [Int]
    /// The values, row-major.
    let values: [UInt8]

    /// Parses `bytes`, which must hold an array of `rank` dimensions.
    ///
    /// - Parameter source: The file's name, used in error messages.
    /// - Throws: ``DataError/corrupted(path:reason:)`` for a bad magic number, a header or
    ///   data section that ends early, or bytes past the end of the data.
    init(_ bytes: [UInt8], rank: Int, source: String) throws(DataError) {
        let expectedMagic = 0x0800 | rank
        let magic = bytes.count >= 4 ? Self.word(bytes, at: 0) : -1
        guard magic == expectedMagic else {
            let found = magic < 0 ? "a file of \(bytes.count) bytes" : "magic number \(Self.hex(magic))"
            throw .corrupted(path: source, reason: "not an IDX file of unsigned bytes in \(rank) dimension\(rank == 1 ? "" : "s"): found \(found), expected magic number \(Self.hex(expectedMagic))")
        }
        let dataStart = 4 + 4 * rank
        guard bytes.count >= dataStart else {
            throw .corrupted(path: source, reason: "the file ends inside its header (\(bytes.count) of \(dataStart) bytes)")
        }
        let dimensions = (0..<rank).map { Self.word(bytes, at: 4 + 4 * $0) }
        let sizes = dimensions.map(String.init).joined(separator: "×")
        let present = bytes.count - dataStart
        guard let count = byteCount(ofUntrustedShape: dimensions) else {
            throw .corrupted(path: source, reason: "the header's sizes \(sizes) are too large")
        }
        guard present == count else {
            let problem = present < count ? "it is truncated" : "\(present - count) byte\(present - count == 1 ? "" : "s") too many"
            throw .corrupted(path: source, reason: "the header promises \(sizes) = \(count) values but the file holds \(present) (\(problem))")
        }
        self.dimensions = dimensions
        self.values = Array(bytes[dataStart...])
    }

    /// The big-endian 32-bit word at `offset`.
    private static func word(_ bytes: [UInt8], at offset: Int) -> Int {
        (0..<4).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
    }

    /// `value` as eight hexadecimal digits, like `0x00000803`.
    private static func hex(_ value: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: Swift.max(0, 8 - digits.count)) + digits
    }
}
