import AutogradCore
import AutogradEngine
import Foundation

/// The safetensors file format (Hugging Face's, read by `safetensors.torch.load_file`):
/// an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
/// and byte range, and the raw little-endian data.
///
/// Files written here are byte for byte what `safetensors.torch.save_file` writes for the
/// same tensors: entries ordered by dtype (larger first) then name, compact JSON, and the
/// header padded with spaces to a multiple of 8 bytes.
/// ```swift
/// let bytes = Safetensors.encode([SafetensorsEntry(name: "w", tensor: w)])
/// let file = try Safetensors.decode(bytes)
/// file.tensors["w"]!.tensor.scalars == w.scalars   // true
/// ```
public enum Safetensors {
    /// The bytes of a safetensors file holding `entries` (names must be unique) and the
    /// optional string `metadata` (the header's `__metadata__`).
    public static func encode(_ entries: [SafetensorsEntry], metadata: [String: String] = [:]) -> [UInt8] {
        checkUsage(Set(entries.map(\.name)).count == entries.count, "safetensors: tensor names must be unique")
        let ordered = entries.sorted {
            $0.dtype.sortRank != $1.dtype.sortRank ? $0.dtype.sortRank > $1.dtype.sortRank : $0.name < $1.name
        }
        var data: [UInt8] = []
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for entry in ordered {
            let start = data.count
            entry.dtype.encode(entry.tensor.array, into: &data)
            let shape = entry.tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(start),\(data.count)]}")
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var file: [UInt8] = []
        file.reserveCapacity(8 + header.count + data.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
        return file + header + data
    }

    /// Parses a safetensors file, checking everything its header claims against the bytes
    /// that are there.
    ///
    /// The header is read as strictly as the reference reader reads it (no byte-order mark,
    /// no trailing commas, shapes and offsets of non-negative integers), and a key given
    /// twice is an error rather than a choice between two tensors.
    ///
    /// - Throws: ``CheckpointError/truncated(_:)`` when the file ends early,
    ///   ``CheckpointError/invalidHeader(_:)`` when the header is not valid JSON of the
    ///   right form, ``CheckpointError/invalidEntry(name:field:reason:)`` naming the tensor
    ///   and field that is wrong, and ``CheckpointError/unsupportedDType(name:dtype:)`` for
    ///   types this library lacks.
    public static func decode(_ bytes: [UInt8]) throws(CheckpointError) -> SafetensorsFile {
        guard bytes.count >= 8 else {
            throw .truncated("the file has \(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .truncated("the header length is \(headerLength) bytes but only \(bytes.count - 8) bytes follow")
        }
        guard headerLength <= UInt64(SafetensorsHeader.maximumLength) else {
            throw .invalidHeader("the header length is \(headerLength) bytes, more than the format's limit of \(SafetensorsHeader.maximumLength)")
        }
        let dataStart = 8 + Int(headerLength)
        let header = try SafetensorsHeader(Array(bytes[8..<dataStart]))
        let dataLength = bytes.count - dataStart
        var tensors: [String: SafetensorsEntry] = [:]
        var ranges: [(name: String, range: Range<Int>)] = []
        for (name, raw) in header.entries {
            guard let dtype = SafetensorsDType(rawValue: raw.dtype) else {
                throw .unsupportedDType(name: name, dtype: raw.dtype)
            }
            guard let size = byteCount(ofUntrustedShape: raw.shape, bytesPerElement: dtype.byteCount) else {
                throw .invalidEntry(name: name, field: "shape", reason: "\(raw.shape) of \(dtype.rawValue) is too large")
            }
            let range = raw.dataOffsets
            guard range.count == size else {
                throw .invalidEntry(name: name, field: "data_offsets", reason: "[\(range.lowerBound), \(range.upperBound)] hold \(range.count) bytes but shape \(raw.shape) of \(dtype.rawValue) needs \(size)")
            }
            guard range.upperBound <= dataLength else {
                throw .truncated("tensor '\(name)' needs bytes \(range.lowerBound)..<\(range.upperBound) but the data section has \(dataLength)")
            }
            let values = bytes.withUnsafeBytes { buffer in
                dtype.decode(UnsafeRawBufferPointer(rebasing: buffer[(dataStart + range.lowerBound)...]),
                             count: size / dtype.byteCount, shape: raw.shape)
            }
            tensors[name] = SafetensorsEntry(name: name, tensor: Tensor(values), dtype: dtype)
            ranges.append((name, range))
        }
        try checkCoverage(ranges, dataLength: dataLength)
        return SafetensorsFile(tensors: tensors, metadata: header.metadata)
    }

    /// Reads and decodes the file at `url`.
    public static func read(from url: URL) throws(CheckpointError) -> SafetensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(path: url.path, reason: describe(error))
        }
        return try decode([UInt8](data))
    }

    /// Encodes `entries` and writes them to `url`, replacing the file atomically.
    public static func write(_ entries: [SafetensorsEntry], metadata: [String: String] = [:], to url: URL) throws(CheckpointError) {
        do {
            try Data(encode(entries, metadata: metadata)).write(to: url, options: .atomic)
        } catch {
            throw .unwritable(path: url.path, reason: describe(error))
        }
    }

    /// The tensors must tile the data section: no gaps, no overlaps, nothing left over.
    private static func checkCoverage(_ ranges: [(name: String, range: Range<Int>)], dataLength: Int) throws(CheckpointError) {
        var end = 0
        for (name, range) in ranges.sorted(by: { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }) {
            guard range.lowerBound == end else {
                throw .invalidEntry(name: name, field: "data_offsets",
                                    reason: "starts at byte \(range.lowerBound) of the data section, expected \(end) (gap or overlap)")
            }
            end = range.upperBound
        }
        guard end == dataLength else {
            throw .invalidHeader("the tensors cover \(end) bytes but the data section has \(dataLength)")
        }
    }

    /// A short description of a Foundation error.
    private static func describe(_ error: Error) -> String { (error as NSError).localizedDescription }
}

/// One named tensor of a safetensors file, with the type it is stored as.
public struct SafetensorsEntry {
    /// The key, such as `"0.weight"`.
    public let name: String
    /// The values.
    public let tensor: Tensor
    /// How the values are stored in the file.
    public let dtype: SafetensorsDType

    /// An entry stored as `dtype`, by default the type of the tensor's own dtype.
    public init(name: String, tensor: Tensor, dtype: SafetensorsDType? = nil) {
        self.name = name
        self.tensor = tensor
        self.dtype = dtype ?? SafetensorsDType(tensor.dtype)
    }
}

/// The contents of a safetensors file.
public struct SafetensorsFile {
    /// The tensors by name.
    public let tensors: [String: SafetensorsEntry]
    /// The header's `__metadata__` strings.
    public let metadata: [String: String]
}

/// `value` as a JSON string literal, escaped as serde_json escapes it.
private func jsonString(_ value: String) -> String {
    var result = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "\u{08}": result += "\\b"
        case "\u{0C}": result += "\\f"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
