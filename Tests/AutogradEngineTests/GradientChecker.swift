import Foundation
import XCTest
import AutogradCore
@testable import AutogradEngine

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast generator, so test data is the same
/// on every run and platform.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + Float(unit()) * (high - low)
    }

    /// Standard normal (Box-Muller), computed in Double so it is the same everywhere.
    mutating func normal() -> Float {
        let u1 = 1 - unit(), u2 = unit()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}

/// Checks the gradients backward computes against central finite differences of a random
/// projection of the output.
///
/// For `f` of several tensors and a fixed random `w` of `f`'s output shape, let
/// L(x) = Σ f(x) · w, computed in Double. Backward from `f(x)` with gradient `w` gives
/// dL/dx analytically; each element is compared with (L(x + ε·e) - L(x - ε·e)) / 2ε,
/// requiring |analytic - numeric| <= tolerance · max(1, |numeric|).
/// Inputs are float64 by default (ε 1e-6, tolerance 1e-6), as PyTorch's gradcheck wants;
/// a group on ops with float32 kernels only sets ``dtype`` to float32, where ε is large
/// (1e-2) and the test data must keep inputs more than ε away from kinks, ties and
/// domain edges.
///
/// Every node of every checked graph is recorded in ``coveredKeys`` / ``coveredNames``, so a
/// test can compare the rules checked with all of them. With `numeric: false` only the
/// graphs are built and recorded (for coverage), nothing is differentiated.
struct GradientChecker {
    var random: SplitMix64
    /// The dtype of the inputs made here; setting it sets ``epsilon`` and ``tolerance``.
    var dtype: DType = .float64 {
        didSet {
            epsilon = dtype == .float64 ? 1e-6 : 1e-2
            tolerance = dtype == .float64 ? 1e-6 : 1e-2
        }
    }
    /// Step of the central differences.
    var epsilon: Double = 1e-6
    /// Allowed |analytic - numeric| relative to max(1, |numeric|).
    var tolerance: Double = 1e-6
    /// Whether to differentiate and compare, or only record the graphs.
    var numeric = true
    /// `Op.coverageKey` of every node recorded in a checked graph.
    private(set) var coveredKeys: Set<String> = []
    /// `gradFn.name` of every node recorded in a checked graph.
    private(set) var coveredNames: Set<String> = []
    /// How many checks ran, and how many input elements were compared.
    private(set) var checkCount = 0
    private(set) var elementCount = 0

    init(seed: UInt64, numeric: Bool = true) {
        random = SplitMix64(seed: seed)
        self.numeric = numeric
    }

    // MARK: Inputs

    /// A tensor of ``dtype`` holding `values`.
    func make(_ shape: [Int], _ values: [Float], requiresGrad: Bool) -> Tensor {
        Tensor(NDArray(shape: shape, doubles: values.map(Double.init), dtype: dtype), requiresGrad: requiresGrad)
    }

    /// Standard normal values.
    mutating func normal(_ shape: [Int], requiresGrad: Bool = true) -> Tensor {
        make(shape, (0..<shape.reduce(1, *)).map { _ in random.normal() }, requiresGrad: requiresGrad)
    }

    /// Uniform values in [low, high).
    mutating func uniform(_ shape: [Int], _ low: Float, _ high: Float, requiresGrad: Bool = true) -> Tensor {
        make(shape, (0..<shape.reduce(1, *)).map { _ in random.uniform(low, high) }, requiresGrad: requiresGrad)
    }

    /// Standard normal values, each at least `margin` from every one of `points` (kinks,
    /// clamp bounds, poles).
    mutating func normal(_ shape: [Int], awayFrom points: [Float], margin: Float = 0.1, requiresGrad: Bool = true) -> Tensor {
        let scalars = (0..<shape.reduce(1, *)).map { _ in
            var value = random.normal()
            while points.contains(where: { Swift.abs(value - $0) < margin }) { value = random.normal() }
            return value
        }
        return make(shape, scalars, requiresGrad: requiresGrad)
    }

    /// Values spread over about [-2, 2] in random order, pairwise at least 3/count apart
    /// (no ties for max and min, even after a nudge of ε).
    mutating func distinct(_ shape: [Int], requiresGrad: Bool = true) -> Tensor {
        let count = shape.reduce(1, *)
        var order = Array(0..<count)
        order.shuffle(using: &random)
        let step = 4 / Float(count)
        return make(shape, order.map { Float($0) * step - 2 + random.uniform(0, 0.25 * step) }, requiresGrad: requiresGrad)
    }

    /// Values of `a`'s shape that differ from `a`'s by 0.2 to 1.2 in a random direction
    /// (for maximum and minimum: no ties).
    mutating func differing(from a: Tensor, requiresGrad: Bool = true) -> Tensor {
        let scalars = a.scalars.map { $0 + (random.next() & 1 == 0 ? 1 : -1) * random.uniform(0.2, 1.2) }
        return make(a.shape, scalars, requiresGrad: requiresGrad)
    }

    // MARK: Checking

    /// Checks the gradient of every input of `inputs` that requires grad, for `f`.
    ///
    /// `f` may run backward itself (with `createGraph: true`) to check a rule that is only
    /// recorded during a backward pass. Failures are reported against `label`.
    mutating func check(
        _ label: String, _ inputs: [Tensor], epsilon: Double? = nil, tolerance: Double? = nil,
        file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor
    ) {
        checkCount += 1
        let output = f(inputs)
        guard let root = output.gradFn else {
            XCTFail("\(label): the output has no gradFn", file: file, line: line)
            return
        }
        record(graphFrom: root)
        guard numeric else { return }

        let epsilon = epsilon ?? self.epsilon, tolerance = tolerance ?? self.tolerance
        let w = (0..<output.count).map { _ in Double(random.normal()) }
        func projection(_ y: Tensor) -> Double {
            zip(y.asArray(Double.self), w).reduce(0) { $0 + $1.0 * $1.1 }
        }
        output.backward(gradient: Tensor(NDArray(shape: output.shape, doubles: w, dtype: output.dtype)))

        for (index, input) in inputs.enumerated() {
            guard input.requiresGrad else {
                XCTAssertNil(input.grad, "\(label): input \(index) does not require grad but got one", file: file, line: line)
                continue
            }
            let analytic: [Double]
            if let grad = input.grad {
                guard grad.shape == input.shape, grad.dtype == input.dtype else {
                    XCTFail("\(label): grad of input \(index) has shape \(grad.shape) and dtype \(grad.dtype), expected \(input.shape) and \(input.dtype)",
                            file: file, line: line)
                    continue
                }
                analytic = grad.asArray(Double.self)
            } else {
                analytic = [Double](repeating: 0, count: input.count)
            }
            let values = input.asArray(Double.self)
            var worst: (element: Int, analytic: Double, numeric: Double, excess: Double)?
            for element in 0..<input.count {
                var nudged = values
                /// The loss with the element at `value`, and the value the dtype held.
                func loss(at value: Double) -> (loss: Double, held: Double) {
                    nudged[element] = value
                    var arguments = inputs
                    let array = NDArray(shape: input.shape, doubles: nudged, dtype: input.dtype)
                    arguments[index] = Tensor(array, requiresGrad: true)
                    return (projection(f(arguments)), array.element(at: element))
                }
                let high = loss(at: values[element] + epsilon), low = loss(at: values[element] - epsilon)
                let numericValue = (high.loss - low.loss) / (high.held - low.held)
                let analyticValue = analytic[element]
                // How far past the tolerance; a NaN on either side counts as infinitely far.
                var excess = Swift.abs(analyticValue - numericValue) - tolerance * Swift.max(1, Swift.abs(numericValue))
                if excess.isNaN { excess = .infinity }
                if excess > 0 && excess > (worst?.excess ?? 0) {
                    worst = (element, analyticValue, numericValue, excess)
                }
                elementCount += 1
            }
            if let worst {
                XCTFail("\(label): d/d input \(index)[\(worst.element)]: analytic \(worst.analytic), numeric \(worst.numeric)",
                        file: file, line: line)
            }
        }
    }

    /// Records every node reachable from `root`.
    private mutating func record(graphFrom root: Node) {
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var stack = [root]
        while let node = stack.popLast() {
            coveredKeys.insert(node.op.coverageKey)
            coveredNames.insert(node.name)
            for case .node(let next) in node.nextEdges where seen.insert(ObjectIdentifier(next)).inserted {
                stack.append(next)
            }
        }
    }
}
