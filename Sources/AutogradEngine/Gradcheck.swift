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
/// Every element of every input that requires grad is nudged by ±`epsilon`, and the change
/// in every output element is compared with the Jacobian rows backward gives. The values
/// stay `Float`, so the defaults suit single precision; the differences are formed in
/// `Double`.
/// ```swift
/// let a = Tensor([0.3, -1.2], requiresGrad: true), b = Tensor([2.0], requiresGrad: true)
/// let result = gradcheck(inputs: [a, b]) { $0[0].tanh() * $0[1] }
/// print(result)   // gradcheck passed (max error ...)
/// ```
public func gradcheck(
    inputs: [Tensor], epsilon: Float = 1e-3, absoluteTolerance: Double = 1e-3, relativeTolerance: Double = 1e-2,
    _ f: ([Tensor]) -> Tensor
) -> GradcheckResult {
    let output = f(inputs)
    let checked = inputs.filter(\.requiresGrad)
    var worstError = 0.0, worst = "", passed = true
    // Analytical Jacobian: one reverse pass per output element.
    var analytical: [[Tensor?]] = []
    for index in 0..<output.count {
        var selector = [Float](repeating: 0, count: output.count)
        selector[index] = 1
        let seed = Tensor(shape: output.shape, scalars: selector)
        analytical.append(output.requiresGrad
            ? grad(outputs: [output], inputs: checked, gradOutputs: [seed], retainGraph: true)
            : Array(repeating: nil, count: checked.count))
    }
    for (inputIndex, input) in checked.enumerated() {
        for element in 0..<input.count {
            let numerical = centralDifference(f, inputs: inputs, nudging: input, element: element, epsilon: epsilon)
            for (outputIndex, change) in numerical.enumerated() {
                let exact = analytical[outputIndex][inputIndex].map { Double($0.scalars[element]) } ?? 0
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
    epsilon: Float = 1e-3, absoluteTolerance: Double = 1e-3, relativeTolerance: Double = 1e-2
) -> GradcheckResult {
    checkUsage(inputs.count == 1, "gradcheck: a function of one tensor takes exactly one input, got \(inputs.count)")
    return gradcheck(inputs: inputs, epsilon: epsilon, absoluteTolerance: absoluteTolerance,
                     relativeTolerance: relativeTolerance) { f($0[0]) }
}

/// (f(x + ε·e) - f(x - ε·e)) / 2ε for one element e of one input, per output element.
private func centralDifference(
    _ f: ([Tensor]) -> Tensor, inputs: [Tensor], nudging input: Tensor, element: Int, epsilon: Float
) -> [Double] {
    let pointer = input.array.contiguousElementPointer(element)
    let original = pointer.pointee
    pointer.pointee = original + epsilon
    let plus = f(inputs).scalars
    pointer.pointee = original - epsilon
    let minus = f(inputs).scalars
    pointer.pointee = original
    let step = Double(original + epsilon) - Double(original - epsilon)
    return zip(plus, minus).map { (Double($0) - Double($1)) / step }
}
