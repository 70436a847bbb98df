import Foundation

/// A JSON value of a safetensors header, objects keeping their members in file order and
/// numbers kept as written, so that `2` and `2.0` stay distinguishable.
indirect enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The value as it could appear in a message, shortened.
    var summary: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let text): return "the string \"\(text.count > 20 ? text.prefix(20) + "…" : text)\""
        case .number(let text): return text.count > 24 ? String(text.prefix(24)) + "…" : text
        case .bool(let flag): return "\(flag)"
        case .null: return "null"
        }
    }
}

/// A strict JSON parser (RFC 8259, as serde_json reads it) for safetensors headers.
///
/// Unlike Foundation's it rejects what the reference reader rejects (a byte-order mark,
/// trailing commas, anything but whitespace after the value) and, beyond it, a key that
/// occurs twice in one object, which readers resolve differently (the first wins in some,
/// the last in others), so the same file would load different tensors.
struct HeaderJSON {
    private let bytes: [UInt8]
    private var position = 0
    /// serde_json's default recursion limit.
    private static let maximumDepth = 128

    /// Parses `bytes` as one JSON value surrounded by optional whitespace.
    ///
    /// - Throws: ``CheckpointError/invalidHeader(_:)`` naming what is wrong and the byte
    ///   of the header where it is.
    static func parse(_ bytes: [UInt8]) throws(CheckpointError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw .invalidHeader("the header starts with a UTF-8 byte-order mark, which JSON does not allow")
        }
        guard String(bytes: bytes, encoding: .utf8) != nil else { throw .invalidHeader("the header is not valid UTF-8") }
        var parser = HeaderJSON(bytes: bytes)
        let value = try parser.value(depth: 0, path: nil)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected characters after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// An error at the current position.
    private func error(_ message: String) -> CheckpointError {
        .invalidHeader("\(message) at byte \(position) of the header")
    }

    /// The error for a comma before a closing bracket, at the comma.
    private mutating func trailingComma() -> CheckpointError {
        repeat { position -= 1 } while bytes[position] != UInt8(ascii: ",")
        return error("trailing comma")
    }

    private var next: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    /// Consumes `byte` if it comes next (after whitespace).
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard next == byte else { return false }
        position += 1
        return true
    }

    /// A value; `path` names the object member it belongs to, for messages.
    private mutating func value(depth: Int, path: String?) throws(CheckpointError) -> JSONValue {
        skipWhitespace()
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
        guard let byte = next else { throw error("the header ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth, path: path)
        case UInt8(ascii: "["): return try array(depth: depth, path: path)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("expected a value")
        }
    }

    private mutating func object(depth: Int, path: String?) throws(CheckpointError) -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var keys = Set<String>()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            skipWhitespace()
            if next == UInt8(ascii: "}") && !members.isEmpty { throw trailingComma() }
            guard next == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyStart = position
            let key = try string()
            guard keys.insert(key).inserted else {
                position = keyStart
                throw error(path.map { "duplicate key '\(key)' in the entry of '\($0)'" } ?? "duplicate key '\(key)'")
            }
            guard consume(UInt8(ascii: ":")) else { throw error("expected ':' after the key '\(key)'") }
            members.append((key, try value(depth: depth + 1, path: path ?? key)))
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")) else { throw error("expected ',' or '}' in an object") }
        return .object(members)
    }

    private mutating func array(depth: Int, path: String?) throws(CheckpointError) -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            skipWhitespace()
            if next == UInt8(ascii: "]") && !elements.isEmpty { throw trailingComma() }
            elements.append(try value(depth: depth + 1, path: path))
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "]")) else { throw error("expected ',' or ']' in an array") }
        return .array(elements)
    }

    private mutating func literal(_ word: String, _ result: JSONValue) throws(CheckpointError) -> JSONValue {
        let text = Array(word.utf8)
        guard bytes[position...].starts(with: text) else { throw error("expected a value") }
        position += text.count
        return result
    }

    /// A number in JSON's grammar, returned as written.
    private mutating func number() throws(CheckpointError) -> JSONValue {
        let start = position
        func invalid(_ detail: String) -> CheckpointError {
            position = start
            return error("invalid number\(detail)")
        }
        func digits() -> Int {
            let first = position
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
            return position - first
        }
        if next == UInt8(ascii: "-") { position += 1 }
        if next == UInt8(ascii: "0") {
            position += 1
            if let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { throw invalid(" (leading zero)") }
        } else if digits() == 0 {
            throw invalid("")
        }
        if next == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw invalid(" (no digits after '.')") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            position += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw invalid(" (no digits in the exponent)") }
        }
        return .number(String(decoding: bytes[start..<position], as: UTF8.self))
    }

    /// A string (the opening quote next), with its escapes resolved.
    private mutating func string() throws(CheckpointError) -> String {
        position += 1
        var result: [UInt8] = []
        while true {
            guard let byte = next else { throw error("the header ends inside a string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: result, as: UTF8.self)
            case 0..<0x20: position -= 1; throw error("a control character inside a string")
            case UInt8(ascii: "\\"): result += try escape()
            default: result.append(byte)
            }
        }
    }

    /// The UTF-8 bytes of the escape after a backslash.
    private mutating func escape() throws(CheckpointError) -> [UInt8] {
        guard let byte = next else { throw error("the header ends inside a string") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return [byte]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800..<0xDC00).contains(scalar) {
                guard bytes[position...].starts(with: Array("\\u".utf8)) else { throw error("a lone surrogate in a \\u escape") }
                position += 2
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate in a \\u escape") }
                scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("a lone surrogate in a \\u escape") }
            return Array(String(Character(unicode)).utf8)
        default:
            position -= 1
            throw error("an invalid escape in a string")
        }
    }

    /// Four hexadecimal digits.
    private mutating func hexQuad() throws(CheckpointError) -> UInt32 {
        guard position + 4 <= bytes.count,
              let value = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16),
              bytes[position..<(position + 4)].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
        else { throw error("an invalid \\u escape") }
        position += 4
        return value
    }
}
