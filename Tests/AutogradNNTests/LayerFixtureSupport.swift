import Foundation
import XCTest
import Autograd

/// A setting in a fixture case's `config`: a number, a string, a flag or a list of numbers.
enum FixtureValue: Decodable {
    case number(Double), string(String), flag(Bool), numbers([Double])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            self = .numbers(try container.decode([Double].self))
        }
    }

    var double: Double? { if case .number(let x) = self { return x } else { return nil } }
    var float: Float? { double.map { Float($0) } }
    var int: Int? { double.map { Int($0) } }
    var ints: [Int]? { if case .numbers(let xs) = self { return xs.map { Int($0) } } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var bool: Bool? { if case .flag(let b) = self { return b } else { return nil } }
}

/// A case's settings, by PyTorch-side name.
typealias FixtureConfig = [String: FixtureValue]

/// The contents of `Fixtures/layers.json`, written by `Scripts/fixtures/make_layer_fixtures.py`.
struct LayerFixtures: Decodable {
    struct InitCases: Decodable {
        struct Fan: Decodable { let shape: [Int], fanIn: Int, fanOut: Int }
        struct Gain: Decodable { let nonlinearity: String, param: Double?, gain: Double }
        struct Kaiming: Decodable { let shape: [Int], a: Double, mode: String, nonlinearity: String, std: Double }
        struct Xavier: Decodable { let shape: [Int], gain: Double, std: Double }
        let fans: [Fan], gains: [Gain], kaiming: [Kaiming], xavier: [Xavier]
    }
    struct LayerCase: Decodable {
        let name: String, kind: String, config: FixtureConfig, dtype: String, repr: String
        let state: [String: TensorFixture]
        let input: TensorFixture, output: TensorFixture, upstream: TensorFixture, inputGrad: TensorFixture
        let grads: [String: TensorFixture?]
    }
    struct FunctionCase: Decodable {
        let name: String, kind: String, config: FixtureConfig, dtype: String
        let input: TensorFixture, output: TensorFixture, upstream: TensorFixture, inputGrad: TensorFixture
    }
    struct LossCase: Decodable {
        let name: String, kind: String, config: FixtureConfig, dtype: String
        let input: TensorFixture, target: TensorFixture, weight: TensorFixture?
        let output: TensorFixture, upstream: TensorFixture, inputGrad: TensorFixture, targetGrad: TensorFixture?
    }
    struct Containers: Decodable {
        let namedParameters: [String], stateDict: [String], namedModules: [String], applyOrder: [String], repr: String
    }

    let initCases: InitCases, layers: [LayerCase], functions: [FunctionCase], losses: [LossCase], containers: Containers

    enum CodingKeys: String, CodingKey {
        case initCases = "init", layers, functions, losses, containers
    }

    /// Loads the fixtures once per test run.
    static let shared: LayerFixtures = {
        let url = Bundle.module.url(forResource: "layers", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(LayerFixtures.self, from: Data(contentsOf: url))
    }()
}

/// Asserts that `actual` has `expected`'s dtype, shape and values within
/// `|a - e| <= atol + rtol·|e|` (NaN only where PyTorch has NaN), comparing in double
/// precision; `atol` defaults to 1e-6 for float32 results and 1e-10 for float64.
func assertMatches(
    _ actual: Tensor?, _ expected: TensorFixture?, rtol: Double = 1e-5, atol: Double? = nil,
    _ message: String, file: StaticString = #filePath, line: UInt = #line
) {
    guard let expected else {
        XCTAssertNil(actual, "\(message): expected no tensor", file: file, line: line)
        return
    }
    guard let actual else {
        XCTFail("\(message): expected a tensor of shape \(expected.shape), got nil", file: file, line: line)
        return
    }
    XCTAssertEqual(actual.dtype.rawValue, expected.dtype ?? "float32", "\(message): dtype", file: file, line: line)
    XCTAssertEqual(actual.shape, expected.shape, "\(message): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let atol = atol ?? (actual.dtype == .float64 ? 1e-10 : 1e-6)
    for (index, (a, e)) in zip(actual.asArray(Double.self), expected.values).enumerated() {
        if a.isNaN != e.isNaN || (!e.isNaN && Swift.abs(a - e) > atol + rtol * Swift.abs(e)) {
            XCTFail("\(message): element \(index) is \(a), PyTorch gives \(e)", file: file, line: line)
            return
        }
    }
}
