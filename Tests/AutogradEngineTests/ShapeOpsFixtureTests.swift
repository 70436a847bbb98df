import Foundation
import XCTest
import AutogradCore
import AutogradEngine

/// Shape ops, einsum and small linear algebra against PyTorch
/// (Tests/AutogradEngineTests/Fixtures/shape_ops.json, made by
/// Scripts/fixtures/make_shape_ops_fixtures.py): values, dtypes, node names and gradients
/// for several shapes, non-contiguous inputs, negative and empty dimensions.
final class ShapeOpsFixtureTests: XCTestCase {
    /// A JSON value: a number, a bool, a string ("nan", "inf", "-inf", or an equation),
    /// a list or null.
    private enum Value: Decodable {
        case null, bool(Bool), number(Double), string(String), list([Value])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .list(try container.decode([Value].self))
            }
        }

        var double: Double? {
            switch self {
            case .number(let value): return value
            case .bool(let value): return value ? 1 : 0
            case .string("nan"): return .nan
            case .string("inf"): return .infinity
            case .string("-inf"): return -.infinity
            default: return nil
            }
        }

        var int: Int? { double.map { Int($0) } }
        var string: String? { if case .string(let s) = self { return s } else { return nil } }
        var ints: [Int]? {
            guard case .list(let values) = self else { return nil }
            let ints = values.compactMap(\.int)
            return ints.count == values.count ? ints : nil
        }
    }

    private struct Input: Decodable {
        let shape: [Int]
        let dtype: String
        let values: [Value]
        let requires_grad: Bool
        let transposed: Bool
    }

    private struct Output: Decodable {
        let shape: [Int]
        let dtype: String
        let values: [Value]
        let grad_fn: String?
        let weights: [Value]?
    }

    private struct Case: Decodable {
        let name: String
        let op: String
        let args: [String: Value]
        let inputs: [Input]
        let outputs: [Output]
        let grads: [[Value]?]
    }

    private func loadCases() throws -> [Case] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "shape_ops", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }

    private struct MissingArgument: Error, CustomStringConvertible { let description: String }

    /// Runs the call a case names on its inputs.
    private func run(_ c: Case, _ x: [Tensor]) throws -> [Tensor] {
        func int(_ key: String) throws -> Int {
            guard let value = c.args[key]?.int else { throw MissingArgument(description: "\(c.name): no '\(key)'") }
            return value
        }
        func ints(_ key: String) throws -> [Int] {
            guard let value = c.args[key]?.ints else { throw MissingArgument(description: "\(c.name): no '\(key)'") }
            return value
        }
        switch c.op {
        case "split": return x[0].split(try int("size"), dim: try int("dim"))
        case "split_sizes": return x[0].split(sizes: try ints("sizes"), dim: try int("dim"))
        case "chunk": return x[0].chunk(try int("chunks"), dim: try int("dim"))
        case "narrow": return [x[0].narrow(dim: try int("dim"), start: try int("start"), length: try int("length"))]
        case "repeat": return [x[0].repeat(try ints("repeats"))]
        case "tile": return [x[0].tile(try ints("reps"))]
        case "flip": return [x[0].flip(dims: try ints("dims"))]
        case "roll": return [x[0].roll(shifts: try ints("shifts"), dims: c.args["dims"]?.ints ?? [])]
        case "tril": return [x[0].tril(diagonal: try int("diagonal"))]
        case "triu": return [x[0].triu(diagonal: try int("diagonal"))]
        case "diagonal": return [x[0].diagonal(offset: try int("offset"), dim1: try int("dim1"), dim2: try int("dim2"))]
        case "expand_as": return [x[0].expand(as: x[1])]
        case "unflatten": return [x[0].unflatten(dim: try int("dim"), sizes: try ints("sizes"))]
        case "movedim": return [x[0].movedim(try ints("source"), try ints("destination"))]
        case "outer": return [x[0].outer(x[1])]
        case "dot": return [x[0].dot(x[1])]
        case "einsum":
            guard let equation = c.args["equation"]?.string else { throw MissingArgument(description: "\(c.name): no equation") }
            return [Tensor.einsum(equation, x)]
        case "inverse": return [x[0].inverse()]
        case "det": return [x[0].det()]
        case "slogdet":
            let (sign, logabsdet) = x[0].slogdet()
            return [sign, logabsdet]
        case "solve": return [Tensor.solve(x[0], x[1])]
        case "cholesky": return [x[0].cholesky()]
        default: throw MissingArgument(description: "\(c.name): unknown op '\(c.op)'")
        }
    }

    private func dtype(_ name: String) throws -> DType { try XCTUnwrap(DType(rawValue: name), "dtype \(name)") }

    /// Values agree within the dtype's tolerance (linear algebra here factors in float64,
    /// PyTorch's float32 kernels in float32); NaN matches NaN, infinities match exactly.
    private func assertClose(_ actual: [Double], _ expected: [Double], dtype: DType, _ what: String) {
        guard actual.count == expected.count else {
            return XCTFail("\(what): \(actual.count) values, expected \(expected.count)")
        }
        let (absolute, relative) = dtype == .float64 ? (1e-10, 1e-9) : (2e-5, 2e-4)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            if e.isNaN { XCTAssertTrue(a.isNaN, "\(what)[\(i)]: \(a), expected nan"); continue }
            if e.isInfinite { XCTAssertEqual(a, e, "\(what)[\(i)]"); continue }
            if Swift.abs(a - e) > absolute + relative * Swift.abs(e) {
                return XCTFail("\(what)[\(i)]: \(a), expected \(e)")
            }
        }
    }

    func testShapeOpsEinsumAndLinearAlgebraMatchPyTorch() throws {
        let cases = try loadCases()
        XCTAssertGreaterThan(cases.count, 90)
        for c in cases {
            let leaves = try c.inputs.map { input in
                Tensor(NDArray(shape: input.shape, doubles: input.values.compactMap(\.double), dtype: try dtype(input.dtype)),
                       requiresGrad: input.requires_grad)
            }
            let arguments = zip(leaves, c.inputs).map { $1.transposed ? $0.mT : $0 }
            let outputs = try run(c, arguments)
            XCTAssertEqual(outputs.count, c.outputs.count, "\(c.name): number of outputs")
            var loss: Tensor?
            for (index, (output, expected)) in zip(outputs, c.outputs).enumerated() {
                let what = "\(c.name) output \(index)"
                XCTAssertEqual(output.shape, expected.shape, "\(what) shape")
                XCTAssertEqual(output.dtype, try dtype(expected.dtype), "\(what) dtype")
                XCTAssertEqual(output.gradFn?.name, expected.grad_fn, "\(what) grad_fn")
                guard output.shape == expected.shape else { continue }
                assertClose(output.asArray(Double.self), expected.values.compactMap(\.double), dtype: output.dtype, what)
                if output.requiresGrad, let weights = expected.weights {
                    let w = Tensor(NDArray(shape: output.shape, doubles: weights.compactMap(\.double), dtype: output.dtype))
                    let term = (output * w).sum()
                    loss = loss.map { $0 + term } ?? term
                }
            }
            loss?.backward()
            for (index, (leaf, expected)) in zip(leaves, c.grads).enumerated() {
                let what = "\(c.name) grad of input \(index)"
                guard let expected else {
                    XCTAssertNil(leaf.grad, "\(what): PyTorch has none")
                    continue
                }
                guard let grad = leaf.grad else {
                    XCTFail("\(what): missing")
                    continue
                }
                XCTAssertEqual(grad.shape, leaf.shape, "\(what) shape")
                assertClose(grad.asArray(Double.self), expected.compactMap(\.double), dtype: leaf.dtype, what)
            }
        }
    }
}
