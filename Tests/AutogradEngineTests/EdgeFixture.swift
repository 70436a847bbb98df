import Foundation
import XCTest
@testable import AutogradEngine

/// One case of Fixtures/autograd_edges.json: PyTorch's answers to the edge cases of
/// autograd semantics (written by Scripts/fixtures/make_autograd_edge_fixtures.py; the
/// script's docstring has the format and names the PyTorch test each case ports).
struct EdgeCase {
    /// The case's fields as JSON values.
    private let fields: [String: Any]
    /// The case's name, for messages.
    let name: String

    /// Every case, read once.
    nonisolated(unsafe) private static let all: [String: [String: Any]] = {
        let url = Bundle.module.url(forResource: "autograd_edges", withExtension: "json", subdirectory: "Fixtures")!
        let root = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return root["cases"] as! [String: [String: Any]]
    }()

    /// The case called `name`.
    init(_ name: String) throws {
        self.name = name
        fields = try XCTUnwrap(Self.all[name], "no case \(name) in autograd_edges.json")
    }

    /// The tensor stored under `key`, or nil where PyTorch had None.
    func optionalTensor(_ key: String, requiresGrad: Bool = false) throws -> Tensor? {
        let value = try XCTUnwrap(fields[key], "\(name) has no field \(key)")
        if value is NSNull { return nil }
        let object = try XCTUnwrap(value as? [String: Any], "\(name).\(key) is not a tensor")
        let shape = (object["shape"] as! [NSNumber]).map(\.intValue)
        let values = (object["values"] as! [NSNumber]).map { Float($0.doubleValue) }
        return Tensor(shape: shape, scalars: values, requiresGrad: requiresGrad)
    }

    /// The tensor stored under `key`.
    func tensor(_ key: String, requiresGrad: Bool = false) throws -> Tensor {
        try XCTUnwrap(try optionalTensor(key, requiresGrad: requiresGrad), "\(name).\(key) is None")
    }

    /// The number stored under `key`.
    func number(_ key: String) throws -> Double {
        try XCTUnwrap(fields[key] as? NSNumber, "\(name).\(key) is not a number").doubleValue
    }

    /// The list of numbers stored under `key`.
    func numbers(_ key: String) throws -> [Double] {
        try XCTUnwrap(fields[key] as? [NSNumber], "\(name).\(key) is not a list of numbers").map(\.doubleValue)
    }

    /// The flag stored under `key`.
    func flag(_ key: String) throws -> Bool {
        try XCTUnwrap(fields[key] as? Bool, "\(name).\(key) is not a bool")
    }

    /// The string stored under `key`, or nil where PyTorch had None.
    func string(_ key: String) throws -> String? { fields[key] as? String }

    /// Checks `actual` against the tensor (or None) stored under `key`: same shape, values
    /// within `accuracy`.
    func assertMatches(
        _ actual: Tensor?, _ key: String, accuracy: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard let expected = try optionalTensor(key) else {
            XCTAssertNil(actual, "\(name).\(key): PyTorch has None", file: file, line: line)
            return
        }
        let actual = try XCTUnwrap(actual, "\(name).\(key): nil where PyTorch has a tensor", file: file, line: line)
        XCTAssertEqual(actual.shape, expected.shape, "\(name).\(key)", file: file, line: line)
        for (index, (a, e)) in zip(actual.scalars, expected.scalars).enumerated() {
            XCTAssertEqual(a, e, accuracy: accuracy * max(1, abs(e)), "\(name).\(key)[\(index)]", file: file, line: line)
        }
    }
}
