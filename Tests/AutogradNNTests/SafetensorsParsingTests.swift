import Foundation
import XCTest
import Autograd

/// The safetensors header is read as the reference reader (the Rust crate behind
/// `safetensors.torch.load_file`) reads it, except that a key given twice is an error.
final class SafetensorsParsingTests: XCTestCase {
    /// A file of `header` (as bytes) and `data`.
    private func file(_ header: [UInt8], data: [UInt8] = [0, 0, 0, 0]) -> [UInt8] {
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + data
    }

    private func file(_ header: String, data: [UInt8] = [0, 0, 0, 0]) -> [UInt8] { file(Array(header.utf8), data: data) }

    /// An entry of one F32 value at bytes 0..<4, with `fields` replaced or added.
    private func entry(_ name: String = "w", dtype: String = #""F32""#, shape: String = "[1]", offsets: String = "[0,4]") -> String {
        #""\#(name)":{"dtype":\#(dtype),"shape":\#(shape),"data_offsets":\#(offsets)}"#
    }

    /// Asserts that decoding `bytes` throws exactly `expected`, in one line.
    private func assertThrows(_ bytes: [UInt8], _ expected: CheckpointError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Safetensors.decode(bytes), file: file, line: line) { error in
            XCTAssertEqual(error as? CheckpointError, expected, file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "the message is one line", file: file, line: line)
        }
    }

    func testDuplicateKeysAreAnError() {
        // Foundation's decoder kept the first of these and PyTorch keeps the last.
        let twice = "{\(entry()),\(entry(dtype: #""I32""#))}"
        assertThrows(file(twice), .invalidHeader("duplicate key 'w' at byte 54 of the header"))
        XCTAssertEqual(CheckpointError.invalidHeader("duplicate key 'w' at byte 54 of the header").description,
                       "corrupted checkpoint header: duplicate key 'w' at byte 54 of the header")
        // The same key spelled with an escape is the same key.
        assertThrows(file("{\(entry()),\(entry(#"\u0077"#))}"), .invalidHeader(#"duplicate key 'w' at byte 54 of the header"#))
        assertThrows(file(#"{"w":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#),
                     .invalidHeader("duplicate key 'dtype' in the entry of 'w' at byte 20 of the header"))
        assertThrows(file(#"{"__metadata__":{"a":"1"},"__metadata__":{"a":"2"},"# + entry() + "}"),
                     .invalidHeader("duplicate key '__metadata__' at byte 26 of the header"))
        assertThrows(file(#"{"__metadata__":{"a":"1","a":"2"},"# + entry() + "}"),
                     .invalidHeader("duplicate key 'a' in the entry of '__metadata__' at byte 25 of the header"))
    }

    func testTrailingCommasAndAByteOrderMarkAreRejected() {
        assertThrows(file("{\(entry()),}"), .invalidHeader("trailing comma at byte 53 of the header"))
        assertThrows(file("{\(entry(shape: "[1,]"))}"), .invalidHeader("trailing comma at byte 30 of the header"))
        assertThrows(file([0xEF, 0xBB, 0xBF] + Array("{\(entry())}".utf8)),
                     .invalidHeader("the header starts with a UTF-8 byte-order mark, which JSON does not allow"))
    }

    func testShapesAndOffsetsMustBeNonNegativeIntegers() {
        for (shape, written) in [("[1.0]", "1.0"), (#"["1"]"#, #"the string "1""#), ("[-1]", "-1"), ("[1e0]", "1e0"),
                                 ("[-0]", "-0"), ("[true]", "true"), ("[null]", "null")] {
            assertThrows(file("{\(entry(shape: shape))}"),
                         .invalidEntry(name: "w", field: "shape", reason: "entry 0 is \(written), not a non-negative integer"))
        }
        assertThrows(file("{\(entry(shape: "null"))}"),
                     .invalidEntry(name: "w", field: "shape", reason: "must be an array of integers, found null"))
        assertThrows(file("{\(entry(shape: "[99999999999999999999]"))}"),
                     .invalidEntry(name: "w", field: "shape", reason: "entry 0 is 99999999999999999999, too large"))
        assertThrows(file("{\(entry(offsets: "[0,4.0]"))}"),
                     .invalidEntry(name: "w", field: "data_offsets", reason: "entry 1 is 4.0, not a non-negative integer"))
        assertThrows(file("{\(entry(offsets: "[0,4,4]"))}"),
                     .invalidEntry(name: "w", field: "data_offsets", reason: "must be 2 integers, found 3"))
        assertThrows(file("{\(entry(offsets: "[4,0]"))}"),
                     .invalidEntry(name: "w", field: "data_offsets", reason: "the end 0 is before the start 4"))
        assertThrows(file("{\(entry(shape: "[2]"))}"),
                     .invalidEntry(name: "w", field: "data_offsets", reason: "[0, 4] hold 4 bytes but shape [2] of F32 needs 8"))
        assertThrows(file("{\(entry("a")),\(entry("b"))}", data: [0, 0, 0, 0, 0, 0, 0, 0]),
                     .invalidEntry(name: "b", field: "data_offsets", reason: "starts at byte 0 of the data section, expected 4 (gap or overlap)"))
        XCTAssertEqual(CheckpointError.invalidEntry(name: "w", field: "shape", reason: "entry 0 is 1.0, not a non-negative integer").description,
                       "corrupted checkpoint header: tensor 'w' field 'shape': entry 0 is 1.0, not a non-negative integer")
    }

    func testMissingAndMistypedFieldsNameTheTensorAndField() {
        assertThrows(file(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#), .invalidEntry(name: "w", field: "dtype", reason: "missing"))
        assertThrows(file(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#), .invalidEntry(name: "w", field: "shape", reason: "missing"))
        assertThrows(file(#"{"w":{"dtype":"F32","shape":[1]}}"#), .invalidEntry(name: "w", field: "data_offsets", reason: "missing"))
        assertThrows(file("{\(entry(dtype: "32"))}"), .invalidEntry(name: "w", field: "dtype", reason: "must be a string, found 32"))
        assertThrows(file("{\(entry(dtype: #""f32""#))}"), .unsupportedDType(name: "w", dtype: "f32"))
        assertThrows(file(#"{"w":null}"#), .invalidEntry(name: "w", field: nil, reason: "the entry must be an object, found null"))
        XCTAssertEqual(CheckpointError.invalidEntry(name: "w", field: nil, reason: "the entry must be an object, found null").description,
                       "corrupted checkpoint header: tensor 'w': the entry must be an object, found null")
        assertThrows(file(#"{"__metadata__":{"a":1},"# + entry() + "}"),
                     .invalidHeader("__metadata__ field 'a' must be a string, found 1"))
        assertThrows(file(#"{"__metadata__":[],"# + entry() + "}"),
                     .invalidHeader("__metadata__ must be an object of strings or null, found an array"))
        assertThrows(file("[]"), .invalidHeader("the header is not a JSON object"))
    }

    func testOtherMalformedJSONIsRejected() {
        let cases: [(String, [UInt8], String)] = [
            ("a NUL after the object", Array("{\(entry())}\u{0}".utf8), "unexpected characters after the JSON value at byte 54 of the header"),
            ("a comment", Array("{\(entry())}//".utf8), "unexpected characters after the JSON value at byte 54 of the header"),
            ("a leading zero", Array("{\(entry(shape: "[01]"))}".utf8), "invalid number (leading zero) at byte 29 of the header"),
            ("a control character", Array("{\"w\u{1}\":{}}".utf8), "a control character inside a string at byte 3 of the header"),
            ("a lone surrogate", Array(#"{"\ud800":{}}"#.utf8), #"a lone surrogate in a \u escape at byte 8 of the header"#),
            ("invalid UTF-8", [UInt8(ascii: "{"), UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\""), UInt8(ascii: ":"), UInt8(ascii: "1"), UInt8(ascii: "}")],
             "the header is not valid UTF-8"),
            ("deep nesting", Array(("{\"w\":" + String(repeating: "[", count: 200)).utf8), "nesting deeper than 128 levels at byte 132 of the header"),
            ("single quotes", Array("{'w':1}".utf8), "expected a string key at byte 1 of the header"),
            ("an unfinished object", Array("{\"w\":{}".utf8), "expected ',' or '}' in an object at byte 7 of the header"),
            ("an empty header", [], "the header ends where a value should be at byte 0 of the header"),
        ]
        for (name, header, message) in cases {
            XCTAssertThrowsError(try Safetensors.decode(file(header)), name) { error in
                XCTAssertEqual(error as? CheckpointError, .invalidHeader(message), name)
            }
        }
    }

    /// What the reference reader accepts: `U32` (and the other unsigned types),
    /// `"__metadata__": null`, unknown fields, whitespace around the object, escaped keys.
    func testWhatTheReferenceReaderAcceptsIsAccepted() throws {
        let u32 = try Safetensors.decode(file(#"{"__metadata__":null,"w":{"dtype":"U32","shape":[3],"data_offsets":[0,12]}}"#,
                                              data: [0, 0, 0, 0, 7, 0, 0, 0, 0x00, 0x28, 0x6B, 0xEE]))
        XCTAssertEqual(u32.metadata, [:])
        XCTAssertEqual(u32.tensors["w"]?.dtype, .uint32)
        XCTAssertEqual(u32.tensors["w"]?.tensor.scalars, [0, 7, 4_000_000_000])
        let unsigned = try Safetensors.decode(file(
            #"{"a":{"dtype":"U16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"U64","shape":[1],"data_offsets":[2,10]}}"#,
            data: [0xFF, 0xFF, 5, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(unsigned.tensors["a"]?.tensor.scalars, [65535])
        XCTAssertEqual(unsigned.tensors["b"]?.tensor.scalars, [5])
        let relaxed = try Safetensors.decode(file(
            " \t{\"\\u0077\" : {\"dtype\":\"F32\", \"shape\":[ 1 ],\"data_offsets\":[0,4],\"extra\":{\"x\":[1.5,\"y\"]}},\n"
                + "\"__metadata__\":{\"k\":\"v\\n\\ud83d\\ude00\"}}\n   ",
            data: [0, 0, 0x80, 0x3F]))
        XCTAssertEqual(relaxed.tensors["w"]?.tensor.scalars, [1])
        XCTAssertEqual(relaxed.metadata, ["k": "v\n😀"])
        XCTAssertEqual(try Safetensors.decode(file("{}", data: [])).tensors.count, 0)
    }

    /// Unsigned types are written where the reference writer puts them: ordered by dtype,
    /// larger first (U64, I64, F64, F32, U32, I32, F16, U16, I16).
    func testUnsignedTypesAreWrittenInTheReferenceOrder() throws {
        let one = Tensor([1.0])
        let bytes = Safetensors.encode([
            SafetensorsEntry(name: "a", tensor: one, dtype: .uint32), SafetensorsEntry(name: "b", tensor: one),
            SafetensorsEntry(name: "c", tensor: one, dtype: .int32), SafetensorsEntry(name: "d", tensor: one, dtype: .uint16),
            SafetensorsEntry(name: "e", tensor: one, dtype: .int16), SafetensorsEntry(name: "f", tensor: one, dtype: .float16),
            SafetensorsEntry(name: "g", tensor: one, dtype: .uint64), SafetensorsEntry(name: "h", tensor: one, dtype: .int64),
            SafetensorsEntry(name: "i", tensor: one, dtype: .float64),
        ])
        // The header safetensors 0.8.0 writes for the same tensors (numpy's save).
        let reference = #"{"g":{"dtype":"U64","shape":[1],"data_offsets":[0,8]},"h":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},"i":{"dtype":"F64","shape":[1],"data_offsets":[16,24]},"b":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},"a":{"dtype":"U32","shape":[1],"data_offsets":[28,32]},"c":{"dtype":"I32","shape":[1],"data_offsets":[32,36]},"f":{"dtype":"F16","shape":[1],"data_offsets":[36,38]},"d":{"dtype":"U16","shape":[1],"data_offsets":[38,40]},"e":{"dtype":"I16","shape":[1],"data_offsets":[40,42]}}   "#
        XCTAssertEqual(String(decoding: bytes[8..<(8 + reference.utf8.count)], as: UTF8.self), reference)
        let decoded = try Safetensors.decode(bytes)
        XCTAssertEqual(Set(decoded.tensors.values.map(\.tensor.scalars)), [[1]])
    }
}
