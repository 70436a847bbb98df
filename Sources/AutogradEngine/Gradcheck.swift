import AutogradCore

/// The outcome of ``gradcheck(inputs:epsilon:absoluteTolerance:relativeTolerance:_:)``.
public struct GradcheckResult: CustomStringConvertible, Sendable {
    /// Whether every analytical derivative matched its finite difference.
    public let passed: Bool
    /// The largest difference found, |analytical - numerical|.
    public let maximumError: Double
    /// Where the largest difference was, and the two values.
    public let worst: String

    /// A one-line summary.
    public var description: String {
        passed ? "gradcheck passed (max error \(maximumError))" : "gradcheck failed: \(worst)"
    }
}

/// Checks the gradients backward computes for `f` against central finite differences, like
/// `torch.autograd.gradcheck`.
///
/// Every element of every input that requires grad is nudged by ±`epsilon` (in the input's
/// own dtype), and the change in every output element is compared with the Jacobian rows
/// backward gives; a pair fails when |analytical − numerical| > `absoluteTolerance` +
/// `relativeTolerance`·|numerical|. The defaults are PyTorch's for float64 inputs (ε 1e-6,
/// atol 1e-5, rtol 1e-3), the precision gradcheck is meant for; with a float32 (or
/// two-byte) input among them they widen to ε 1e-3, atol 1e-3, rtol 1e-2.
/// ```swift
/// let a = Tensor([0.3, -1.2], dtype: .float64, requiresGrad: true)
/// let b = Tensor([2.0], dtype: .float64, requiresGrad: true)
/// let result = gradcheck(inputs: [a, b]) { $0[0].tanh() * $0[1] }
/// print(result)   // gradcheck passed (max error ...)
/// ```
public func gradcheck(
    inputs: [Tensor], epsilon: Double? = nil, absoluteTolerance: Double? = nil, relativeTolerance: Double? = nil,
    _ f: ([Tensor]) -> Tensor
) -> GradcheckResult {
    let output = f(inputs)
    let checked = inputs.filter(\.requiresGrad)
    let precise = checked.allSatisfy { $0.dtype == .float64 }
    let epsilon = epsilon ?? (precise ? 1e-6 : 1e-3)
    let absoluteTolerance = absoluteTolerance ?? (precise ? 1e-5 : 1e-3)
    let relativeTolerance = relativeTolerance ?? (precise ? 1e-3 : 1e-2)
    var worstError = 0.0, worst = "", passed = true
    // Analytical Jacobian: one reverse pass per output element.
    var analytical: [[Tensor?]] = []
    for index in 0..<output.count {
        let seed = Tensor.zeros(output.shape, dtype: output.dtype)
        seed.array.setElement(at: index, to: 1)
        analytical.append(output.requiresGrad
            ? grad(outputs: [output], inputs: checked, gradOutputs: [seed], retainGraph: true)
            : Array(repeating: nil, count: checked.count))
    }
    for (inputIndex, input) in checked.enumerated() {
        for element in 0..<input.count {
            let numerical = centralDifference(f, inputs: inputs, nudging: input, element: element, epsilon: epsilon)
            for (outputIndex, change) in numerical.enumerated() {
                let exact = analytical[outputIndex][inputIndex].map { $0.array.element(at: element) } ?? 0
                let error = Swift.abs(exact - change)
                if error > worstError { worstError = error }
                if error > absoluteTolerance + relativeTolerance * Swift.abs(change) && passed {
                    passed = false
                    worst = "d output[\(outputIndex)] / d input \(inputIndex)[\(element)]: analytical \(exact), numerical \(change)"
                }
            }
        }
    }
    return GradcheckResult(passed: passed, maximumError: worstError, worst: worst)
}

/// ``gradcheck(inputs:epsilon:absoluteTolerance:relativeTolerance:_:)`` for a function of
/// one tensor: `gradcheck({ $0.sigmoid() }, inputs: [x])`.
public func gradcheck(
    _ f: (Tensor) -> Tensor, inputs: [Tensor],
    epsilon: Double? = nil, absoluteTolerance: Double? = nil, relativeTolerance: Double? = nil
) -> GradcheckResult {
    checkUsage(inputs.count == 1, "gradcheck: a function of one tensor takes exactly one input, got \(inputs.count)")
    return gradcheck(inputs: inputs, epsilon: epsilon, absoluteTolerance: absoluteTolerance,
                     relativeTolerance: relativeTolerance) { f($0[0]) }
}

/// (f(x + ε·e) - f(x - ε·e)) / 2ε for one element e of one input, per output element; the
/// step is what the input's dtype actually holds after rounding.
private func centralDifference(
    _ f: ([Tensor]) -> Tensor, inputs: [Tensor], nudging input: Tensor, element: Int, epsilon: Double
) -> [Double] {
    let values = input.array
    let original = values.element(at: element)
    values.setElement(at: element, to: original + epsilon)
    let high = values.element(at: element)
    let plus = f(inputs).asArray(Double.self)
    values.setElement(at: element, to: original - epsilon)
    let low = values.element(at: element)
    let minus = f(inputs).asArray(Double.self)
    values.setElement(at: element, to: original)
    return zip(plus, minus).map { ($0 - $1) / (high - low) }
}
