/// Decompression of gzip files (RFC 1952) and the DEFLATE data inside them (RFC 1951),
/// written here so the package needs no system zlib.
///
/// Decompression is bounded: the whole output may not pass the caller's `maximumSize`, and
/// the last member may not pass the size its trailer declares, so a small hostile file
/// (a "zip bomb") is refused after a bounded amount of work instead of exhausting memory.
/// ```swift
/// let csv = try Gzip.decompress(bytes)      // throws DataError on bad or oversized input
/// ```
public enum Gzip {
    /// The most bytes ``decompress(_:source:maximumSize:)`` produces unless told otherwise:
    /// 512 MiB, ten times the largest MNIST file (47 MB of training images).
    public static let defaultMaximumSize = 512 << 20

    /// Whether `bytes` start with the gzip magic number.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// The decompressed contents of a gzip file (all its members, concatenated), checked
    /// against the CRC-32 and length each member records.
    ///
    /// The output is bounded twice. Its total may not pass `maximumSize`. And the last
    /// member may not pass the size (modulo 2³², as gzip records it) in the file's final
    /// trailer: once a member outgrows that size and no further member can follow it,
    /// decompression stops. Earlier members of a multi-member file are bounded by
    /// `maximumSize` alone, since their trailers are found only by decompressing them. As
    /// a file may end in zero padding, a trailer whose size ends in zero bytes (any size
    /// under 16 MiB) bounds its member less tightly than it says.
    ///
    /// - Parameters:
    ///   - source: The file's name, used in error messages.
    ///   - maximumSize: The most bytes the output may hold; larger output throws instead of
    ///     being produced.
    /// - Throws: ``DataError/tooLarge(path:limit:)`` when the output would pass
    ///   `maximumSize`, and ``DataError/corrupted(path:reason:)`` for anything that is not
    ///   valid gzip, including a member that outgrows its declared size and a
    ///   back-reference before the start of its member's output ("invalid distance too far
    ///   back", as zlib says).
    public static func decompress(_ bytes: [UInt8], source: String = "<memory>", maximumSize: Int = defaultMaximumSize)
        throws(DataError) -> [UInt8]
    {
        precondition(maximumSize >= 0, "Gzip.decompress: maximumSize must be non-negative, got \(maximumSize)")
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(InflateError) in
                guard isCompressed(bytes) else { throw .corrupt("not a gzip file (bad magic number)") }
                // The final trailer's size is a lower bound on the output of a valid file
                // (zero padding only makes it smaller), so a larger one can be refused now,
                // unless it is more than DEFLATE's 1032-fold expansion of the whole file
                // could give: then the file is damaged (truncated, say), and decompressing
                // it finds out how.
                let declared = bytes.count >= 4 ? Int(littleEndianWord(buffer, at: bytes.count - 4)) : 0
                let mostPossible = bytes.count.multipliedReportingOverflow(by: 1032).partialValue
                guard declared <= maximumSize || declared > mostPossible else { throw .tooLarge(limit: maximumSize) }
                var output: [UInt8] = []
                output.reserveCapacity(Swift.min(declared, maximumSize, mostPossible))
                var position = 0
                repeat {
                    position = try decompressMember(buffer, at: position, into: &output, maximumSize: maximumSize)
                } while position + 2 <= buffer.count && buffer[position] == 0x1F && buffer[position + 1] == 0x8B
                guard buffer[position...].allSatisfy({ $0 == 0 }) else {
                    throw .corrupt("\(buffer.count - position) bytes of trailing garbage after the compressed data")
                }
                return output
            }
        } catch {
            switch error {
            case .corrupt(let message): throw .corrupted(path: source, reason: "gzip: \(message)")
            case .tooLarge(let limit): throw .tooLarge(path: source, limit: limit)
            }
        }
    }

    /// Decompresses the member starting at `start`; returns where the next one starts.
    private static func decompressMember(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, into output: inout [UInt8],
                                         maximumSize: Int) throws(InflateError) -> Int {
        var position = start
        func byte() throws(InflateError) -> UInt8 {
            guard position < bytes.count else { throw .corrupt("the file ends inside a header") }
            defer { position += 1 }
            return bytes[position]
        }
        guard try byte() == 0x1F, try byte() == 0x8B else { throw .corrupt("not a gzip file (bad magic number)") }
        guard try byte() == 8 else { throw .corrupt("unknown compression method") }
        let flags = try byte()
        guard flags & 0xE0 == 0 else { throw .corrupt("reserved header flags are set") }
        for _ in 0..<6 { _ = try byte() }  // modification time, extra flags, operating system
        if flags & 0x04 != 0 {  // FEXTRA
            let length = Int(try byte()) | Int(try byte()) << 8
            for _ in 0..<length { _ = try byte() }
        }
        if flags & 0x08 != 0 { while try byte() != 0 {} }  // FNAME
        if flags & 0x10 != 0 { while try byte() != 0 {} }  // FCOMMENT
        if flags & 0x02 != 0 { _ = try byte(); _ = try byte() }  // FHCRC
        let outputStart = output.count
        var inflater = Inflater(bytes, position: position, outputStart: outputStart, maximumOutput: maximumSize)
        try inflater.inflate(into: &output)
        position = inflater.bytePosition
        guard position + 8 <= bytes.count else { throw .corrupt("the file ends before the CRC-32 and length trailer") }
        guard littleEndianWord(bytes, at: position) == CRC32.checksum(output[outputStart...]) else {
            throw .corrupt("CRC-32 mismatch (the data is damaged)")
        }
        guard littleEndianWord(bytes, at: position + 4) == UInt32(truncatingIfNeeded: output.count - outputStart) else {
            throw .corrupt("length mismatch (the data is damaged)")
        }
        return position + 8
    }

    /// The most bytes a member may produce according to the file's last trailer, given
    /// that its compressed data reaches at least to `position` and that `room` bytes are
    /// left under the caller's limit; nil when no declared size fits in `room`.
    ///
    /// The trailer's length field is the file's last four bytes unless the file ends in
    /// zero padding (which gzip and Python accept), so each place it could sit counts, and
    /// a length `n` allows any size `n + k·2³²` that fits in `room`. The size holds for the
    /// member only if it is the last one: see ``mayFollow(_:after:)``.
    static func declaredLimit(_ bytes: UnsafeBufferPointer<UInt8>, after position: Int, room: Int) -> Int? {
        var padding = 0
        while padding < bytes.count && bytes[bytes.count - 1 - padding] == 0 { padding += 1 }
        var limit: Int?
        for shift in 0...padding {
            let end = bytes.count - shift
            guard end - 8 >= position else { break }
            let length = Int(littleEndianWord(bytes, at: end - 4))
            guard length <= room else { continue }
            limit = Swift.max(limit ?? 0, length + ((room - length) >> 32) << 32)
        }
        return limit
    }

    /// Whether another member could follow the one whose compressed data reaches at least
    /// to `position`: whether a gzip header starts anywhere after that member's trailer.
    static func mayFollow(_ bytes: UnsafeBufferPointer<UInt8>, after position: Int) -> Bool {
        var next = position + 8
        while next + 3 <= bytes.count {
            if bytes[next] == 0x1F && bytes[next + 1] == 0x8B && bytes[next + 2] == 8 { return true }
            next += 1
        }
        return false
    }

    /// The little-endian 32-bit word at `offset`.
    private static func littleEndianWord(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
}

/// A decompression failure.
enum InflateError: Error {
    /// The data is not valid, with what was wrong.
    case corrupt(String)
    /// The output would pass the caller's limit of `limit` bytes.
    case tooLarge(limit: Int)
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
