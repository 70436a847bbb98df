import AutogradCore

/// The backward rules of the reductions and scans (var, std, prod,
/// logsumexp, vector norms, amax/amin, median, cumsum, cumprod), written with
/// differentiable tensor ops, after PyTorch's FunctionsManual.cpp.
extension Node {
    /// The gradient of a reduction whose rule reads its input and result.
    func reductionGradient(_ grad: Tensor, _ saved: UnpackedSavedValues) throws(AutogradError) -> Tensor {
        let x = try saved.first()
        func restored(_ t: Tensor, _ dims: [Int], _ keepDim: Bool) -> Tensor {
            Node.restoringReducedDimensions(t, dims: dims, keepDim: keepDim)
        }
        switch op {
        case .variance(let dims, let correction, let keepDim):
            return Node.varianceGradient(restored(grad, dims, keepDim), x, dims: dims, correction: correction)
        case .standardDeviation(let dims, let correction, let keepDim):
            let r = try restored(saved.result(), dims, keepDim)
            return Node.varianceGradient(restored(grad, dims, keepDim) / (r * 2), x, dims: dims, correction: correction)
        case .logSumExp(let dims, let keepDim):
            return try restored(grad, dims, keepDim) * (x - restored(saved.result(), dims, keepDim)).exp()
        case .vectorNorm(let p, let dims, let keepDim):
            return try Node.normGradient(restored(grad, dims, keepDim), x, norm: restored(saved.result(), dims, keepDim), p: p, dims: dims)
        case .extremeValues(let dims, let keepDim, _):
            // Shared evenly among the elements equal to the extremum.
            let mask = try (restored(saved.result(), dims, keepDim) .== x).to(x.dtype)
            return restored(grad, dims, keepDim) / mask.sum(dims: dims, keepDim: true) * mask
        case .medianAll:
            let r = try saved.result()
            let mask = ((x .== r) .| (x.isnan() .& r.isnan())).to(x.dtype)
            return grad / mask.sum() * mask
        default: throw .savedValueMissing(node: name)
        }
    }

    /// d var / dx = 2 (x - mean) / (N - correction), times the (restored) gradient.
    private static func varianceGradient(_ grad: Tensor, _ x: Tensor, dims: [Int], correction: Double) -> Tensor {
        let n = dims.reduce(1) { $0 * x.shape[$1] }
        let centered = x.rank == 0 ? x - x.detach() : x - x.mean(dims: dims, keepDim: true)
        return (2 / (Double(n) - correction)) * grad * centered
    }

    /// The gradient of a p-norm (PyTorch's norm_backward): sign(x) for p = 1, x / ‖x‖ for
    /// p = 2 (0 where the norm is 0), shared among the largest |x| for p = ±∞, and
    /// x·|x|^(p-2) / ‖x‖^(p-1) otherwise.
    private static func normGradient(_ grad: Tensor, _ x: Tensor, norm: Tensor, p: Double, dims: [Int]) -> Tensor {
        switch p {
        case 0: return Tensor.zeros(x.shape, dtype: x.dtype)
        case 1: return x.sign() * grad
        case 2: return grad * (x / norm).maskedFill(norm .== 0.0, 0)
        case .infinity, -.infinity:
            let mask = (x.abs() .== norm).to(x.dtype)
            return x.sign() * (grad / mask.sum(dims: dims, keepDim: true)) * mask
        default:
            let scaled = p < 1 ? x.sign() * x.abs().pow(p - 1) : x * x.abs().pow(p - 2)
            let scale = (grad / norm.pow(p - 1)).maskedFill(norm .== 0.0, 0)
            return scaled * scale
        }
    }

    /// The gradient of `prod`: result / x where no element is 0, else the product of the
    /// others, as exclusive running products from both ends (PyTorch's prod_backward).
    func productGradient(_ grad: Tensor, input: Tensor, result: Tensor) -> Tensor {
        if input.rank == 0 { return grad }
        var (g, r, x, dim) = (grad, result, input, 0)
        if case .product(let d, let keepDim) = op {
            dim = d
            if !keepDim { (g, r) = (grad.unsqueeze(d), result.unsqueeze(d)) }
        } else {
            x = input.reshape([-1])
        }
        let gradient: Tensor
        if !input.array.doubles.contains(0) {
            gradient = g * r / x
        } else {
            let others = Node.exclusiveProducts(x, dim: dim) * Node.flipped(Node.exclusiveProducts(Node.flipped(x, dim: dim), dim: dim), dim: dim)
            gradient = g * others
        }
        return gradient.shape == input.shape ? gradient : gradient.reshape(input.shape)
    }

    /// The product of the elements before each one along `dim` (1 for the first).
    private static func exclusiveProducts(_ x: Tensor, dim: Int) -> Tensor {
        let n = x.shape[dim]
        var onesShape = x.shape
        onesShape[dim] = 1
        let ones = Tensor.ones(onesShape, dtype: x.dtype)
        if n <= 1 { return n == 0 ? x : ones }
        return cat([ones, x.slice(dim: dim, start: 0, end: n - 1).cumprod(dim: dim)], dim: dim)
    }

    /// `x` reversed along `dim`, recorded (as an index selection) so it can be differentiated.
    static func flipped(_ x: Tensor, dim: Int) -> Tensor {
        let n = x.shape[dim]
        return n <= 1 ? x : x.indexSelect(dim: dim, indices: Array((0..<n).reversed()))
    }

    /// Σ_{j ≥ i} t_j along `dim`: the gradient of cumsum.
    static func reverseCumulativeSum(_ t: Tensor, dim: Int) -> Tensor {
        if t.rank == 0 { return t }
        return flipped(flipped(t, dim: dim).cumsum(dim: dim), dim: dim)
    }

    /// The gradient of cumprod: Σ_{j ≥ i} g_j y_j / x_i where no element is 0 (recorded,
    /// so it can be differentiated again); rows with a zero take the exact formula
    /// around their first zero (PyTorch's cumprod_backward), computed directly.
    func cumulativeProductGradient(_ grad: Tensor, input: Tensor, result: Tensor, dim: Int) -> Tensor {
        if !input.array.doubles.contains(0) {
            return Node.reverseCumulativeSum(grad * result, dim: dim) / input
        }
        let g = grad.dtype == input.dtype ? grad.array : grad.array.converted(to: input.dtype)
        return Tensor(NDArray.cumulativeProductBackward(g, input: input.array, dim: dim))
    }
}
