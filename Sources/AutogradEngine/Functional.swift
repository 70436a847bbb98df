import AutogradCore

/// The gradients of `outputs` with respect to `inputs`, like `torch.autograd.grad`.
///
/// Unlike `backward()`, nothing is accumulated into a leaf's `grad`: the gradients are
/// returned, one per input (nil for an input the outputs do not depend on). As in
/// PyTorch, only the part of the graph between `outputs` and `inputs` runs, so hooks
/// elsewhere do not run; a retained non-leaf on that part still gets its `grad`.
/// - Parameters:
///   - outputs: The tensors to differentiate.
///   - inputs: The tensors to differentiate with respect to; leaves or not.
///   - gradOutputs: The gradient to start from for each output; nil (or a nil entry)
///     means ones, allowed only for one-element outputs.
///   - retainGraph: Keep the graph's saved values for another pass. Defaults to `createGraph`.
///   - createGraph: Record this pass so its results can be differentiated again.
///   - allowUnused: Whether an input the outputs do not depend on gets nil (the default,
///     unlike PyTorch's) rather than stopping with PyTorch's message.
/// ```swift
/// let x = Tensor([3.0], requiresGrad: true)
/// let dy = grad(outputs: [x ** 3], inputs: [x], createGraph: true)[0]!   // 3x² = 27
/// let d2y = grad(outputs: [dy], inputs: [x])[0]!                          // 6x = 18
/// ```
public func grad(
    outputs: [Tensor], inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = true
) -> [Tensor?] {
    do {
        return try gradChecked(
            outputs: outputs, inputs: inputs, gradOutputs: gradOutputs,
            retainGraph: retainGraph, createGraph: createGraph, allowUnused: allowUnused)
    } catch {
        usageFailure(error.message)
    }
}

/// ``grad(outputs:inputs:gradOutputs:retainGraph:createGraph:allowUnused:)`` that throws
/// its errors instead of stopping.
public func gradChecked(
    outputs: [Tensor], inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = true
) throws(AutogradError) -> [Tensor?] {
    guard gradOutputs.map({ $0.count == outputs.count }) ?? true else {
        throw .gradOutputCount(given: gradOutputs?.count ?? 0, outputs: outputs.count)
    }
    guard inputs.allSatisfy(\.requiresGrad) else {
        throw .differentiatedInputDoesNotRequireGrad
    }
    var roots: [(Edge, Tensor)] = []
    for (index, output) in outputs.enumerated() {
        guard output.requiresGrad else {
            throw .outputDoesNotRequireGrad(index: index)
        }
        roots.append((output.gradientEdge, try seedGradient(for: output, given: gradOutputs?[index])))
    }
    let targets = PassTargets(inputs: inputs, captures: true)
    try BackwardEngine.run(
        roots: roots, retainGraph: retainGraph ?? createGraph, createGraph: createGraph, targets: targets)
    if !allowUnused, let unused = targets.gradients.firstIndex(where: { $0 == nil }) {
        throw .unusedInput(index: unused)
    }
    return targets.gradients
}

/// The gradient a backward pass starts from: the given one (checked against the output's
/// shape) or ones for a one-element output.
func seedGradient(for output: Tensor, given: Tensor?) throws(AutogradError) -> Tensor {
    if let given {
        guard given.shape == output.shape else {
            throw .gradOutputShape(given: given.shape, output: output.shape)
        }
        return given
    }
    guard output.count == 1 else { throw .nonScalarOutput }
    return Tensor.ones(output.shape, dtype: output.dtype)
}

/// A tensor that stands for `x` as the variable of a functional transform: a fresh leaf
/// sharing its values, or, when building a graph through the transform, a view of `x`
/// that keeps `x`'s history.
private func variable(for x: Tensor, createGraph: Bool) -> Tensor {
    createGraph && x.requiresGrad ? x.reshape(x.shape) : Tensor(x.array, requiresGrad: true)
}

/// The value of `f` at `x` and the vector-Jacobian product `vᵀ·∂f/∂x`, like
/// `torch.autograd.functional.vjp`.
public func vjp(
    _ f: (Tensor) -> Tensor, at x: Tensor, cotangent v: Tensor, createGraph: Bool = false
) -> (value: Tensor, vjp: Tensor) {
    let input = variable(for: x, createGraph: createGraph)
    let output = f(input)
    guard output.requiresGrad else { return (output, Tensor.zeros(x.shape, dtype: x.dtype)) }
    let product = grad(outputs: [output], inputs: [input], gradOutputs: [v], createGraph: createGraph)[0]
    return (createGraph ? output : output.detach(), product ?? Tensor.zeros(x.shape, dtype: x.dtype))
}

/// The value of `f` at `x` and the Jacobian-vector product `∂f/∂x·v`, like
/// `torch.autograd.functional.jvp`, computed with two reverse passes (the "double-vjp"
/// trick), which needs every rule on the way to be differentiable.
public func jvp(
    _ f: (Tensor) -> Tensor, at x: Tensor, tangent v: Tensor, createGraph: Bool = false
) -> (value: Tensor, jvp: Tensor) {
    let input = variable(for: x, createGraph: createGraph)
    let output = f(input)
    guard output.requiresGrad else { return (output, Tensor.zeros(output.shape, dtype: output.dtype)) }
    let dummy = Tensor.zeros(output.shape, dtype: output.dtype, requiresGrad: true)
    guard let transposed = grad(outputs: [output], inputs: [input], gradOutputs: [dummy], createGraph: true)[0],
          transposed.requiresGrad
    else { return (output.detach(), Tensor.zeros(output.shape, dtype: output.dtype)) }
    let product = grad(outputs: [transposed], inputs: [dummy], gradOutputs: [v], createGraph: createGraph)[0]
    return (createGraph ? output : output.detach(), product ?? Tensor.zeros(output.shape, dtype: output.dtype))
}

/// The Jacobian of `f` at `x`, with shape `f(x).shape + x.shape`, like
/// `torch.autograd.functional.jacobian` (one reverse pass per output element).
public func jacobian(_ f: (Tensor) -> Tensor, at x: Tensor, createGraph: Bool = false) -> Tensor {
    let input = variable(for: x, createGraph: createGraph)
    return jacobianRows(of: f(input), with: input, createGraph: createGraph)
}

/// The Hessian of a scalar function `f` at `x`, with shape `x.shape + x.shape`, like
/// `torch.autograd.functional.hessian`.
public func hessian(_ f: (Tensor) -> Tensor, at x: Tensor, createGraph: Bool = false) -> Tensor {
    let input = variable(for: x, createGraph: createGraph)
    let output = f(input)
    checkUsage(output.count == 1, "hessian: the function must return a single-element tensor, got shape \(output.shape)")
    guard output.requiresGrad,
          let gradient = grad(outputs: [output], inputs: [input], createGraph: true)[0]
    else { return Tensor.zeros(x.shape + x.shape, dtype: x.dtype) }
    return jacobianRows(of: gradient, with: input, createGraph: createGraph)
}

/// Stacks `∂output[i]/∂input` for every element `i` of `output` into
/// `output.shape + input.shape`.
private func jacobianRows(of output: Tensor, with input: Tensor, createGraph: Bool) -> Tensor {
    guard output.requiresGrad, output.count > 0 else { return Tensor.zeros(output.shape + input.shape, dtype: input.dtype) }
    let rows: [Tensor] = (0..<output.count).map { index in
        let seed = Tensor.zeros(output.shape, dtype: output.dtype)
        seed.array.setElement(at: index, to: 1)
        let row = grad(outputs: [output], inputs: [input], gradOutputs: [seed], retainGraph: true, createGraph: createGraph)[0]
        return row ?? Tensor.zeros(input.shape, dtype: input.dtype)
    }
    return stack(rows).reshape(output.shape + input.shape)
}
