/// The JSON header of a safetensors file: each tensor's dtype, shape and byte range in the
/// data section, and the optional `__metadata__` strings.
///
/// It accepts what the reference reader (the Rust `safetensors` crate) accepts, such as
/// `"__metadata__": null` and unknown fields in a tensor's entry, and rejects what it
/// rejects, such as shapes that are not non-negative integers; it also rejects keys given
/// twice. Errors name the tensor and the field.
struct SafetensorsHeader {
    /// A tensor's description, as written.
    struct Entry {
        /// The dtype's name, such as `"F32"`.
        let dtype: String
        /// The sizes of the dimensions.
        let shape: [Int]
        /// The byte range in the data section.
        let dataOffsets: Range<Int>
    }

    /// The tensors, in header order.
    let entries: [(name: String, entry: Entry)]
    /// The `__metadata__` strings.
    let metadata: [String: String]

    /// The most bytes a header may have, as in the reference reader.
    static let maximumLength = 100_000_000

    /// Parses the header's bytes.
    init(_ bytes: [UInt8]) throws(CheckpointError) {
        guard case .object(let members) = try HeaderJSON.parse(bytes) else {
            throw .invalidHeader("the header is not a JSON object")
        }
        var entries: [(name: String, entry: Entry)] = []
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try Self.metadata(value)
            } else {
                entries.append((key, try Self.entry(named: key, value)))
            }
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// The `__metadata__` value: null or an object of strings.
    private static func metadata(_ value: JSONValue) throws(CheckpointError) -> [String: String] {
        switch value {
        case .null: return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for (key, value) in members {
                guard case .string(let text) = value else {
                    throw .invalidHeader("__metadata__ field '\(key)' must be a string, found \(value.summary)")
                }
                metadata[key] = text
            }
            return metadata
        default: throw .invalidHeader("__metadata__ must be an object of strings or null, found \(value.summary)")
        }
    }

    /// A tensor's entry: an object with `dtype`, `shape` and `data_offsets` (other fields
    /// are ignored, as the reference reader ignores them).
    private static func entry(named name: String, _ value: JSONValue) throws(CheckpointError) -> Entry {
        guard case .object(let members) = value else {
            throw .invalidEntry(name: name, field: nil, reason: "the entry must be an object, found \(value.summary)")
        }
        func field(_ field: String) throws(CheckpointError) -> JSONValue {
            guard let value = members.first(where: { $0.key == field })?.value else {
                throw .invalidEntry(name: name, field: field, reason: "missing")
            }
            return value
        }
        let dtypeValue = try field("dtype")
        guard case .string(let dtype) = dtypeValue else {
            throw .invalidEntry(name: name, field: "dtype", reason: "must be a string, found \(dtypeValue.summary)")
        }
        let shape = try integers(try field("shape"), name: name, field: "shape")
        let offsets = try integers(try field("data_offsets"), name: name, field: "data_offsets")
        guard offsets.count == 2 else {
            throw .invalidEntry(name: name, field: "data_offsets", reason: "must be 2 integers, found \(offsets.count)")
        }
        guard offsets[0] <= offsets[1] else {
            throw .invalidEntry(name: name, field: "data_offsets", reason: "the end \(offsets[1]) is before the start \(offsets[0])")
        }
        return Entry(dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1])
    }

    /// An array of non-negative integers written as such (not `2.0`, `"2"` or `-1`).
    private static func integers(_ value: JSONValue, name: String, field: String) throws(CheckpointError) -> [Int] {
        guard case .array(let elements) = value else {
            throw .invalidEntry(name: name, field: field, reason: "must be an array of integers, found \(value.summary)")
        }
        var result: [Int] = []
        for (index, element) in elements.enumerated() {
            guard case .number(let text) = element, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw .invalidEntry(name: name, field: field, reason: "entry \(index) is \(element.summary), not a non-negative integer")
            }
            guard let integer = Int(text) else {
                throw .invalidEntry(name: name, field: field, reason: "entry \(index) is \(element.summary), too large")
            }
            result.append(integer)
        }
        return result
    }
}
