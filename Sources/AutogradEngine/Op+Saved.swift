import AutogradCore

/// What a backward rule reads from its forward pass: the one declaration recording
/// follows, so a forward function passes only its inputs, its result and, for the few ops
/// that have one, an auxiliary value (``SavedAuxiliary``).
struct SavedSlots: OptionSet {
    let rawValue: UInt8

    /// The first input.
    static let first = SavedSlots(rawValue: 1 << 0)
    /// The second input.
    static let second = SavedSlots(rawValue: 1 << 1)
    /// The forward result.
    static let result = SavedSlots(rawValue: 1 << 2)
    /// The third input.
    static let third = SavedSlots(rawValue: 1 << 5)
    /// A value that is not a differentiable input: indices or a mask (``SavedAuxiliary``).
    static let auxiliary = SavedSlots(rawValue: 1 << 3)
    /// The op's scalar operand (read from the op itself). PyTorch saves it on the node, so
    /// the node cannot be walked again once backward has freed its saved values.
    static let scalar = SavedSlots(rawValue: 1 << 4)

    /// Both inputs.
    static let inputs: SavedSlots = [.first, .second]
}

/// A saved value other than a differentiable input or the result.
indirect enum SavedAuxiliary {
    /// An array: the positions of maxima, or a mask or condition.
    case array(NDArray)
    /// Indices along a dimension, as for `index_select`.
    case indices([Int])
    /// The mean and reciprocal standard deviation of each row (layer normalisation).
    case rowStatistics(mean: NDArray, reciprocalStd: NDArray)
    /// The log-sum-exp of each row of attention weights and the additive mask, if any.
    case attention(logSumExp: NDArray, mask: AttentionKernel.Mask?)
    // recurrent
    /// A recurrent layer's per-step activations (``RecurrentKernel``'s workspace) and its
    /// inputs after the first three (which are saved as inputs): the LSTM's initial cell
    /// state and the biases, where given.
    case recurrent(workspace: NDArray, extraInputs: SavedRecurrentInputs)
}

extension Op {
    /// What the backward rule of this op reads. Every case is listed, so a new op cannot
    /// be added without saying what it saves.
    var saves: SavedSlots {
        switch self {
        case .add, .subtract, .addScalar, .subtractScalar, .reverseSubtractScalar, .negate: return []
        case .multiply, .divide, .maximum, .minimum, .matmul, .convolution: return .inputs
        case .power: return [.first, .second, .result]
        case .scaledDotProductAttention: return [.first, .second, .third, .result, .auxiliary]
        case .gelu: return .first
        case .layerNorm(_, _, let hasWeight, _): return hasWeight ? [.first, .second, .auxiliary] : [.first, .auxiliary]
        case .multiplyScalar, .divideScalar: return .scalar
        case .powerScalar, .log, .abs, .sin, .cos, .clamp, .erf: return .first
        case .reversePowerScalar, .exp, .sqrt, .tanh, .sigmoid, .relu, .reciprocal: return .result
        case .softmax, .logSoftmax: return .result
        case .extremeAll: return [.first, .result]
        case .extreme, .maxPool2d, .indexSelect, .indexAdd, .selectWhere, .maskedFill: return .auxiliary
        case .sumAll, .sum, .meanAll, .mean: return []
        case .reshape, .clone, .transpose, .permute, .squeeze, .unsqueeze, .expand: return []
        case .select, .slice, .sliceBackward, .concatenate, .stack: return []
        case .unfold, .fold, .toCopy, .detach: return []
        // These keep what they need in their payload: the replayed view, the user's context.
        case .copySlices, .custom: return []
        // math
        case .log1p, .silu, .sinh, .cosh, .asin, .acos, .atan, .softplus, .nanToNum, .variance: return .first
        case .expm1, .rsqrt, .tan: return .result
        case .sign, .floor, .ceil, .round, .trunc, .remainderScalar, .fmodScalar, .lerp, .cumulativeSum, .unique: return []
        case .remainder, .fmod: return .inputs
        case .clampTensors, .median, .topk, .sort: return .auxiliary
        case .standardDeviation, .productAll, .product, .logSumExp, .vectorNorm, .cumulativeProduct, .extremeValues, .medianAll:
            return [.first, .result]
        // Shape ops, einsum and small linear algebra
        case .split, .repetition, .flip, .roll, .triangle, .diagonal, .diagonalBackward: return []
        case .inverse, .cholesky: return .result
        case .determinant, .solve: return [.first, .result]
        case .slogdet(let sign): return sign ? [] : .first
        // Indexing: the index positions or the mask.
        case .alias, .stridedSlice, .stridedSliceBackward: return []
        case .index, .indexPut, .gather, .scatter, .scatterAdd, .indexAddSource, .maskedSelect: return .auxiliary
        // recurrent
        case .recurrentLayer: return [.first, .second, .third, .result, .auxiliary]
        }
    }
}

extension Op {
    /// Whether a node of this op keeps its saved result in its second slot: so it does
    /// unless the op also saves its second input (``Node`` then keeps the result aside).
    var savesResultInSecondSlot: Bool { !saves.contains(.second) }

    /// What the backward rule reads (``saves``) given which inputs carry a gradient: a
    /// product keeps each factor only for the other factor's gradient, a quotient its
    /// numerator only for the denominator's (what PyTorch's `mul` and `div` save).
    func saves(for edges: borrowing EdgeList) -> SavedSlots {
        switch self {
        case .multiply:
            var kept = saves
            if !edges.carriesGradient(at: 1) { kept.remove(.first) }
            if !edges.carriesGradient(at: 0) { kept.remove(.second) }
            return kept
        case .divide:
            return edges.carriesGradient(at: 1) ? saves : saves.subtracting(.first)
        default:
            return saves
        }
    }
}
