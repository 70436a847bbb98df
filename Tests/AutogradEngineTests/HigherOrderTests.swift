import XCTest
import Autograd

/// Second and third derivatives against PyTorch, and against finite differences of the
/// first derivative.
final class HigherOrderTests: XCTestCase {
    private struct Case: Decodable {
        let name: String
        let shape: [Int]
        let x: [Float]
        let value: Float
        let first: [Float]
        let second: [Float]
        let third: [Float]
        let hessian: [Float]?
    }

    private struct Fixture: Decodable { let cases: [Case] }

    /// The same functions as Scripts/fixtures/make_higher_order_fixtures.py, by name.
    private var functions: [String: (Tensor) -> Tensor] {
        let w3 = Tensor([0.5, -1.0, 2.0])
        let a = Tensor([[1.0, 0.5, -0.5], [0.25, 2.0, 1.0], [-1.0, 0.0, 0.75]])
        let k = Tensor([[[[0.5, -0.25], [1.0, 0.75]]]])
        return [
        "cube": { ($0 ** 3).sum() },
        "sin_exp": { ($0.sin() * $0.exp()).sum() },
        "tanh_squared": { ($0.tanh() ** 2).sum() },
        "log_sigmoid_plus_one": { ($0.sigmoid() + 1).log().sum() },
        "sqrt_over": { ($0.sqrt() / ($0 + 1)).sum() },
        "softmax_weighted": { ($0.softmax(dim: -1) * w3).sum() },
        "log_softmax_weighted": { ($0.logSoftmax(dim: 1) * w3).sum() },
        "quadratic_form": { ($0.matmul(a) * $0).sum() },
        "mean_variance": { (($0 - $0.mean()) ** 2).mean() * ($0 ** 2).sum() },
        "max_dim_squared": { ($0.max(dim: 1).values ** 3).sum() },
        "conv_squared": { (conv2d($0, k, padding: 1) ** 2).sum() * $0.sum() },
        "cos_pow_tensor": { (($0.cos() + 1.5) ** ($0 + 2)).sum() },
        "slices_and_cat": { (cat([$0[0..<2] * $0[1..<3], $0[2..<3] ** 3]) ** 2).sum() },
        "max_pool_cubed": { (maxPool2d($0, kernelSize: (2, 2), stride: (1, 1), padding: (1, 1)) ** 3).sum() },
        ]
    }

    private func loadCases() throws -> [Case] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "higher_order", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, tolerance: Float = 1e-4) {
        XCTAssertEqual(actual.count, expected.count, what)
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: tolerance * max(1, abs(e)), "\(what)[\(index)]")
        }
    }

    func testDerivativesUpToThirdOrderMatchPyTorch() throws {
        let cases = try loadCases()
        XCTAssertEqual(Set(cases.map(\.name)), Set(functions.keys))
        for testCase in cases {
            let f = try XCTUnwrap(functions[testCase.name])
            let x = Tensor(shape: testCase.shape, scalars: testCase.x, requiresGrad: true)
            let value = f(x)
            XCTAssertEqual(value.item(), testCase.value, accuracy: 1e-4 * max(1, abs(testCase.value)), testCase.name)
            let first = try XCTUnwrap(grad(outputs: [value], inputs: [x], createGraph: true)[0])
            assertClose(first.scalars, testCase.first, "\(testCase.name) first")
            let second = grad(outputs: [first.sum()], inputs: [x], createGraph: true)[0]
            assertClose(second?.scalars ?? [], testCase.second, "\(testCase.name) second")
            let third = second.flatMap { $0.requiresGrad ? grad(outputs: [$0.sum()], inputs: [x])[0] : nil }
            assertClose(third?.scalars ?? [Float](repeating: 0, count: x.count), testCase.third, "\(testCase.name) third",
                        tolerance: 1e-3)
            if let expected = testCase.hessian {
                let h = hessian(f, at: x.detach())
                XCTAssertEqual(h.shape, testCase.shape + testCase.shape)
                assertClose(h.scalars, expected, "\(testCase.name) hessian")
            }
        }
    }

    func testSecondDerivativesMatchFiniteDifferencesOfTheFirst() {
        for (name, f) in functions.sorted(by: { $0.key < $1.key }) {
            let shape = name == "conv_squared" || name == "max_pool_cubed" ? [1, 1, 3, 3] : (name.contains("softmax") || name == "quadratic_form"
                || name == "tanh_squared" || name == "max_dim_squared" ? [2, 3] : [3])
            let count = shape.reduce(1, *)
            let x = Tensor(shape: shape, scalars: (0..<count).map { 0.4 + 0.37 * Float($0) }, requiresGrad: true)
            // The first derivative, as a function, is checked by finite differences.
            let result = gradcheck({ input in grad(outputs: [f(input)], inputs: [input], createGraph: true)[0]! }, inputs: [x],
                                   epsilon: 1e-2, absoluteTolerance: 2e-2, relativeTolerance: 2e-2)
            XCTAssertTrue(result.passed, "\(name): \(result)")
        }
    }
}
