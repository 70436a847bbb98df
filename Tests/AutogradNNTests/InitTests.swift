import Foundation
import XCTest
import Autograd

/// The `torch.nn.init` functions: fans and gains against PyTorch's own functions, and the
/// statistics and bounds of what each initialiser draws.
final class InitTests: XCTestCase {
    private let cases = LayerFixtures.shared.initCases

    /// The mean and (population) standard deviation of `values`.
    private func moments(_ values: [Double]) -> (mean: Double, std: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    func testFansMatchPyTorch() {
        XCTAssertEqual(cases.fans.count, 6)
        for fan in cases.fans {
            let computed = Init.fanInAndFanOut(of: fan.shape)
            XCTAssertEqual(computed.fanIn, fan.fanIn, "\(fan.shape)")
            XCTAssertEqual(computed.fanOut, fan.fanOut, "\(fan.shape)")
            XCTAssertEqual(Init.fanIn(of: fan.shape), fan.fanIn)
            XCTAssertEqual(Init.fan(of: fan.shape, mode: .fanOut), fan.fanOut)
        }
    }

    func testGainsMatchPyTorch() {
        XCTAssertEqual(cases.gains.count, 15)
        for gain in cases.gains {
            let nonlinearity = Init.Nonlinearity(rawValue: gain.nonlinearity)!
            let computed = Init.calculateGain(nonlinearity, param: gain.param.map { Float($0) })
            XCTAssertEqual(Double(computed), gain.gain, accuracy: 1e-6 * gain.gain, "\(gain.nonlinearity) \(gain.param ?? -1)")
        }
    }

    func testKaimingDrawsHaveTheStandardDeviationPyTorchAimsFor() {
        for (index, kaiming) in cases.kaiming.enumerated() {
            let mode = Init.FanMode(rawValue: kaiming.mode)!
            let nonlinearity = Init.Nonlinearity(rawValue: kaiming.nonlinearity)!
            let count = kaiming.shape.reduce(1, *)
            let uniform = Init.kaimingUniform(Tensor.zeros(kaiming.shape), a: Float(kaiming.a), mode: mode,
                                              nonlinearity: nonlinearity, generator: RandomGenerator(seed: UInt64(index)))
            let values = uniform.asArray(Double.self)
            let bound = 3.0.squareRoot() * kaiming.std
            XCTAssertLessThanOrEqual(values.map(abs).max()!, bound * (1 + 1e-6), "kaiming uniform \(index) bound")
            XCTAssertGreaterThan(values.map(abs).max()!, 0.99 * bound, "kaiming uniform \(index) reaches its bound")
            let (mean, std) = moments(values)
            XCTAssertEqual(std, kaiming.std, accuracy: 5 * kaiming.std / Double(count).squareRoot() + 0.02 * kaiming.std)
            XCTAssertEqual(mean, 0, accuracy: 5 * kaiming.std / Double(count).squareRoot())
            let normal = Init.kaimingNormal(Tensor.zeros(kaiming.shape), a: Float(kaiming.a), mode: mode,
                                            nonlinearity: nonlinearity, generator: RandomGenerator(seed: UInt64(100 + index)))
            let normalMoments = moments(normal.asArray(Double.self))
            XCTAssertEqual(normalMoments.std, kaiming.std, accuracy: 0.03 * kaiming.std, "kaiming normal \(index)")
            XCTAssertEqual(normalMoments.mean, 0, accuracy: 5 * kaiming.std / Double(count).squareRoot())
        }
    }

    func testXavierDrawsHaveTheStandardDeviationPyTorchAimsFor() {
        for (index, xavier) in cases.xavier.enumerated() {
            let uniform = Init.xavierUniform(Tensor.zeros(xavier.shape), gain: Float(xavier.gain), generator: RandomGenerator(seed: UInt64(index)))
            let values = uniform.asArray(Double.self)
            let bound = 3.0.squareRoot() * xavier.std
            XCTAssertLessThanOrEqual(values.map(abs).max()!, bound * (1 + 1e-6))
            XCTAssertGreaterThan(values.map(abs).max()!, 0.99 * bound)
            XCTAssertEqual(moments(values).std, xavier.std, accuracy: 0.03 * xavier.std)
            let normal = Init.xavierNormal(Tensor.zeros(xavier.shape), gain: Float(xavier.gain), generator: RandomGenerator(seed: UInt64(10 + index)))
            XCTAssertEqual(moments(normal.asArray(Double.self)).std, xavier.std, accuracy: 0.03 * xavier.std)
        }
    }

    func testNormalAndUniformFillInPlaceAndKeepTheParameter() {
        let weight = Parameter(Tensor.zeros([200, 300]))
        let version = weight.version
        let returned = Init.normal(weight, mean: 0.5, std: 0.02, generator: RandomGenerator(seed: 1))
        XCTAssertTrue(returned === weight)
        XCTAssertTrue(weight.isLeaf && weight.requiresGrad && weight.grad == nil)
        XCTAssertGreaterThan(weight.version, version)
        let (mean, std) = moments(weight.asArray(Double.self))
        XCTAssertEqual(mean, 0.5, accuracy: 0.001)
        XCTAssertEqual(std, 0.02, accuracy: 0.0005)
        Init.uniform(weight, a: -3, b: 1, generator: RandomGenerator(seed: 2))
        let values = weight.asArray(Double.self)
        XCTAssertTrue(values.allSatisfy { $0 >= -3 && $0 < 1 })
        XCTAssertEqual(moments(values).mean, -1, accuracy: 0.02)
        XCTAssertEqual(moments(values).std, 4 / 12.0.squareRoot(), accuracy: 0.01)
    }

    func testConstantZerosAndOnesKeepTheDtype() {
        let weights = Tensor.ones([3, 2], dtype: .float64)
        Init.constant(weights, value: 0.25)
        XCTAssertEqual(weights.dtype, .float64)
        XCTAssertEqual(weights.asArray(Double.self), [Double](repeating: 0.25, count: 6))
        Init.zeros(weights)
        XCTAssertEqual(weights.asArray(Double.self), [Double](repeating: 0, count: 6))
        let bias = Parameter(Tensor.zeros([4]))
        Init.ones(bias)
        XCTAssertEqual(bias.scalars, [1, 1, 1, 1])
        let counts = Tensor([1, 2, 3])
        Init.zeros(counts)
        XCTAssertEqual(counts.asArray(Int.self), [0, 0, 0])
        let normal = Init.normal(Tensor.zeros([1000], dtype: .float64), generator: RandomGenerator(seed: 3))
        XCTAssertEqual(normal.dtype, .float64)
    }

    func testTruncatedNormalStaysInsideItsBoundsWithTheTruncatedMoments() {
        let (mean, std, a, b) = (0.5, 2.0, -1.0, 3.0)
        let tensor = Init.truncNormal(Tensor.zeros([400, 500]), mean: Float(mean), std: Float(std), a: Float(a), b: Float(b),
                                      generator: RandomGenerator(seed: 4))
        let values = tensor.asArray(Double.self)
        XCTAssertTrue(values.allSatisfy { $0 >= a && $0 <= b })
        XCTAssertLessThan(values.min()!, a + 0.01)
        XCTAssertGreaterThan(values.max()!, b - 0.01)
        // The moments of N(μ, σ²) truncated to [a, b].
        func density(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        func cdf(_ x: Double) -> Double { (1 + erf(x / 2.0.squareRoot())) / 2 }
        let (alpha, beta) = ((a - mean) / std, (b - mean) / std)
        let z = cdf(beta) - cdf(alpha)
        let expectedMean = mean + std * (density(alpha) - density(beta)) / z
        let ratio = (density(alpha) - density(beta)) / z
        let expectedStd = std * (1 + (alpha * density(alpha) - beta * density(beta)) / z - ratio * ratio).squareRoot()
        let sample = moments(values)
        XCTAssertEqual(sample.mean, expectedMean, accuracy: 0.01)
        XCTAssertEqual(sample.std, expectedStd, accuracy: 0.01)
        // The defaults: the standard normal cut at ±2.
        let standard = moments(Init.truncNormal(Tensor.zeros([100_000]), generator: RandomGenerator(seed: 5)).asArray(Double.self))
        XCTAssertEqual(standard.mean, 0, accuracy: 0.01)
        XCTAssertEqual(standard.std, 0.8796, accuracy: 0.01)
    }

    func testEmptyTensorsAreLeftAlone() {
        let empty = Tensor.zeros([0, 3])
        XCTAssertEqual(Init.kaimingUniform(empty).shape, [0, 3])
        XCTAssertEqual(Init.xavierNormal(empty).shape, [0, 3])
        XCTAssertEqual(Init.normal(empty).shape, [0, 3])
    }
}
