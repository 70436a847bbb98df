import Foundation
import XCTest
import Autograd

/// Every op against PyTorch: forward values, grad_fn names and input gradients from
/// Fixtures/ops.json (written by Scripts/fixtures/make_op_fixtures.py; see its docstring
/// for the format).
final class OpFixtureTests: XCTestCase {
    // MARK: Fixture format

    /// A JSON attribute value: a number, a bool, a list, or null.
    private enum Attribute: Decodable {
        case null
        case bool(Bool)
        case number(Double)
        case list([Attribute])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else {
                self = .list(try container.decode([Attribute].self))
            }
        }

        var float: Float? {
            if case .number(let value) = self { return Float(value) }
            return nil
        }

        var int: Int? {
            if case .number(let value) = self, value == value.rounded() { return Int(value) }
            return nil
        }

        var bool: Bool? {
            if case .bool(let value) = self { return value }
            return nil
        }

        var ints: [Int]? {
            guard case .list(let values) = self else { return nil }
            let ints = values.compactMap(\.int)
            return ints.count == values.count ? ints : nil
        }
    }

    /// Values in row-major order with their shape. Floats are parsed as Double and narrowed,
    /// which gives PyTorch's float32 bits exactly.
    private struct Values: Decodable {
        let shape: [Int]
        let values: [Float]

        private enum CodingKeys: String, CodingKey { case shape, values }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            shape = try container.decode([Int].self, forKey: .shape)
            values = try container.decode([Double].self, forKey: .values).map { Float($0) }
        }
    }

    private struct Input: Decodable {
        let shape: [Int]
        let values: [Double]
        let requiresGrad: Bool

        var tensor: Tensor { Tensor(shape: shape, scalars: values.map { Float($0) }, requiresGrad: requiresGrad) }
    }

    private struct Case: Decodable {
        let name: String
        let op: String
        let attributes: [String: Attribute]
        let inputs: [Input]
        let output: Values
        let upstream: Values
        let grads: [Values?]
        let gradFn: String
        let indices: [Int]?
    }

    /// Tolerances for values: |actual - expected| <= absolute + relative * |expected|.
    /// PyTorch and this library sum in different orders (matmul, conv2d, reductions) and
    /// `2 / x` is computed as `(1 / x) * 2` in both, but may still differ by an ulp.
    private let relativeTolerance: Float = 1e-5
    private let absoluteTolerance: Float = 1e-5

    private func loadCases() throws -> [Case] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "ops", withExtension: "json", subdirectory: "Fixtures"),
            "Fixtures/ops.json is missing from the test bundle")
        return try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }

    // MARK: The op keys

    /// An attribute of a case, or a failure naming the case.
    private struct MissingAttribute: Error, CustomStringConvertible {
        let description: String
    }

    private func attribute<T>(_ testCase: Case, _ key: String, _ read: (Attribute) -> T?) throws -> T {
        guard let raw = testCase.attributes[key], let value = read(raw) else {
            throw MissingAttribute(description: "\(testCase.name): attribute '\(key)' missing or of the wrong type")
        }
        return value
    }

    /// An optional float attribute: absent or null gives nil.
    private func optionalFloat(_ testCase: Case, _ key: String) throws -> Float? {
        guard let raw = testCase.attributes[key] else { return nil }
        if case .null = raw { return nil }
        return try attribute(testCase, key, \.float)
    }

    /// Runs the op of `testCase` on `x`: one call of the public API per op key. Returns the
    /// output and, for `max_dim` / `min_dim`, the indices. Nil for an unknown op key.
    private func run(_ c: Case, _ x: [Tensor]) throws -> (output: Tensor, indices: Tensor?)? {
        func scalar() throws -> Float { try attribute(c, "scalar", \.float) }
        func dim() throws -> Int { try attribute(c, "dim", \.int) }
        func keepDim() throws -> Bool { try attribute(c, "keepDim", \.bool) }
        func pair(_ key: String) throws -> (Int, Int) {
            let values = try attribute(c, key, \.ints)
            guard values.count == 2 else { throw MissingAttribute(description: "\(c.name): '\(key)' is not a pair") }
            return (values[0], values[1])
        }
        let output: Tensor
        switch c.op {
        // Binary, broadcasting.
        case "add": output = x[0] + x[1]
        case "sub": output = x[0] - x[1]
        case "mul": output = x[0] * x[1]
        case "div": output = x[0] / x[1]
        case "pow_tensor": output = x[0] ** x[1]
        case "maximum": output = x[0].maximum(x[1])
        case "minimum": output = x[0].minimum(x[1])
        // Tensor with a scalar.
        case "add_scalar": output = x[0] + (try scalar())
        case "sub_scalar": output = x[0] - (try scalar())
        case "rsub_scalar": output = (try scalar()) - x[0]
        case "mul_scalar": output = x[0] * (try scalar())
        case "div_scalar": output = x[0] / (try scalar())
        case "rdiv_scalar": output = (try scalar()) / x[0]
        case "rpow_scalar": output = (try scalar()) ** x[0]
        case "pow_scalar": output = x[0] ** (try scalar())
        // Unary.
        case "neg": output = -x[0]
        case "exp": output = x[0].exp()
        case "log": output = x[0].log()
        case "sqrt": output = x[0].sqrt()
        case "abs": output = x[0].abs()
        case "sin": output = x[0].sin()
        case "cos": output = x[0].cos()
        case "tanh": output = x[0].tanh()
        case "sigmoid": output = x[0].sigmoid()
        case "relu": output = x[0].relu()
        case "clamp": output = x[0].clamp(min: try optionalFloat(c, "min").map(Double.init), max: try optionalFloat(c, "max").map(Double.init))
        // Reductions.
        case "sum": output = x[0].sum()
        case "sum_dim": output = x[0].sum(dim: try dim(), keepDim: try keepDim())
        case "sum_dims": output = x[0].sum(dims: try attribute(c, "dims", \.ints), keepDim: try keepDim())
        case "mean": output = x[0].mean()
        case "mean_dim": output = x[0].mean(dim: try dim(), keepDim: try keepDim())
        case "max": output = x[0].max()
        case "min": output = x[0].min()
        case "max_dim":
            let (values, indices) = x[0].max(dim: try dim(), keepDim: try keepDim())
            return (values, indices)
        case "min_dim":
            let (values, indices) = x[0].min(dim: try dim(), keepDim: try keepDim())
            return (values, indices)
        case "softmax": output = x[0].softmax(dim: try dim())
        case "log_softmax": output = x[0].logSoftmax(dim: try dim())
        // Shapes and views.
        case "reshape": output = x[0].reshape(try attribute(c, "shape", \.ints))
        case "transpose": output = x[0].transpose(try attribute(c, "dim0", \.int), try attribute(c, "dim1", \.int))
        case "permute": output = x[0].permute(try attribute(c, "dims", \.ints))
        case "squeeze_dim": output = x[0].squeeze(try dim())
        case "squeeze": output = x[0].squeeze()
        case "unsqueeze": output = x[0].unsqueeze(try dim())
        case "expand": output = x[0].expand(try attribute(c, "shape", \.ints))
        case "select": output = x[0][try attribute(c, "index", \.int)]
        case "slice": output = x[0][(try attribute(c, "start", \.int))..<(try attribute(c, "end", \.int))]
        case "cat": output = cat(x, dim: try dim())
        case "stack": output = stack(x, dim: try dim())
        case "contiguous_after_transpose": output = x[0].transpose(0, 1).contiguous()
        // Linear algebra and convolution.
        case "matmul": output = x[0].matmul(x[1])
        case "conv2d":
            output = conv2d(x[0], x[1], x.count > 2 ? x[2] : nil,
                            stride: try pair("stride"), padding: try pair("padding"), dilation: try pair("dilation"))
        case "max_pool2d":
            output = maxPool2d(x[0], kernelSize: try pair("kernel"), stride: try pair("stride"),
                               padding: try pair("padding"), dilation: try pair("dilation"))
        default:
            return nil
        }
        return (output, nil)
    }

    // MARK: Comparison

    /// Checks shape and values, with one failure per mismatching tensor naming the case.
    @discardableResult
    private func assertMatches(
        _ actual: Tensor?, shape: [Int], values: [Float], _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Bool {
        guard let actual else {
            XCTFail("\(what): nil, expected shape \(shape)", file: file, line: line)
            return false
        }
        guard actual.shape == shape else {
            XCTFail("\(what): shape \(actual.shape), expected \(shape)", file: file, line: line)
            return false
        }
        let scalars = actual.scalars
        guard scalars.count == values.count else {
            XCTFail("\(what): \(scalars.count) values, expected \(values.count)", file: file, line: line)
            return false
        }
        var worst: (index: Int, actual: Float, expected: Float, excess: Float)?
        for (index, (a, e)) in zip(scalars, values).enumerated() {
            let allowed = absoluteTolerance + relativeTolerance * Swift.abs(e)
            let error = Swift.abs(a - e)
            // A NaN anywhere is a mismatch (the fixtures hold no NaN).
            let excess = error.isNaN ? .infinity : error - allowed
            if excess > 0 && excess > (worst?.excess ?? 0) { worst = (index, a, e, excess) }
        }
        if let worst {
            XCTFail("\(what): element \(worst.index) is \(worst.actual), expected \(worst.expected)", file: file, line: line)
            return false
        }
        return true
    }

    // MARK: Tests

    func testEveryOpMatchesPyTorch() throws {
        let cases = try loadCases()
        XCTAssertFalse(cases.isEmpty, "no cases in ops.json")
        XCTAssertEqual(Set(cases.map(\.name)).count, cases.count, "duplicate case names in ops.json")
        var checked = 0
        for c in cases {
            let inputs = c.inputs.map(\.tensor)
            let result: (output: Tensor, indices: Tensor?)?
            do {
                result = try run(c, inputs)
            } catch {
                XCTFail("\(error)")
                continue
            }
            guard let result else {
                XCTFail("\(c.name): unknown op key '\(c.op)' (map it to an API call in OpFixtureTests.run)")
                continue
            }
            let (output, indices) = result
            assertMatches(output, shape: c.output.shape, values: c.output.values, "\(c.name) output")
            XCTAssertEqual(output.gradFn?.name, c.gradFn, "\(c.name) gradFn")

            if c.op == "max_dim" || c.op == "min_dim" {
                if let expected = c.indices {
                    XCTAssertEqual(indices?.shape, c.output.shape, "\(c.name) indices shape")
                    XCTAssertEqual(indices?.scalars.map { Int($0) }, expected, "\(c.name) indices")
                } else {
                    XCTFail("\(c.name): fixture has no indices")
                }
            }

            XCTAssertEqual(c.grads.count, inputs.count, "\(c.name): one grad per input in the fixture")
            guard output.requiresGrad else {
                XCTFail("\(c.name): output does not require grad")
                continue
            }
            let upstream = Tensor(shape: c.upstream.shape, scalars: c.upstream.values)
            do {
                try output.backwardChecked(gradient: upstream)
            } catch {
                XCTFail("\(c.name): backward failed: \(error.message)")
                continue
            }
            for (index, (input, expected)) in zip(inputs, c.grads).enumerated() {
                if let expected {
                    assertMatches(input.grad, shape: expected.shape, values: expected.values, "\(c.name) grad of input \(index)")
                } else {
                    XCTAssertNil(input.grad, "\(c.name) grad of input \(index): PyTorch has none")
                }
            }
            checked += 1
        }
        XCTAssertEqual(checked, cases.count, "cases whose forward and backward ran")
    }

    /// The fixture covers every op key this test knows, so a key whose cases were dropped
    /// from the generator is noticed too.
    func testEveryKnownOpKeyHasCases() throws {
        let keys = Set(try loadCases().map(\.op))
        let known: Set<String> = [
            "add", "sub", "mul", "div", "pow_tensor", "maximum", "minimum",
            "add_scalar", "sub_scalar", "rsub_scalar", "mul_scalar", "div_scalar", "rdiv_scalar", "rpow_scalar",
            "pow_scalar", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "clamp",
            "sum", "sum_dim", "sum_dims", "mean", "mean_dim", "max", "min", "max_dim", "min_dim",
            "softmax", "log_softmax", "reshape", "transpose", "permute", "squeeze_dim", "squeeze",
            "unsqueeze", "expand", "select", "slice", "cat", "stack", "contiguous_after_transpose",
            "matmul", "conv2d", "max_pool2d",
        ]
        XCTAssertEqual(known.subtracting(keys), [], "op keys without fixture cases")
        XCTAssertEqual(keys.subtracting(known), [], "fixture op keys this test does not map")
    }
}
