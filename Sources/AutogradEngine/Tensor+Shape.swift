import AutogradCore

extension Tensor {
    /// Runs a view function of the array, trapping with its shape error.
    private func view(_ make: (NDArray) throws(ShapeError) -> NDArray) -> NDArray {
        trapOnShapeError { () throws(ShapeError) in try make(array) }
    }

    /// The same elements in a new shape; one size may be -1 and is inferred. Shares storage
    /// whenever the strides allow (always when this tensor is contiguous), like
    /// `torch.reshape`; otherwise copies first (recorded as `CloneBackward0`).
    public func reshape(_ shape: [Int]) -> Tensor {
        let target = trapOnShapeError { () throws(ShapeError) in try NDArray.resolveShape(shape, count: count, op: "reshape") }
        guard let value = array.reshapedView(target) else {
            let copy = contiguous()
            let value = copy.view { a throws(ShapeError) in try a.reshaped(target) }
            return Tensor.record(value, .reshape(contiguousInput: false), input: copy)
        }
        return recordView(value, .reshape(contiguousInput: true)) { $0.reshape(shape) }
    }

    /// A tensor with the same values laid out row-major: this tensor if it already is,
    /// otherwise a copy (recorded as `CloneBackward0`).
    public func contiguous() -> Tensor {
        if array.layout.isContiguous { return self }
        return clone()
    }

    /// A copy of this tensor in fresh storage, like `torch.clone`; gradients flow back to
    /// this tensor (recorded as `CloneBackward0`).
    public func clone() -> Tensor {
        Tensor.record(array.copy(), .clone, input: self)
    }

    /// Flattens dimensions `startDim...endDim` into one, like `torch.flatten`.
    public func flatten(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        if rank == 0 { return reshape([1]) }
        let start = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(startDim, rank: rank, op: "flatten") }
        let end = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(endDim, rank: rank, op: "flatten") }
        checkUsage(start <= end, "flatten: start_dim cannot come after end_dim")
        if start == end { return self }
        let merged = shape[start...end].reduce(1, *)
        return reshape(Array(shape[..<start]) + [merged] + Array(shape[(end + 1)...]))
    }

    /// Swaps dimensions `dim0` and `dim1` (a view).
    public func transpose(_ dim0: Int, _ dim1: Int) -> Tensor {
        let value = view { a throws(ShapeError) in try a.transposed(dim0, dim1) }
        let a = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim0, rank: rank, op: "transpose") }
        let b = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim1, rank: rank, op: "transpose") }
        return recordView(value, .transpose(a, b)) { $0.transpose(a, b) }
    }

    /// Reorders the dimensions: dimension `i` of the result is dimension `dims[i]` (a view).
    public func permute(_ dims: [Int]) -> Tensor {
        let value = view { a throws(ShapeError) in try a.permuted(dims) }
        let normalized = dims.map { $0 < 0 ? $0 + rank : $0 }
        return recordView(value, .permute(normalized)) { $0.permute(normalized) }
    }

    /// Removes dimension `dim` if its size is 1 (a view).
    public func squeeze(_ dim: Int) -> Tensor {
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "squeeze") }
        let value = view { a throws(ShapeError) in try a.squeezed(dim: d) }
        return recordView(value, .squeeze(dim: d)) { $0.squeeze(d) }
    }

    /// Removes every dimension of size 1 (a view).
    public func squeeze() -> Tensor {
        recordView(array.squeezed(), .squeeze(dim: nil)) { $0.squeeze() }
    }

    /// Inserts a dimension of size 1 at `dim` (a view).
    public func unsqueeze(_ dim: Int) -> Tensor {
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank + 1, op: "unsqueeze") }
        let value = view { a throws(ShapeError) in try a.unsqueezed(dim: d) }
        return recordView(value, .unsqueeze(dim: d)) { $0.unsqueeze(d) }
    }

    /// This tensor repeated along size-1 and new leading dimensions to `shape` (-1 keeps a
    /// size), without copying.
    public func expand(_ shape: [Int]) -> Tensor {
        let value = view { a throws(ShapeError) in try a.expanded(shape) }
        return recordView(value, .expand) { $0.expand(shape) }
    }

    /// The sub-tensor at `index` along `dim`, which is removed (a view).
    public func select(dim: Int, index: Int) -> Tensor {
        let value = view { a throws(ShapeError) in try a.selected(dim: dim, index: index) }
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "select") }
        let i = index < 0 ? index + shape[d] : index
        return recordView(value, .select(dim: d, index: i)) { $0.select(dim: d, index: i) }
    }

    /// The elements `start..<end` along `dim` (a view); bounds are clamped as in Python.
    public func slice(dim: Int, start: Int, end: Int) -> Tensor {
        let value = view { a throws(ShapeError) in try a.sliced(dim: dim, start: start, end: end) }
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "slice") }
        let (lower, upper) = NDArray.clampedRange(start: start, end: end, size: shape[d])
        return recordView(value, .slice(dim: d, start: lower, end: upper)) { $0.slice(dim: d, start: lower, end: upper) }
    }

    /// `x[i]`: the sub-tensor at `index` along dimension 0 (negative counts from the end).
    public subscript(index: Int) -> Tensor { select(dim: 0, index: index) }

    /// `x[a..<b]`: the rows `a..<b` along dimension 0.
    public subscript(range: Range<Int>) -> Tensor {
        slice(dim: 0, start: range.lowerBound, end: range.upperBound)
    }

    /// `x[a...b]`: the rows `a` through `b` along dimension 0 (`b` may be -1, the last).
    public subscript(range: ClosedRange<Int>) -> Tensor { indexed(by: [range.tensorIndex]) }
}

/// Joins tensors along an existing dimension `dim`, like `torch.cat`.
public func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    checkUsage(!tensors.isEmpty, "cat: expected a non-empty list of Tensors")
    let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: tensors[0].rank, op: "cat") }
    let value = trapOnShapeError { () throws(ShapeError) in try NDArray.concatenate(tensors.map(\.array), dim: d) }
    return Tensor.record(value, .concatenate(dim: d, sizes: tensors.map { $0.shape[d] }), inputs: tensors)
}

/// Joins equally shaped tensors along a new dimension `dim`, like `torch.stack`.
public func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    checkUsage(!tensors.isEmpty, "stack: expected a non-empty list of Tensors")
    let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: tensors[0].rank + 1, op: "stack") }
    for (i, tensor) in tensors.enumerated() where tensor.shape != tensors[0].shape {
        usageFailure("stack: expects each tensor to be equal size, but got \(tensors[0].shape) at entry 0 and \(tensor.shape) at entry \(i)")
    }
    let parts = tensors.map { tensor in trapOnShapeError { () throws(ShapeError) in try tensor.array.unsqueezed(dim: d) } }
    let value = trapOnShapeError { () throws(ShapeError) in try NDArray.concatenate(parts, dim: d, op: "stack") }
    return Tensor.record(value, .stack(dim: d), inputs: tensors)
}
