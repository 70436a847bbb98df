import AutogradCore
import AutogradEngine

/// How ``pad(_:_:mode:value:)`` fills the new positions, like the `mode` of
/// `torch.nn.functional.pad`.
public enum PaddingMode: String, Sendable {
    /// A constant value (0 unless given).
    case constant
    /// The input mirrored at its edge, without repeating the edge: `[1, 2, 3]` padded by 2
    /// on the left gives `[3, 2, 1, 2, 3]`.
    case reflect
    /// The edge value repeated: `[1, 2, 3]` gives `[1, 1, 1, 2, 3]`.
    case replicate
    /// The input wrapped around: `[1, 2, 3]` gives `[2, 3, 1, 2, 3]`.
    case circular
}

/// Pads `input`, like `torch.nn.functional.pad`. `padding` lists pairs `(before, after)`
/// starting from the last dimension: `[left, right]` pads the last dimension, `[left,
/// right, top, bottom]` the last two. Negative amounts remove elements.
///
/// Constant padding works on any dimensions; the other modes pad the last 1, 2 or 3
/// dimensions of an input with one or two more dimensions than that (PyTorch's rule), and
/// `value` is only for constant padding. Gradients flow back to the input positions the
/// output copies (summed where a position is copied several times).
/// ```swift
/// let x = Tensor([[[1, 2, 3]]], dtype: .float32)
/// pad(x, [2, 1])                      // [[[0, 0, 1, 2, 3, 0]]]
/// pad(x, [2, 1], mode: .reflect)      // [[[3, 2, 1, 2, 3, 2]]]
/// ```
public func pad(_ input: Tensor, _ padding: [Int], mode: PaddingMode = .constant, value: Double? = nil) -> Tensor {
    checkUsage(padding.count % 2 == 0, "Padding length must be divisible by 2")
    checkUsage(padding.count / 2 <= input.rank,
               "Padding length should be less than or equal to two times the input dimension but got padding length \(padding.count) and input of dimension \(input.rank)")
    let paddedDims = padding.count / 2
    if mode != .constant {
        checkUsage((1...3).contains(paddedDims) && (input.rank == paddedDims + 1 || input.rank == paddedDims + 2),
                   """
                   Padding size \(padding.count) is not supported for \(input.rank)D input tensor.
                   Supported combinations for non-constant padding:
                     - 2D or 3D input: padding size = 2 (pads last dimension)
                     - 3D or 4D input: padding size = 4 (pads last 2 dimensions)
                     - 4D or 5D input: padding size = 6 (pads last 3 dimensions)
                   """)
        checkUsage(value == nil || value == 0,
                   "Padding mode \"\(mode.rawValue)\" doesn't take in value argument")
    }
    var result = input
    for pair in 0..<paddedDims {
        let dim = input.rank - 1 - pair
        let (before, after) = (padding[2 * pair], padding[2 * pair + 1])
        let size = input.shape[dim]
        checkUsage(size + before + after >= 0,
                   "The input size \(size), plus negative padding \(before) and \(after) resulted in a negative output size, which is invalid. Check dimension \(dim) of your input.")
        if before == 0 && after == 0 { continue }
        switch mode {
        case .constant:
            result = constantPad(result, dim: dim, before: before, after: after, value: value ?? 0)
        case .reflect:
            checkUsage(before < size && after < size,
                       "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (\(before), \(after)) at dimension \(dim) of input \(input.shape)")
            result = result.indexSelect(dim: dim, indices: (0..<(size + before + after)).map { j in
                let p = j - before
                return p < 0 ? -p : (p >= size ? 2 * (size - 1) - p : p)
            })
        case .replicate:
            checkUsage(size > 0, "padding: input tensor must have non-zero size in dimension \(dim) to be padded with replicate")
            result = result.indexSelect(dim: dim, indices: (0..<(size + before + after)).map { j in
                Swift.min(Swift.max(j - before, 0), size - 1)
            })
        case .circular:
            checkUsage(before <= size && after <= size, "Padding value causes wrapping around more than once.")
            // Negative amounts crop first; the wrapped values come from what is kept.
            let (start, kept) = (Swift.max(-before, 0), size - Swift.max(-before, 0) - Swift.max(-after, 0))
            result = result.indexSelect(dim: dim, indices: (0..<(size + before + after)).map { j in
                start + ((j - Swift.max(before, 0)) % kept + kept) % kept
            })
        }
    }
    return result
}

/// `input` with `before`/`after` slabs of `value` added along `dim` (or, for negative
/// amounts, that many elements removed).
private func constantPad(_ input: Tensor, dim: Int, before: Int, after: Int, value: Double) -> Tensor {
    let size = input.shape[dim]
    let kept = input.slice(dim: dim, start: Swift.max(-before, 0), end: size - Swift.max(-after, 0))
    func slab(_ width: Int) -> Tensor {
        var shape = input.shape
        shape[dim] = width
        return Tensor(NDArray(repeating: value, shape: shape, dtype: input.dtype))
    }
    var parts: [Tensor] = []
    if before > 0 { parts.append(slab(before)) }
    parts.append(kept)
    if after > 0 { parts.append(slab(after)) }
    return parts.count == 1 ? kept : cat(parts, dim: dim)
}
