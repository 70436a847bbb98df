import AutogradCore
import Foundation

/// The backward rule of every primitive, in one table.
///
/// Each rule maps the gradient of the output to one optional gradient per input. Rules are
/// written with differentiable tensor operations, so when backward runs with
/// `createGraph: true` they record a graph of their own and can be differentiated again.
/// Gradients may come back with the broadcast shape; the engine sums them to each input's
/// shape in one place (``sumToShape(_:_:)``).
extension Node {
    /// The gradients of the inputs given `grad`, the gradient of this node's output.
    func inputGradients(_ grad: Tensor) throws(AutogradError) -> [Tensor?] {
        // Tensor ops check the grad mode themselves, so `differentiable: true` is right in either.
        var grad = grad
        if case let (first, second)? = try arithmeticGradients(&grad, differentiable: true) {
            return edges.count == 1 ? [first] : [first, second]
        }
        let saved = UnpackedSavedValues(self)
        switch op {
        case .add, .subtract, .multiply, .divide, .addScalar, .subtractScalar, .reverseSubtractScalar, .multiplyScalar,
             .divideScalar, .negate:
            preconditionFailure("\(name) is differentiated by arithmeticGradients")
        case .power: return try powerGradients(grad, base: saved.first(), exponent: saved.second(), result: saved.result())
        case .maximum, .minimum: return try extremumGradients(grad, saved.first(), saved.second(), largest: op.isMaximum)
        case .powerScalar(let e):
            if e == 0 { return [Tensor.zeros(inputShapes[0], dtype: edges[0].dtype)] }
            return try [grad * (e * saved.first().pow(e - 1))]
        case .reversePowerScalar(let s):
            if s != 0 { return try [grad * saved.result() * Foundation.log(s)] }
            // 0^x, as PyTorch: ln 0 is taken as 0 where x >= 0 (0^x <= 1), so only x < 0
            // (0^x = ∞) gets ∞·ln 0 = -∞ instead of NaN everywhere else.
            let maskedLogBase = try saved.result().array.map(.addScalar(-1)).map(.isPositive).map(.reverseSubtractScalar(1)).map(.log)
            return try [grad * saved.result() * Tensor(maskedLogBase)]
        case .exp: return try [grad * saved.result()]
        case .log: return try [grad / saved.first()]
        case .sqrt: return try [grad / (2 * saved.result())]
        case .abs: return try [grad * Tensor(saved.first().array.map(.sign))]
        case .sin: return try [grad * saved.first().cos()]
        case .cos: return try [-(grad * saved.first().sin())]
        case .tanh:
            let r = try saved.result()
            return [grad * (1 - r * r)]
        case .sigmoid:
            let r = try saved.result()
            return [grad * r * (1 - r)]
        case .relu: return try [grad * Tensor(saved.result().array.map(.isPositive))]
        case .reciprocal:
            let r = try saved.result()
            return [-grad * r * r]
        case .clamp(let low, let high): return try [grad * Tensor(saved.first().array.map(.insideRange(min: low, max: high)))]
        case .erf: return try [grad * (2 / Double.pi.squareRoot()) * (-(saved.first() * saved.first())).exp()]
        case .sumAll: return [grad.expand(inputShapes[0])]
        case .sum(let dims, let keepDim):
            return [Node.restoringReducedDimensions(grad, dims: dims, keepDim: keepDim).expand(inputShapes[0])]
        case .meanAll:
            return [grad.expand(inputShapes[0]) / Float(inputShapes[0].reduce(1, *))]
        case .mean(let dims, let keepDim):
            let size = dims.reduce(1) { $0 * (inputShapes[0].isEmpty ? 1 : inputShapes[0][$1]) }
            return [Node.restoringReducedDimensions(grad, dims: dims, keepDim: keepDim).expand(inputShapes[0]) / Float(size)]
        case .extremeAll:
            let mask = try elementwise(.equal, saved.first().array, saved.result().array)
            let ties = mask.sumAll().scalarValue
            return [grad * Tensor(mask) / ties]
        case .extreme(let dim, let keepDim, _):
            let expanded = keepDim ? grad : grad.unsqueeze(dim)
            return try [expanded * Tensor(oneHot(indices: saved.array(), dim: dim, keepDim: keepDim))]
        case .softmax(let dim):
            let r = try saved.result()
            let weighted = grad * r
            return [weighted - r * weighted.sum(dim: dim, keepDim: true)]
        case .logSoftmax(let dim):
            return try [grad - saved.result().exp() * grad.sum(dim: dim, keepDim: true)]
        case .reshape, .squeeze: return [grad.reshape(inputShapes[0])]
        case .clone, .expand: return [grad]
        case .transpose(let a, let b): return [grad.transpose(a, b)]
        case .permute(let dims):
            var inverse = dims
            for (i, d) in dims.enumerated() { inverse[d] = i }
            return [grad.permute(inverse)]
        case .unsqueeze(let dim): return [grad.squeeze(dim)]
        case .select(let dim, let index):
            return [grad.unsqueeze(dim).embedded(in: inputShapes[0], dim: dim, start: index, end: index + 1)]
        case .slice(let dim, let start, let end):
            return [grad.embedded(in: inputShapes[0], dim: dim, start: start, end: end)]
        case .sliceBackward(let dim, let start, let end): return [grad.slice(dim: dim, start: start, end: end)]
        case .concatenate(let dim, let sizes):
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return grad.slice(dim: dim, start: start, end: start + size)
            }
        case .stack(let dim): return (0..<edges.count).map { grad.select(dim: dim, index: $0) }
        case .matmul(let kind): return try matmulGradients(grad, saved.first(), saved.second(), kind: kind)
        case .convolution(let geometry, let hasBias):
            return try convolutionGradients(grad, input: saved.first(), weight: saved.second(), geometry: geometry, hasBias: hasBias)
        case .unfold(let geometry): return [grad.fold(geometry, imageShape: inputShapes[0])]
        case .fold(let geometry): return [grad.unfold(geometry)]
        case .scaledDotProductAttention(let scale, let causal):
            let (logSumExp, mask) = try saved.attention()
            return try attentionGradients(
                grad, query: saved.first(), key: saved.second(), value: saved.third(), output: saved.result(),
                logSumExp: logSumExp, mask: mask, scale: scale, causal: causal)
        case .maxPool2d: return try [maxPool2dGradient(grad, indices: saved.array(), inputShape: inputShapes[0])]
        case .indexSelect(let dim): return try [grad.indexAdd(dim: dim, indices: saved.indices(), size: inputShapes[0][dim])]
        case .indexAdd(let dim): return try [grad.indexSelect(dim: dim, indices: saved.indices())]
        case .custom(let rule): return try rule.gradients(grad, node: self)
        case .toCopy(let source): return [grad.to(source)]
        case .selectWhere:
            let condition = try Tensor(saved.array())
            return [needs(0) ? grad.maskedFill(.!condition, 0) : nil, needs(1) ? grad.maskedFill(condition, 0) : nil]
        case .maskedFill: return try [grad.maskedFill(Tensor(saved.array()), 0)]
        case .copySlices(let replay): return replay.gradients(grad)
        case .detach: return [nil]
        // math: elementwise (Derivatives+Math.swift)
        case .log1p, .expm1, .rsqrt, .tan, .silu, .sinh, .cosh, .asin, .acos, .atan, .softplus, .nanToNum:
            return try [smoothFunctionGradient(grad, saved)]
        case .sign, .floor, .ceil, .round, .trunc: return [Tensor.zeros(inputShapes[0], dtype: edges[0].dtype)]
        case .remainderScalar, .fmodScalar: return [grad]
        case .remainder, .fmod: return try remainderGradients(grad, saved.first(), saved.second())
        case .lerp(let weight): return [grad * (1 - weight), grad * weight]
        case .clampTensors(let hasMin, let hasMax): return try clampGradients(grad, code: saved.array(), hasMin: hasMin, hasMax: hasMax)
        // math: reductions and sorting (Derivatives+Reductions.swift, Derivatives+Sorting.swift)
        case .variance, .standardDeviation, .logSumExp, .vectorNorm, .extremeValues, .medianAll:
            return try [reductionGradient(grad, saved)]
        case .productAll, .product: return try [productGradient(grad, input: saved.first(), result: saved.result())]
        case .cumulativeSum(let dim): return [Node.reverseCumulativeSum(grad, dim: dim)]
        case .cumulativeProduct(let dim):
            return try [cumulativeProductGradient(grad, input: saved.first(), result: saved.result(), dim: dim)]
        case .median(let dim, let keepDim): return try [placedBack(keepDim ? grad : grad.unsqueeze(dim), indices: saved.array(), dim: dim)]
        case .topk(let dim), .sort(let dim, _): return try [placedBack(grad, indices: saved.array(), dim: dim)]
        case .unique: throw .derivativeNotImplemented(function: "_unique2")
        // fused layers (FusedLayers.swift)
        case .gelu(let tanh): return try [geluGradient(grad, input: saved.first(), tanhApproximation: tanh)]
        case .layerNorm(let shape, let eps, let hasWeight, let hasBias):
            let (mean, reciprocalStd) = try saved.rowStatistics()
            return try layerNormGradients(
                grad, input: saved.first(), weight: hasWeight ? saved.second() : nil, hasBias: hasBias,
                normalizedShape: shape, eps: eps, mean: mean, reciprocalStd: reciprocalStd)
        // Shape ops, einsum and small linear algebra
        case .split(let part): return [grad.embedded(in: inputShapes[0], dim: part.dim, start: part.start, end: part.end)]
        case .repetition(let repeats): return [repeatGradient(grad, repeats: repeats)]
        case .flip(let dims): return [grad.flip(dims: dims)]
        case .roll(let shifts, let dims): return [grad.roll(shifts: shifts.map { -$0 }, dims: dims)]
        case .triangle(let upper, let diagonal): return [upper ? grad.triu(diagonal: diagonal) : grad.tril(diagonal: diagonal)]
        case .diagonal(let offset, let dim1, let dim2):
            return [grad.embeddedOnDiagonal(of: inputShapes[0], offset: offset, dim1: dim1, dim2: dim2)]
        case .diagonalBackward(let offset, let dim1, let dim2): return [grad.diagonal(offset: offset, dim1: dim1, dim2: dim2)]
        case .inverse: return try [inverseGradient(grad, inverse: saved.result())]
        case .determinant: return try [determinantGradient(grad, input: saved.first(), determinant: saved.result())]
        case .slogdet(let sign): return sign ? [nil] : try [logAbsDeterminantGradient(grad, input: saved.first())]
        case .solve(let vectorRight):
            return try solveGradients(grad, a: saved.first(), solution: saved.result(), vectorRight: vectorRight)
        case .cholesky: return try [choleskyGradient(grad, factor: saved.result())]
        // Indexing.
        case .alias: return [grad]
        case .stridedSlice, .stridedSliceBackward, .index, .indexPut, .gather, .scatter, .scatterAdd, .indexAddSource,
             .maskedSelect:
            return try indexingGradients(grad, saved)
        // recurrent
        case .recurrentLayer(let mode, let reverse, _):
            return try recurrentLayerGradients(grad, saved, mode: mode, reverse: reverse)
        }
    }

    /// `op` applied to two arrays whose shapes a rule knows to broadcast (a failure here is
    /// an engine bug, reported with the node's name).
    func elementwise(_ op: BinaryOp, _ a: NDArray, _ b: NDArray) -> NDArray {
        trapOnShapeError { () throws(ShapeError) in try NDArray.zip(op, a, b, name: name) }
    }

    /// d(a^b)/da = b·a^(b-1), taken as 0 where b = 0; d(a^b)/db = a^b·ln(a), taken as 0 where
    /// a = 0 and b >= 0 (PyTorch's pow_backward_self and pow_backward_exponent).
    private func powerGradients(_ grad: Tensor, base: Tensor, exponent: Tensor, result: Tensor) -> [Tensor?] {
        // Where b = 0 the power is a^0 = 1, so 0^0 gets 0 rather than 0·0^-1 = NaN.
        let nonZeroExponent = Tensor(exponent.array.map(.sign).map(.abs))
        let baseGradient = needs(0) ? grad * exponent * base.pow(exponent - nonZeroExponent) : nil
        guard needs(1) else { return [baseGradient, nil] }
        // ln(a) becomes ln(1) = 0 where a = 0 and b >= 0.
        let zeroBase = base.array.map(.sign).map(.abs).map(.reverseSubtractScalar(1))
        let nonNegativeExponent = exponent.array.map(.negate).map(.isPositive).map(.reverseSubtractScalar(1))
        let masked = Tensor(elementwise(.multiply, zeroBase, nonNegativeExponent))
        return [baseGradient, grad * result * (base * (1 - masked) + masked).log()]
    }

    /// The gradient goes to the larger (or smaller) input, split in half on ties.
    private func extremumGradients(_ grad: Tensor, _ a: Tensor, _ b: Tensor, largest: Bool) -> [Tensor?] {
        let (winner, loser) = largest ? (a.array, b.array) : (b.array, a.array)
        let wins = elementwise(.greater, winner, loser)
        let ties = elementwise(.equal, a.array, b.array).map(.multiplyScalar(0.5))
        let firstMask = elementwise(.add, wins, ties)
        let secondMask = firstMask.map(.reverseSubtractScalar(1))
        return [needs(0) ? grad * Tensor(firstMask) : nil, needs(1) ? grad * Tensor(secondMask) : nil]
    }

    /// A 0/1 array of the input's shape with 1 where `indices` (taken along `dim`) point.
    private func oneHot(indices: NDArray, dim: Int, keepDim: Bool) -> NDArray {
        let inputShape = inputShapes[0]
        let size = inputShape.isEmpty ? 1 : inputShape[dim]
        var positionShape = [Int](repeating: 1, count: Swift.max(inputShape.count, 1))
        positionShape[dim] = size
        let positions = NDArray(shape: inputShape.isEmpty ? [] : positionShape, scalars: (0..<size).map(Float.init))
        let kept = keepDim || inputShape.isEmpty ? indices : trapOnShapeError { () throws(ShapeError) in try indices.unsqueezed(dim: dim) }
        return elementwise(.equal, positions, kept)
    }

    /// Puts removed reduction dimensions back as size 1 so a gradient can expand.
    static func restoringReducedDimensions(_ grad: Tensor, dims: [Int], keepDim: Bool) -> Tensor {
        if keepDim { return grad }
        return dims.sorted().reduce(grad) { $0.unsqueeze($1) }
    }

    /// Matrix-product gradients: dA = dC·Bᵀ, dB = Aᵀ·dC, with 1-D operands promoted to
    /// matrices as in the forward pass and summed back over broadcast batch dimensions; a
    /// matrix B under a batched A gets dB from A's rows folded into one matrix.
    /// An operand stored transposed (Linear's `weight.mT`) gets its gradient as the
    /// transpose of the transposed product, dB = (dCᵀ·A)ᵀ and dA = (B·dCᵀ)ᵀ, laid out like
    /// the operand, so the gradient of the matrix behind it is contiguous.
    private func matmulGradients(_ grad: Tensor, _ a: Tensor, _ b: Tensor, kind: MatmulKind) -> [Tensor?] {
        let left = a.rank == 1 ? a.unsqueeze(0) : a
        let right = b.rank == 1 ? b.unsqueeze(1) : b
        var outputGradient = grad
        if b.rank == 1 { outputGradient = outputGradient.unsqueeze(-1) }
        if a.rank == 1 { outputGradient = outputGradient.unsqueeze(-2) }
        var gradA: Tensor?, gradB: Tensor?
        if needs(0) {
            let product = Self.isStoredTransposed(left)
                ? right.matmul(outputGradient.mT).mT : outputGradient.matmul(right.mT)
            gradA = Self.reshaped(sumToShape(product, left.shape), a.shape)
        }
        if needs(1) {
            if a.rank >= 3 && b.rank == 2 {
                // [B..., T, C] @ [C, N]: the rows of every batch entry fold into one matrix,
                // [B·T, C]ᵀ·[B·T, N], so the gradient is one product (as for PyTorch's linear)
                // rather than a product per batch entry summed afterwards.
                let rows = left.reshape([-1, left.shape[left.rank - 1]])
                let gradientRows = outputGradient.reshape([-1, outputGradient.shape[outputGradient.rank - 1]])
                gradB = Self.isStoredTransposed(right)
                    ? gradientRows.mT.matmul(rows).mT : rows.mT.matmul(gradientRows)
            } else {
                let product = Self.isStoredTransposed(right)
                    ? outputGradient.mT.matmul(left).mT : left.mT.matmul(outputGradient)
                gradB = Self.reshaped(sumToShape(product, right.shape), b.shape)
            }
        }
        return [gradA, gradB]
    }

    /// Whether the last two dimensions of `t` are the transpose of a row-major matrix
    /// (unit row stride, columns one column-length apart).
    private static func isStoredTransposed(_ t: Tensor) -> Bool {
        let strides = t.array.layout.strides, shape = t.shape, rank = t.rank
        guard rank >= 2, shape[rank - 2] > 1, shape[rank - 1] > 1 else { return false }
        return strides[rank - 2] == 1 && strides[rank - 1] == shape[rank - 2]
    }

    /// `t` with shape `shape`: itself when it already has it (reshape would copy a view
    /// that is not row-major), else reshaped.
    private static func reshaped(_ t: Tensor, _ shape: [Int]) -> Tensor {
        t.shape == shape ? t : t.reshape(shape)
    }

    /// Convolution gradients through im2col: dInput = fold(Wᵀ·dOut),
    /// dWeight = Σ_n dOut·unfold(input)ᵀ, dBias = Σ dOut over batch and positions.
    private func convolutionGradients(
        _ grad: Tensor, input: Tensor, weight: Tensor, geometry: ConvolutionGeometry, hasBias: Bool
    ) -> [Tensor?] {
        if !GradMode.isEnabled {
            // Not recording the backward pass: the fused kernels (one image's columns at a
            // time, threaded over the batch) give the same values as the composed ops below.
            let (dx, dw, db) = NDArray.convolution2dBackward(
                grad.array, input: input.array, weight: weight.array, geometry: geometry,
                inputGradient: needs(0), weightGradient: needs(1), biasGradient: hasBias && needs(2))
            let result = [dx.map { Tensor($0) }, dw.map { Tensor($0) }]
            return hasBias ? result + [db.map { Tensor($0) }] : result
        }
        let (n, outChannels) = (grad.shape[0], grad.shape[1])
        let gradColumns = grad.reshape([n, outChannels, -1])
        let kernels = weight.reshape([outChannels, -1])
        let gradInput = needs(0)
            ? kernels.mT.matmul(gradColumns).fold(geometry, imageShape: input.shape) : nil
        let gradWeight = needs(1)
            ? gradColumns.matmul(input.unfold(geometry).mT).sum(dim: 0).reshape(weight.shape) : nil
        var result = [gradInput, gradWeight]
        if hasBias { result.append(needs(2) ? grad.sum(dims: [0, 2, 3]) : nil) }
        return result
    }
}

extension Op {
    /// True for `maximum`, false for `minimum`.
    var isMaximum: Bool {
        if case .maximum = self { return true }
        return false
    }
}

/// Sums a gradient over the dimensions that broadcasting added or stretched, so it has the
/// shape of the input it belongs to. The one place where broadcast gradients are reduced.
func sumToShape(_ grad: Tensor, _ shape: [Int]) -> Tensor {
    if grad.shape == shape { return grad }
    let dims = broadcastReductionDimensions(from: grad.shape, to: shape)
    let reduced = dims.isEmpty ? grad : grad.sum(dims: dims, keepDim: true)
    return reduced.shape == shape ? reduced : reduced.reshape(shape)
}

extension Tensor {
    /// This tensor placed at `start..<end` along `dim` inside zeros of `shape` (the
    /// backward of slicing, recorded so it can be differentiated again).
    func embedded(in shape: [Int], dim: Int, start: Int, end: Int) -> Tensor {
        let result = NDArray(zeros: shape, dtype: dtype)
        let window = trapOnShapeError { () throws(ShapeError) in try result.sliced(dim: dim, start: start, end: end) }
        window.assign(from: array)
        return Tensor.record(result, .sliceBackward(dim: dim, start: start, end: end), input: self)
    }
}
