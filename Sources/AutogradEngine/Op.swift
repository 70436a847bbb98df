import AutogradCore

/// Every differentiable primitive, with the attributes its backward rule and the graph
/// drawing need. Its backward rule is in `Derivatives.swift`.
///
/// Every node stores one, so the cases whose attributes take more than 15 bytes are
/// `indirect`: boxed, they keep every node's op to 16 bytes (``Node`` counts on it).
enum Op {
    // Elementwise, tensor with tensor (broadcasting).
    case add, subtract, multiply, divide, power, maximum, minimum
    // Elementwise, tensor with a scalar.
    case addScalar(Double), subtractScalar(Double), reverseSubtractScalar(Double)
    case multiplyScalar(Double), divideScalar(Double), powerScalar(Double), reversePowerScalar(Double)
    // Elementwise, one tensor.
    case negate, exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu, reciprocal
    indirect case clamp(min: Double?, max: Double?)
    case erf
    // Reductions.
    case sumAll, sum(dims: [Int], keepDim: Bool)
    case meanAll, mean(dims: [Int], keepDim: Bool)
    case extremeAll(largest: Bool)
    case extreme(dim: Int, keepDim: Bool, largest: Bool)
    case softmax(dim: Int), logSoftmax(dim: Int)
    // Shapes and views.
    case reshape(contiguousInput: Bool)
    case clone
    indirect case transpose(Int, Int)
    case permute([Int])
    case squeeze(dim: Int?)
    case unsqueeze(dim: Int)
    case expand
    indirect case select(dim: Int, index: Int)
    indirect case slice(dim: Int, start: Int, end: Int)
    indirect case sliceBackward(dim: Int, start: Int, end: Int)
    indirect case concatenate(dim: Int, sizes: [Int])
    case stack(dim: Int)
    // Linear algebra and convolution.
    case matmul(MatmulKind)
    indirect case convolution(ConvolutionGeometry, hasBias: Bool)
    indirect case unfold(ConvolutionGeometry)
    indirect case fold(ConvolutionGeometry)
    // Attention: softmax(scale·Q Kᵀ + mask) V, fused (the mask and causality are saved).
    case scaledDotProductAttention(scale: Double, causal: Bool)
    // Max pooling (the positions of the maxima are saved).
    indirect case maxPool2d(ConvolutionGeometry)
    // Gathering rows by index, and its adjoint (scatter-add into zeros).
    case indexSelect(dim: Int)
    case indexAdd(dim: Int)
    // A write into a view, recorded on the view's base (PyTorch's CopySlices).
    case copySlices(ViewReplay)
    // Dtypes and masks.
    case toCopy(from: DType)
    case selectWhere
    case maskedFill
    // `detach()`, traced for drawings only: no gradient flows through it.
    case detach
    // A user-defined function.
    case custom(CustomFunctionRule)
    // math: elementwise functions.
    case log1p, expm1, rsqrt, tan, silu, sinh, cosh, asin, acos, atan
    case sign, floor, ceil, round, trunc
    indirect case softplus(beta: Double, threshold: Double)
    case remainderScalar(Double), fmodScalar(Double), remainder, fmod
    case lerp(weight: Double)
    case clampTensors(hasMin: Bool, hasMax: Bool)
    case nanToNum
    // math: reductions, scans and sorting. `dims` are normalised and sorted.
    indirect case variance(dims: [Int], correction: Double, keepDim: Bool)
    indirect case standardDeviation(dims: [Int], correction: Double, keepDim: Bool)
    case productAll, product(dim: Int, keepDim: Bool)
    case logSumExp(dims: [Int], keepDim: Bool)
    indirect case vectorNorm(p: Double, dims: [Int], keepDim: Bool)
    case cumulativeSum(dim: Int), cumulativeProduct(dim: Int)
    case extremeValues(dims: [Int], keepDim: Bool, largest: Bool)
    case medianAll, median(dim: Int, keepDim: Bool)
    case topk(dim: Int), sort(dim: Int, stable: Bool)
    case unique
    // Fused layers: GELU and layer normalisation over the trailing `normalizedShape`
    // (inputs: x, then the weight and bias when present; the row statistics are saved).
    case gelu(tanhApproximation: Bool)
    indirect case layerNorm(normalizedShape: [Int], eps: Double, hasWeight: Bool, hasBias: Bool)
    // Shape ops, einsum and small linear algebra
    indirect case split(SplitPart)
    case repetition([Int])
    case flip([Int])
    indirect case roll(shifts: [Int], dims: [Int])
    indirect case triangle(upper: Bool, diagonal: Int)
    indirect case diagonal(offset: Int, dim1: Int, dim2: Int)
    indirect case diagonalBackward(offset: Int, dim1: Int, dim2: Int)
    case inverse
    case determinant
    case slogdet(sign: Bool)
    case solve(vectorRight: Bool)
    case cholesky
    // Indexing: subscripts, gather and scatter.
    case alias
    indirect case stridedSlice(dim: Int, start: Int, end: Int, step: Int)
    indirect case stridedSliceBackward(dim: Int, start: Int, end: Int, step: Int)
    case index(dims: [Int])
    case indexPut(dims: [Int], accumulate: Bool)
    case gather(dim: Int)
    case scatter(dim: Int)
    case scatterAdd(dim: Int)
    case indexAddSource(dim: Int)
    case maskedSelect
    // recurrent: one RNN, LSTM or GRU layer (or a single cell step) over a sequence, fused;
    // the activations of every step are saved (see `SavedAuxiliary.recurrent`).
    case recurrentLayer(RecurrentKernel.Mode, reverse: Bool, cell: Bool)

    /// PyTorch's grad_fn class name.
    var name: String {
        switch self {
        case .add, .addScalar: return "AddBackward0"
        case .subtract, .subtractScalar: return "SubBackward0"
        case .reverseSubtractScalar: return "RsubBackward1"
        case .multiply, .multiplyScalar: return "MulBackward0"
        case .divide, .divideScalar: return "DivBackward0"
        case .power: return "PowBackward1"
        case .powerScalar: return "PowBackward0"
        case .reversePowerScalar: return "PowBackward2"
        case .maximum: return "MaximumBackward0"
        case .minimum: return "MinimumBackward0"
        case .negate: return "NegBackward0"
        case .exp: return "ExpBackward0"
        case .log: return "LogBackward0"
        case .sqrt: return "SqrtBackward0"
        case .abs: return "AbsBackward0"
        case .sin: return "SinBackward0"
        case .cos: return "CosBackward0"
        case .tanh: return "TanhBackward0"
        case .sigmoid: return "SigmoidBackward0"
        case .relu: return "ReluBackward0"
        case .reciprocal: return "ReciprocalBackward0"
        case .clamp: return "ClampBackward1"
        case .erf: return "ErfBackward0"
        case .sumAll: return "SumBackward0"
        case .sum: return "SumBackward1"
        case .meanAll: return "MeanBackward0"
        case .mean: return "MeanBackward1"
        case .extremeAll(let largest): return largest ? "MaxBackward1" : "MinBackward1"
        case .extreme(_, _, let largest): return largest ? "MaxBackward0" : "MinBackward0"
        case .softmax: return "SoftmaxBackward0"
        case .logSoftmax: return "LogSoftmaxBackward0"
        case .reshape(let contiguousInput): return contiguousInput ? "ViewBackward0" : "UnsafeViewBackward0"
        case .clone: return "CloneBackward0"
        case .transpose: return "TransposeBackward0"
        case .permute: return "PermuteBackward0"
        case .squeeze(let dim): return dim == nil ? "SqueezeBackward0" : "SqueezeBackward1"
        case .unsqueeze: return "UnsqueezeBackward0"
        case .expand: return "ExpandBackward0"
        case .select: return "SelectBackward0"
        case .slice: return "SliceBackward0"
        case .sliceBackward: return "SliceBackwardBackward0"
        case .concatenate: return "CatBackward0"
        case .stack: return "StackBackward0"
        case .matmul(let kind): return kind.nodeName
        case .convolution: return "ConvolutionBackward0"
        case .unfold: return "Im2ColBackward0"
        case .fold: return "Col2ImBackward0"
        case .maxPool2d: return "MaxPool2DWithIndicesBackward0"
        case .scaledDotProductAttention: return "ScaledDotProductFlashAttentionForCpuBackward0"
        case .gelu: return "GeluBackward0"
        case .layerNorm: return "NativeLayerNormBackward0"
        case .indexSelect: return "IndexSelectBackward0"
        case .indexAdd: return "IndexAddBackward0"
        case .custom(let rule): return rule.name
        case .toCopy: return "ToCopyBackward0"
        case .selectWhere: return "WhereBackward0"
        case .maskedFill: return "MaskedFillBackward0"
        case .copySlices: return "CopySlices"
        case .detach: return "Detach"
        // math
        case .log1p: return "Log1PBackward0"
        case .expm1: return "Expm1Backward0"
        case .rsqrt: return "RsqrtBackward0"
        case .tan: return "TanBackward0"
        case .silu: return "SiluBackward0"
        case .sinh: return "SinhBackward0"
        case .cosh: return "CoshBackward0"
        case .asin: return "AsinBackward0"
        case .acos: return "AcosBackward0"
        case .atan: return "AtanBackward0"
        case .sign: return "SignBackward0"
        case .floor: return "FloorBackward0"
        case .ceil: return "CeilBackward0"
        case .round: return "RoundBackward0"
        case .trunc: return "TruncBackward0"
        case .softplus: return "SoftplusBackward0"
        case .remainderScalar: return "RemainderBackward0"
        case .remainder: return "RemainderBackward1"
        case .fmodScalar: return "FmodBackward0"
        case .fmod: return "FmodBackward1"
        case .lerp: return "LerpBackward0"
        case .clampTensors: return "ClampBackward0"
        case .nanToNum: return "NanToNumBackward0"
        case .variance: return "VarBackward0"
        case .standardDeviation: return "StdBackward0"
        case .productAll: return "ProdBackward0"
        case .product: return "ProdBackward1"
        case .logSumExp: return "LogsumexpBackward0"
        case .vectorNorm: return "LinalgVectorNormBackward0"
        case .cumulativeSum: return "CumsumBackward0"
        case .cumulativeProduct: return "CumprodBackward0"
        case .extremeValues(_, _, let largest): return largest ? "AmaxBackward0" : "AminBackward0"
        case .medianAll: return "MedianBackward0"
        case .median: return "MedianBackward1"
        case .topk: return "TopkBackward0"
        case .sort(_, let stable): return stable ? "SortBackward1" : "SortBackward0"
        case .unique: return "Unique2Backward0"
        // Shape ops, einsum and small linear algebra
        case .split(let part): return part.splitSize == nil ? "SplitWithSizesBackward0" : "SplitBackward0"
        case .repetition: return "RepeatBackward0"
        case .flip: return "FlipBackward0"
        case .roll: return "RollBackward0"
        case .triangle(let upper, _): return upper ? "TriuBackward0" : "TrilBackward0"
        case .diagonal: return "DiagonalBackward0"
        case .diagonalBackward: return "DiagonalBackwardBackward0"
        case .inverse: return "LinalgInvExBackward0"
        case .determinant: return "LinalgDetBackward0"
        case .slogdet: return "LinalgSlogdetBackward0"
        case .solve: return "LinalgSolveExBackward0"
        case .cholesky: return "LinalgCholeskyExBackward0"
        // Indexing.
        case .alias: return "AliasBackward0"
        case .stridedSlice: return "SliceBackward0"
        case .stridedSliceBackward: return "SliceBackwardBackward0"
        case .index: return "IndexBackward0"
        case .indexPut: return "IndexPutBackward0"
        case .gather: return "GatherBackward0"
        case .scatter: return "ScatterBackward0"
        case .scatterAdd: return "ScatterAddBackward0"
        case .indexAddSource: return "IndexAddBackward0"
        case .maskedSelect: return "MaskedSelectBackward0"
        // recurrent
        case .recurrentLayer(let mode, _, let cell):
            // PyTorch's CPU LSTM records one MkldnnRnnLayerBackward0 per layer and direction;
            // its fused cells (CUDA's _thnn_fused_lstm_cell and _thnn_fused_gru_cell) name ours.
            switch (mode, cell) {
            case (.lstm, true): return "ThnnFusedLstmCellBackward0"
            case (.gru, true): return "ThnnFusedGruCellBackward0"
            default: return "MkldnnRnnLayerBackward0"
            }
        }
    }

    /// The attributes PyTorch's node exposes, formatted for display.
    var attributes: [(name: String, value: String)] {
        func format(_ x: Double) -> String { x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : String(Float(x)) }
        switch self {
        case .addScalar(let s), .subtractScalar(let s), .reverseSubtractScalar(let s),
             .multiplyScalar(let s), .divideScalar(let s):
            return [("other", format(s))]
        case .powerScalar(let e): return [("exponent", format(e))]
        case .reversePowerScalar(let s): return [("self", format(s))]
        case .clamp(let low, let high):
            return (low.map { [("min", format($0))] } ?? []) + (high.map { [("max", format($0))] } ?? [])
        case .sum(let dims, let keepDim), .mean(let dims, let keepDim):
            return [("dim", "\(dims)"), ("keepdim", keepDim ? "True" : "False")]
        case .extreme(let dim, let keepDim, _):
            return [("dim", "\(dim)"), ("keepdim", keepDim ? "True" : "False")]
        case .softmax(let dim), .logSoftmax(let dim), .unsqueeze(let dim), .stack(let dim):
            return [("dim", "\(dim)")]
        case .concatenate(let dim, _), .indexSelect(let dim), .indexAdd(let dim): return [("dim", "\(dim)")]
        case .squeeze(let dim): return dim.map { [("dim", "\($0)")] } ?? []
        case .transpose(let a, let b): return [("dim0", "\(a)"), ("dim1", "\(b)")]
        case .permute(let dims): return [("dims", "\(dims)")]
        case .select(let dim, let index): return [("dim", "\(dim)"), ("index", "\(index)")]
        case .slice(let dim, let start, let end), .sliceBackward(let dim, let start, let end):
            return [("dim", "\(dim)"), ("start", "\(start)"), ("end", "\(end)")]
        case .convolution(let g, _), .unfold(let g), .fold(let g):
            return [
                ("kernel_size", "[\(g.kernel.0), \(g.kernel.1)]"),
                ("stride", "[\(g.stride.0), \(g.stride.1)]"),
                ("padding", "[\(g.padding.0), \(g.padding.1)]"),
                ("dilation", "[\(g.dilation.0), \(g.dilation.1)]"),
            ]
        case .maxPool2d(let g): return Op.unfold(g).attributes + [("ceil_mode", "False")]
        case .scaledDotProductAttention(let scale, let causal):
            return [("dropout_p", "0"), ("is_causal", causal ? "True" : "False"), ("scale", format(scale))]
        case .gelu(let tanh): return [("approximate", tanh ? "tanh" : "none")]
        case .layerNorm(let shape, _, _, _): return [("normalized_shape", "\(shape)")]
        // math
        case .softplus(let beta, let threshold): return [("beta", format(beta)), ("threshold", format(threshold))]
        case .lerp(let weight): return [("weight", format(weight))]
        case .variance(let dims, let correction, let keepDim), .standardDeviation(let dims, let correction, let keepDim):
            return [("correction", format(correction)), ("dim", "\(dims)"), ("keepdim", keepDim ? "True" : "False")]
        case .product(let dim, let keepDim), .median(let dim, let keepDim):
            return [("dim", "\(dim)"), ("keepdim", keepDim ? "True" : "False")]
        case .logSumExp(let dims, let keepDim), .extremeValues(let dims, let keepDim, _):
            return [("dim", "\(dims)"), ("keepdim", keepDim ? "True" : "False")]
        case .vectorNorm(let p, let dims, let keepDim):
            return [("dim", "\(dims)"), ("keepdim", keepDim ? "True" : "False"), ("ord", p.isInfinite ? (p > 0 ? "inf" : "-inf") : format(p))]
        case .cumulativeSum(let dim), .cumulativeProduct(let dim), .topk(let dim), .sort(let dim, _):
            return [("dim", "\(dim)")]
        // Shape ops, einsum and small linear algebra
        case .split(let part):
            let size = part.splitSize.map { ("split_size", "\($0)") } ?? ("split_sizes", "\(part.sizes)")
            return [("dim", "\(part.dim)"), size]
        case .repetition(let repeats): return [("repeats", "\(repeats)")]
        case .flip(let dims): return [("dims", "\(dims)")]
        case .roll(let shifts, let dims): return [("dims", "\(dims)"), ("shifts", "\(shifts)")]
        case .triangle(_, let diagonal): return [("diagonal", "\(diagonal)")]
        case .diagonal(let offset, let dim1, let dim2), .diagonalBackward(let offset, let dim1, let dim2):
            return [("dim1", "\(dim1)"), ("dim2", "\(dim2)"), ("offset", "\(offset)")]
        // Indexing.
        case .stridedSlice(let dim, let start, let end, let step), .stridedSliceBackward(let dim, let start, let end, let step):
            return [("dim", "\(dim)"), ("start", "\(start)"), ("end", "\(end)"), ("step", "\(step)")]
        case .gather(let dim), .scatter(let dim), .scatterAdd(let dim), .indexAddSource(let dim): return [("dim", "\(dim)")]
        case .indexPut(_, let accumulate): return [("accumulate", accumulate ? "True" : "False")]
        // recurrent
        case .recurrentLayer(let mode, let reverse, let cell):
            return cell ? [] : [("mode", mode.rawValue), ("reverse", reverse ? "True" : "False")]
        default:
            return []
        }
    }
}

/// Which case of `matmul` ran, which decides how 1-D operands were promoted and PyTorch's
/// name for the result's node (PyTorch routes each case through different kernels).
enum MatmulKind: Equatable {
    /// 1-D with 1-D: a dot product.
    case dot
    /// 2-D with 1-D: matrix-vector.
    case matrixVector
    /// 1-D with 2-D: the vector is promoted to a row and squeezed out again.
    case vectorMatrix
    /// 2-D with 2-D.
    case matrixMatrix
    /// Batched (3-D or more on either side). PyTorch names the result's node after its
    /// last step: a clone when a 2-D left side that requires grad is expanded, else a view.
    case batched(leftIsMatrixRequiringGrad: Bool)

    /// PyTorch's node name for the result.
    var nodeName: String {
        switch self {
        case .dot: return "DotBackward0"
        case .matrixVector: return "MvBackward0"
        case .vectorMatrix: return "SqueezeBackward4"
        case .matrixMatrix: return "MmBackward0"
        case .batched(let clone): return clone ? "CloneBackward0" : "UnsafeViewBackward0"
        }
    }
}

/// One output of `split` or `chunk`: the entries `start..<end` along `dim`, output `index`
/// of the split into `sizes`; `splitSize` is the size asked for by `split(_:dim:)` and
/// `chunk` (PyTorch's SplitBackward0), nil for `split(sizes:dim:)` (SplitWithSizesBackward0).
struct SplitPart {
    /// The dimension split.
    let dim: Int
    /// The sizes of all outputs along `dim`.
    let sizes: [Int]
    /// Which output this is.
    let index: Int
    /// The size asked for, when every output but the last has it.
    let splitSize: Int?

    /// Where this output starts along `dim`.
    var start: Int { sizes[..<index].reduce(0, +) }
    /// Where this output ends along `dim`.
    var end: Int { start + sizes[index] }
}
