import Foundation
import XCTest
import Autograd

/// Creation, elementwise math, reductions, scans and sorting against PyTorch
/// (Fixtures/math.json, made by Scripts/fixtures/make_math_fixtures.py): values, dtypes,
/// shapes, grad_fn names and gradients, on broadcast, transposed (non-contiguous), 0-d and
/// empty inputs, in float32, float64, integers and bool.
final class MathFixtureTests: XCTestCase {
    private typealias Case = [String: Any]

    private func loadCases() throws -> [Case] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "math", withExtension: "json", subdirectory: "Fixtures"),
                                "Fixtures/math.json is missing from the test bundle")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [Case])
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

    private struct Values {
        let shape: [Int]
        let values: [Double]
        let dtype: DType
    }

    private func values(_ raw: Any?) throws -> Values {
        let object = try XCTUnwrap(raw as? [String: Any])
        return Values(shape: try XCTUnwrap(object["shape"] as? [Int]),
                      values: try XCTUnwrap(object["values"] as? [Any]).map(number),
                      dtype: try XCTUnwrap(DType(rawValue: try XCTUnwrap(object["dtype"] as? String))))
    }

    /// The leaves (whose gradients are compared) and the tensors the op gets.
    private func inputs(_ testCase: Case) throws -> (leaves: [Tensor], views: [Tensor]) {
        var leaves: [Tensor] = [], views: [Tensor] = []
        for raw in try XCTUnwrap(testCase["inputs"] as? [[String: Any]]) {
            let v = try values(raw)
            let leaf = Tensor(NDArray(shape: v.shape, doubles: v.values, dtype: v.dtype), requiresGrad: raw["requires_grad"] as? Bool ?? false)
            leaves.append(leaf)
            views.append(raw["transposed"] as? Bool == true ? leaf.transpose(-1, -2) : leaf)
        }
        return (leaves, views)
    }

    private struct MissingArgument: Error, CustomStringConvertible { let description: String }

    /// Runs the op of a case through the public API, one call per op key.
    private func run(_ op: String, _ args: [String: Any], _ x: [Tensor]) throws -> [Tensor] {
        func double(_ key: String) throws -> Double {
            guard let value = args[key] else { throw MissingArgument(description: "\(op): no '\(key)'") }
            return number(value)
        }
        func int(_ key: String) throws -> Int { Int(try double(key)) }
        func bool(_ key: String) -> Bool { args[key] as? Bool ?? false }
        func dtype(_ fallback: DType) -> DType { (args["dtype"] as? String).flatMap(DType.init(rawValue:)) ?? fallback }
        switch op {
        case "log1p": return [x[0].log1p()]
        case "expm1": return [x[0].expm1()]
        case "rsqrt": return [x[0].rsqrt()]
        case "tan": return [x[0].tan()]
        case "silu": return [x[0].silu()]
        case "softplus": return [x[0].softplus()]
        case "softplus_beta": return [x[0].softplus(beta: try double("beta"), threshold: try double("threshold"))]
        case "square": return [x[0].square()]
        case "sign": return [x[0].sign()]
        case "floor": return [x[0].floor()]
        case "ceil": return [x[0].ceil()]
        case "round": return [x[0].round()]
        case "trunc": return [x[0].trunc()]
        case "reciprocal": return [x[0].reciprocal()]
        case "erf": return [x[0].erf()]
        case "sinh": return [x[0].sinh()]
        case "cosh": return [x[0].cosh()]
        case "asin": return [x[0].asin()]
        case "acos": return [x[0].acos()]
        case "atan": return [x[0].atan()]
        case "remainder": return [x[0].remainder(try double("divisor"))]
        case "fmod": return [x[0].fmod(try double("divisor"))]
        case "remainder_int": return [x[0].remainder(try int("divisor"))]
        case "fmod_int": return [x[0].fmod(try int("divisor"))]
        case "nan_to_num": return [x[0].nanToNum()]
        case "nan_to_num_values":
            return [x[0].nanToNum(nan: try double("nan"), posinf: try double("posinf"), neginf: try double("neginf"))]
        case "clamp": return [x[0].clamp(min: try double("min"), max: try double("max"))]
        case "lerp": return [x[0].lerp(x[1], weight: try double("weight"))]
        case "maximum": return [x[0].maximum(x[1])]
        case "minimum": return [x[0].minimum(x[1])]
        case "pow": return [x[0].pow(x[1])]
        case "remainder_tensor": return [x[0].remainder(x[1])]
        case "fmod_tensor": return [x[0].fmod(x[1])]
        case "clamp_tensors": return [x[0].clamp(min: x[1], max: x[2])]
        case "clamp_min_tensor": return [x[0].clamp(min: x[1])]
        case "clamp_max_tensor": return [x[0].clamp(max: x[1])]
        case "var_dim": return [x[0].var(dim: try int("dim"))]
        case "var_all": return [x[0].var()]
        case "var_unbiased": return [x[0].var(dim: try int("dim"), unbiased: bool("unbiased"))]
        case "var_dims":
            return [x[0].var(dims: try XCTUnwrap(args["dims"] as? [Int]), correction: try double("correction"), keepDim: bool("keepDim"))]
        case "std_all": return [x[0].std()]
        case "std_dim": return [x[0].std(dim: try int("dim"), keepDim: bool("keepDim"))]
        case "prod_dim": return [x[0].prod(dim: try int("dim"), keepDim: bool("keepDim"))]
        case "prod_all": return [x[0].prod()]
        case "logsumexp_dim": return [x[0].logsumexp(dim: try int("dim"))]
        case "logsumexp_dims": return [x[0].logsumexp(dims: try XCTUnwrap(args["dims"] as? [Int]), keepDim: bool("keepDim"))]
        case "norm": return [x[0].norm()]
        case "norm_dim": return [x[0].norm(p: try double("p"), dim: try int("dim"), keepDim: bool("keepDim"))]
        case "norm_p": return [x[0].norm(p: try double("p"))]
        case "amax_dim": return [x[0].amax(dim: try int("dim"))]
        case "amin_dim": return [x[0].amin(dim: try int("dim"))]
        case "amax_dims": return [x[0].amax(dims: try XCTUnwrap(args["dims"] as? [Int]), keepDim: bool("keepDim"))]
        case "all": return [x[0].all()]
        case "any": return [x[0].any()]
        case "all_dim": return [x[0].all(dim: try int("dim"))]
        case "any_dim": return [x[0].any(dim: try int("dim"))]
        case "median": return [x[0].median()]
        case "median_dim":
            let (values, indices) = x[0].median(dim: try int("dim"), keepDim: bool("keepDim"))
            return [values, indices]
        case "cumsum": return [x[0].cumsum(dim: try int("dim"))]
        case "cumprod": return [x[0].cumprod(dim: try int("dim"))]
        case "sort":
            let (values, indices) = x[0].sort(dim: try int("dim"), descending: bool("descending"), stable: bool("stable"))
            return [values, indices]
        case "topk":
            let (values, indices) = x[0].topk(try int("k"), dim: try int("dim"), largest: bool("largest"))
            return [values, indices]
        case "argsort": return [x[0].argsort(dim: try int("dim"), descending: bool("descending"))]
        case "unique": return [x[0].unique()]
        case "unique_all":
            let (values, inverse, counts) = x[0].unique(returnInverse: true, returnCounts: true)
            return [values, try XCTUnwrap(inverse), try XCTUnwrap(counts)]
        case "arange_end": return [Tensor.arange(try int("end"), dtype: dtype(.int64))]
        case "arange_int": return [Tensor.arange(try int("start"), try int("end"), step: try int("step"))]
        case "arange_double":
            return [Tensor.arange(try double("start"), try double("end"), step: try double("step"), dtype: dtype(.float32))]
        case "linspace":
            return [Tensor.linspace(try double("start"), try double("end"), steps: try int("steps"), dtype: dtype(.float32))]
        case "eye": return [Tensor.eye(try int("n"), args["m"] == nil ? nil : try int("m"), dtype: dtype(.float32))]
        case "full_double": return [Tensor.full(try XCTUnwrap(args["shape"] as? [Int]), try double("value"))]
        case "full_int": return [Tensor.full(try XCTUnwrap(args["shape"] as? [Int]), try int("value"))]
        case "full_bool": return [Tensor.full(try XCTUnwrap(args["shape"] as? [Int]), bool("value"))]
        case "zeros_like": return [Tensor.zeros(like: x[0])]
        case "ones_like": return [Tensor.ones(like: x[0])]
        default: throw MissingArgument(description: "unknown op key '\(op)'")
        }
    }

    /// Equal as PyTorch's values: same shape and dtype, NaN matching NaN, floats within
    /// a tolerance of their precision.
    private func assertMatches(_ tensor: Tensor, _ expected: Values, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tensor.shape, expected.shape, "\(label): shape", file: file, line: line)
        XCTAssertEqual(tensor.dtype, expected.dtype, "\(label): dtype", file: file, line: line)
        let actual = tensor.asArray(Double.self)
        guard actual.count == expected.values.count else { return }
        let relative = expected.dtype == .float64 ? 1e-10 : 2e-5
        for (a, e) in zip(actual, expected.values) {
            if e.isNaN {
                XCTAssertTrue(a.isNaN, "\(label): \(a) is not nan; \(actual) vs \(expected.values)", file: file, line: line)
            } else if e.isInfinite || !expected.dtype.isFloatingPoint {
                XCTAssertEqual(a, e, "\(label): \(actual) vs \(expected.values)", file: file, line: line)
            } else {
                XCTAssertEqual(a, e, accuracy: relative * Swift.max(1e-1, Swift.abs(e)), "\(label): \(actual) vs \(expected.values)", file: file, line: line)
            }
        }
    }

    func testValuesGradientsAndNodeNamesMatchPyTorch() throws {
        let cases = try loadCases()
        XCTAssertGreaterThan(cases.count, 200)
        for testCase in cases {
            let name = testCase["name"] as? String ?? "?"
            let op = try XCTUnwrap(testCase["op"] as? String)
            let (leaves, views) = try inputs(testCase)
            let outputs = try run(op, testCase["args"] as? [String: Any] ?? [:], views)
            let expected = try XCTUnwrap(testCase["outputs"] as? [Any]).map(values)
            XCTAssertEqual(outputs.count, expected.count, "\(name): number of outputs")
            for (i, (output, want)) in zip(outputs, expected).enumerated() {
                assertMatches(output, want, "\(name): output \(i)")
            }
            XCTAssertEqual(outputs[0].gradFn?.name, testCase["grad_fn"] as? String, "\(name): grad_fn")
            guard let upstreamRaw = testCase["upstream"], !(upstreamRaw is NSNull) else { continue }
            let upstream = try values(upstreamRaw)
            outputs[0].backward(gradient: Tensor(NDArray(shape: upstream.shape, doubles: upstream.values, dtype: upstream.dtype)))
            let grads = try XCTUnwrap(testCase["grads"] as? [Any])
            for (i, (leaf, raw)) in zip(leaves, grads).enumerated() {
                if raw is NSNull {
                    XCTAssertNil(leaf.grad, "\(name): input \(i) should get no gradient")
                    continue
                }
                guard let grad = leaf.grad else {
                    XCTFail("\(name): input \(i) got no gradient")
                    continue
                }
                assertMatches(grad, try values(raw), "\(name): grad \(i)")
            }
        }
    }
}
