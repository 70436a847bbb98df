import Foundation
import XCTest
import Autograd

/// A tensor as the fixture scripts write it: shape, row-major values, and the dtype when
/// it is not float32 (class and embedding indices are int64).
struct TensorFixture: Decodable {
    let shape: [Int]
    let values: [Double]
    let dtype: String?

    /// The tensor, optionally requiring grad.
    func tensor(requiresGrad: Bool = false) -> Tensor {
        guard let name = dtype, let dtype = DType(rawValue: name) else {
            return Tensor(shape: shape, scalars: values.map { Float($0) }, requiresGrad: requiresGrad)
        }
        return Tensor(NDArray(shape: shape, doubles: values, dtype: dtype), requiresGrad: requiresGrad)
    }
}

/// The settings a fixture case gives its layer, loss or optimizer (all optional).
struct CaseConfig: Decodable {
    let `in`: Int?, out: Int?, bias: Bool?, groups: Int?
    let kernel: [Int]?, stride: [Int]?, padding: [Int]?, dilation: [Int]?, output: [Int]?, shape: [Int]?
    let features: Int?, cumulativeAverage: Bool?, countIncludePad: Bool?
    let p: Double?, num: Int?, dim: Int?
    let reduction: String?, labelSmoothing: Double?, posWeight: TensorFixture?

    /// A two-element list as a (height, width) pair.
    static func pair(_ values: [Int]?) -> (Int, Int)? { values.map { ($0[0], $0[1]) } }
}

/// The contents of `Fixtures/nn.json`, written by `Scripts/fixtures/make_nn_fixtures.py`.
struct NNFixtures: Decodable {
    struct LayerCase: Decodable {
        let name: String, kind: String, config: CaseConfig, training: Bool
        let state: [String: TensorFixture], stateAfter: [String: TensorFixture]
        let input: TensorFixture, output: TensorFixture, upstream: TensorFixture
        let inputGrad: TensorFixture?
        let grads: [String: TensorFixture?]
    }
    struct LossCase: Decodable {
        let name: String, kind: String, config: CaseConfig
        let input: TensorFixture, target: TensorFixture, output: TensorFixture, upstream: TensorFixture
        let inputGrad: TensorFixture
    }
    struct OptimizerCase: Decodable {
        struct Step: Decodable { let grads: [TensorFixture?], params: [TensorFixture] }
        let name: String, kind: String, config: [String: OptimizerSetting]
        let initial: [TensorFixture], steps: [Step]
    }
    struct SchedulerCase: Decodable {
        let name: String, kind: String, config: [String: Double], baseLR: Double, lrs: [Double]
    }
    struct ClipCase: Decodable {
        struct Config: Decodable { let maxNorm: Double, normType: NormType }
        let name: String, config: Config, grads: [TensorFixture], totalNorm: Double, clippedGrads: [TensorFixture]
    }
    struct ModuleNames: Decodable { let namedParameters: [String], stateDict: [String], repr: String }

    let layers: [LayerCase], losses: [LossCase], optimizers: [OptimizerCase]
    let schedulers: [SchedulerCase], clipGradNorm: [ClipCase], moduleNames: ModuleNames

    /// Loads the fixtures once per test run.
    static let shared: NNFixtures = {
        let url = Bundle.module.url(forResource: "nn", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(NNFixtures.self, from: Data(contentsOf: url))
    }()
}

/// A PyTorch optimizer keyword argument: a number, a flag, or a pair of betas.
enum OptimizerSetting: Decodable {
    case number(Double), flag(Bool), pair(Double, Double)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            let values = try container.decode([Double].self)
            self = .pair(values[0], values[1])
        }
    }

    var float: Float? { if case .number(let x) = self { return Float(x) } else { return nil } }
    var bool: Bool? { if case .flag(let x) = self { return x } else { return nil } }
    var betas: (Float, Float)? { if case .pair(let a, let b) = self { return (Float(a), Float(b)) } else { return nil } }
}

/// A norm order: a number or "inf".
enum NormType: Decodable {
    case finite(Double), infinity

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = (try? container.decode(String.self)) == "inf" ? .infinity : .finite(try container.decode(Double.self))
    }

    var value: Float { if case .finite(let p) = self { return Float(p) } else { return .infinity } }
}

/// Asserts that `actual` has `expected`'s shape and values within `|a - e| <= atol + rtol·|e|`.
func assertClose(
    _ actual: Tensor?, _ expected: TensorFixture?, atol: Float = 1e-5, rtol: Float = 1e-4,
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
    XCTAssertEqual(actual.shape, expected.shape, "\(message): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    for (index, (a, e)) in zip(actual.scalars, expected.values.map { Float($0) }).enumerated() {
        if Swift.abs(a - e) > atol + rtol * Swift.abs(e) || a.isNaN != e.isNaN {
            XCTFail("\(message): element \(index) is \(a), PyTorch gives \(e)", file: file, line: line)
            return
        }
    }
}
