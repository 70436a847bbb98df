import Foundation
import XCTest
import AutogradCore
import AutogradEngine

/// Dtypes against PyTorch (Tests/AutogradEngineTests/Fixtures/dtypes.json, made by
/// Scripts/fixtures/make_dtype_fixtures.py): printing of every dtype, the promotion table
/// for every pair of dtypes as tensors, 0-d tensors and Swift numbers, comparisons,
/// where, masks, reductions, conversions, and float64 and mixed-dtype gradients.
final class DTypeFixtureTests: XCTestCase {
    private var fixtures: [String: Any] = [:]

    override func setUpWithError() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "dtypes", withExtension: "json", subdirectory: "Fixtures"))
        fixtures = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private func section(_ name: String) throws -> [[String: Any]] {
        try XCTUnwrap(fixtures[name] as? [[String: Any]])
    }

    /// A JSON number (or "nan"/"inf"/"-inf", or a Boolean) as a Double.
    private func number(_ value: Any) -> Double {
        switch value {
        case let text as String: return text == "nan" ? .nan : (text == "inf" ? .infinity : -.infinity)
        case let flag as Bool: return flag ? 1 : 0
        case let number as NSNumber: return number.doubleValue
        default: return .nan
        }
    }

    private func dtype(_ name: Any?) throws -> DType {
        try XCTUnwrap(DType(rawValue: try XCTUnwrap(name as? String)))
    }

    private func doubles(_ values: Any?) throws -> [Double] { try XCTUnwrap(values as? [Any]).map(number) }

    /// Equal as PyTorch's values: NaN matches NaN, floats to 1e-12 relative.
    private func assertSameValues(_ actual: [Double], _ expected: [Double], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            if e.isNaN { XCTAssertTrue(a.isNaN, "\(message): \(a) is not nan", file: file, line: line); continue }
            XCTAssertEqual(a, e, accuracy: Swift.max(1e-12, Swift.abs(e) * 1e-12), "\(message): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    func testPrintingOfEveryDTypeMatchesPyTorch() throws {
        for fixture in try section("printing") {
            let name = fixture["name"] as? String ?? "?"
            let dtype = try dtype(fixture["dtype"])
            let shape = try XCTUnwrap(fixture["shape"] as? [Int])
            let values = try doubles(fixture["values"])
            var tensor = Tensor(NDArray(shape: shape, doubles: values, dtype: dtype), requiresGrad: fixture["requires_grad"] as? Bool ?? false)
            if fixture["times_two"] as? Bool == true { tensor = tensor * 2 }
            XCTAssertEqual(tensor.description, fixture["expected"] as? String, name)
        }
    }

    func testPromotionTableMatchesTorchResultType() throws {
        var checked = 0
        for fixture in try section("promotion") {
            let lhs = try dtype(fixture["lhs"])
            func operand(_ kind: Any?, _ dtypeName: Any?) throws -> PromotionOperand {
                switch kind as? String {
                case "tensor": return .tensor(try dtype(dtypeName))
                case "zero_dim": return .zeroDimensional(try dtype(dtypeName))
                default:
                    switch dtypeName as? String {
                    case "bool": return .scalar(.bool)
                    case "int": return .scalar(.integer)
                    default: return .scalar(.floatingPoint)
                    }
                }
            }
            let operands = [try operand(fixture["lhs_kind"], fixture["lhs"]), try operand(fixture["rhs_kind"], fixture["rhs"])]
            let expected = try dtype(fixture["result"])
            XCTAssertEqual(DType.resultType(operands), expected, "\(fixture["lhs_kind"]!) \(lhs) with \(fixture["rhs_kind"]!) \(fixture["rhs"]!)")
            checked += 1
        }
        XCTAssertEqual(checked, 10 * 10 * 4 + 10 * 3 * 2)
    }

    func testAddingTensorsOfEveryPairOfDTypesGivesThePromotedDType() throws {
        for fixture in try section("promotion") where fixture["lhs_kind"] as? String != "scalar" && fixture["rhs_kind"] as? String != "scalar" {
            let (lhs, rhs) = (try dtype(fixture["lhs"]), try dtype(fixture["rhs"]))
            func make(_ dtype: DType, _ kind: Any?) -> Tensor {
                Tensor.ones(kind as? String == "tensor" ? [2] : [], dtype: dtype)
            }
            let sum = make(lhs, fixture["lhs_kind"]) * make(rhs, fixture["rhs_kind"])
            XCTAssertEqual(sum.dtype, try dtype(fixture["result"]), "\(lhs) * \(rhs)")
            XCTAssertEqual(sum.asArray(Double.self).first, 1, "\(lhs) * \(rhs)")
        }
    }

    /// The Swift spelling of each operation in the fixtures.
    private func operation(_ name: String) -> Tensor? {
        let i = Tensor([1, 2, 3]), f = Tensor([1.5, 2.0, -3.0]), d = Tensor([0.1, 0.2, 0.3], dtype: .float64)
        let b = Tensor([true, false, true])
        let grid = Tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
        switch name {
        case "int64 .== int64": return i .== Tensor([1, 0, 3])
        case "int64 .< 2.5": return i .< 2.5
        case "float32 .>= 2": return f .>= 2
        case "float64 .== 0-d float32 0.1": return d .== Tensor(0.1)
        case "float32 0.1 .== float64 0.1": return Tensor([0.1]) .== Tensor([0.1], dtype: .float64)
        case "bool .& bool": return b .& Tensor([true, true, false])
        case "bool .| bool": return b .| Tensor([false, false, true])
        case "bool .^ bool": return b .^ Tensor([true, true, true])
        case "~bool": return .!b
        case "where(bool, int64, float32)": return Tensor.where(b, i, f)
        case "where(bool, float64, 0-d float32)": return Tensor.where(b, d, Tensor(7.0))
        case "masked_fill int64": return i.maskedFill(b, -1)
        case "masked_fill float32 -inf": return f.maskedFill(Tensor([[false, true, false]]), -.infinity)
        case "sum bool": return b.sum()
        case "sum int32": return Tensor([1, 2, 3], dtype: .int32).sum()
        case "sum uint8 dim": return Tensor([[200, 100], [100, 50]], dtype: .uint8).sum(dim: 0)
        case "pred == y sum": return (Tensor([1, 2, 2, 0]) .== Tensor([1, 2, 0, 0])).sum()
        case "argmax": return grid.argmax()
        case "argmax dim 1": return grid.argmax(dim: 1)
        case "max dim 0 indices": return grid.max(dim: 0).indices
        case "int64 * 2.5": return i * 2.5
        case "int32 + 5": return Tensor([1, 2], dtype: .int32) + 5
        case "int64 / int64": return i / Tensor([2, 2, 2])
        case "uint8 + int8": return Tensor([200], dtype: .uint8) + Tensor([-100], dtype: .int8)
        case "int8 wraps": return Tensor([100], dtype: .int8) + Tensor([100], dtype: .int8)
        case "float16 + float16": return Tensor([0.1, 1000.0], dtype: .float16) + Tensor([0.2, 0.5], dtype: .float16)
        case "bfloat16 * bfloat16": return Tensor([3.14159], dtype: .bfloat16) * Tensor([2.71828], dtype: .bfloat16)
        case "float16 + float32": return Tensor([0.1], dtype: .float16) + Tensor([0.2])
        case "float64 to float16": return Tensor([0.1, 65519.0, 65520.0, 1e-8], dtype: .float64).to(.float16)
        case "float64 to bfloat16": return Tensor([0.1, 1.00390625, 1.01171875], dtype: .float64).to(.bfloat16)
        case "float32 to int32 truncates": return Tensor([2.7, -2.7, 0.5]).to(.int32)
        case "int64 to bool": return Tensor([0, 3, -1]).to(.bool)
        case "isnan": return Tensor([1.0, .nan, .infinity]).isnan()
        case "isinf": return Tensor([1.0, .nan, -.infinity]).isinf()
        case "isfinite": return Tensor([1.0, .nan, .infinity]).isfinite()
        case "isfinite int64": return Tensor([1, 2]).isfinite()
        case "float64 exp": return d.exp()
        case "int64 exp is float32": return i.exp()
        case "float64 softmax": return Tensor([[0.1, 0.2, 0.7]], dtype: .float64).softmax(dim: 1)
        case "float64 matmul": return Tensor([[1.0, 2.0], [3.0, 4.0]], dtype: .float64).matmul(Tensor([[0.1], [0.2]], dtype: .float64))
        case "float64 mean": return d.mean()
        case "cat int64 float32": return cat([i, f])
        default: return nil
        }
    }

    func testOperationsGivePyTorchsDTypesAndValues() throws {
        for fixture in try section("operations") {
            let name = fixture["name"] as? String ?? "?"
            guard let result = operation(name) else { XCTFail("no Swift spelling for \(name)"); continue }
            XCTAssertEqual(result.dtype, try dtype(fixture["result_dtype"]), name)
            assertSameValues(result.asArray(Double.self), try doubles(fixture["values"]), name)
        }
    }

    /// The Swift spelling of each gradient case: the leaf after backward.
    private func gradientCase(_ name: String) -> Tensor? {
        switch name {
        case "float64 composite":
            let x = Tensor([0.3, -1.2, 2.5], dtype: .float64, requiresGrad: true)
            ((x.exp() * x.sin()).sum() / (x * x + 1).sqrt().sum() + x.tanh().mean() * 0.1).backward()
            return x
        case "float32 param * float64 const":
            let w = Tensor([1.5, -2.0], requiresGrad: true)
            (w * Tensor([0.1, 0.3], dtype: .float64)).sum().backward()
            return w
        case "float16 square":
            let h = Tensor([0.5, 1.5], dtype: .float16, requiresGrad: true)
            (h * h * 3).sum().backward()
            return h
        case "to float64 and back":
            let v = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
            (v.to(.float64) ** 2).sum().backward()
            return v
        case "where float64":
            let m = Tensor([1.0, -2.0, 3.0], dtype: .float64, requiresGrad: true)
            Tensor.where(m .> 0, m * m, -m).sum().backward()
            return m
        case "masked_fill":
            let q = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
            (q.maskedFill(Tensor([[true, false], [false, true]]), 0.0) * 3).sum().backward()
            return q
        default: return nil
        }
    }

    func testGradientsHaveTheirInputsDTypeAndPyTorchsValues() throws {
        for fixture in try section("gradients") {
            let name = fixture["name"] as? String ?? "?"
            guard let leaf = gradientCase(name), let grad = leaf.grad else { XCTFail("no gradient for \(name)"); continue }
            XCTAssertEqual(leaf.dtype, try dtype(fixture["dtype"]), name)
            XCTAssertEqual(grad.dtype, try dtype(fixture["grad_dtype"]), name)
            assertSameValues(grad.asArray(Double.self), try doubles(fixture["grad"]), name)
        }
    }
}
