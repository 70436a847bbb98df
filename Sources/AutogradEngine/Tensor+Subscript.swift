import AutogradCore

extension Tensor {
    /// PyTorch's `x[...]`: any mix of integers, Swift ranges, `.all`, `.ellipsis`,
    /// `.newAxis`, `.stride(from:to:by:)`, int64 index tensors and bool masks
    /// (``TensorIndexConvertible``).
    ///
    /// Integers, ranges, strides, `.newAxis` and `.ellipsis` give a view sharing this
    /// tensor's storage (recorded as `SelectBackward0`, `SliceBackward0`,
    /// `UnsqueezeBackward0`, or `AliasBackward0` when nothing changes). Index tensors and
    /// masks then pick elements into a new tensor (`IndexBackward0`): several index
    /// tensors broadcast together, and their shape replaces the dimensions they index
    /// (or comes first, when those dimensions are not next to each other), as in PyTorch.
    ///
    /// Assigning writes into this tensor: through the view for basic entries (recorded on
    /// the base as `CopySlices` when the tensor is a view or requires grad), with
    /// `index_put_` for index tensors and masks (`IndexPutBackward0`). The value is
    /// broadcast to the indexed shape.
    /// ```swift
    /// let x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    /// x[.all, 1]            // [2, 5]
    /// x[-1, 1...]           // [5, 6]
    /// x[x .> 4.0]           // [5, 6]
    /// x[x .> 4.0] = Tensor(0.0)
    /// ```
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { indexed(by: indices.map(\.tensorIndex)) }
        set { assign(newValue, at: indices.map(\.tensorIndex)) }
    }

    /// The subscript `x[entries...]`.
    func indexed(by entries: [TensorIndex]) -> Tensor {
        let plan = subscriptPlan(entries)
        guard !plan.advanced.isEmpty else { return plan.changed ? plan.view : alias() }
        let indices = trapOnShapeError { () throws(ShapeError) in try AdvancedIndices(plan.advanced, shape: plan.view.shape) }
        return plan.view.advancedIndexed(indices)
    }

    /// The assignment `x[entries...] = value`.
    func assign(_ value: Tensor, at entries: [TensorIndex]) {
        let plan = subscriptPlan(entries)
        guard !plan.advanced.isEmpty else {
            let target = plan.changed ? plan.view : self
            target.copy(from: value.droppingLeadingOnes(toRank: target.rank))
            return
        }
        let view = plan.view
        let indices = trapOnShapeError { () throws(ShapeError) in try AdvancedIndices(plan.advanced, shape: view.shape) }
        var values = value
        if value.dtype != view.dtype {
            // One value written through one mask goes through masked_fill_ in PyTorch,
            // which converts it; index_put_ otherwise wants the tensor's dtype.
            checkUsage(plan.indexEntries == 1 && plan.masksOnly && value.count == 1,
                       ShapeError.sourceDTypeMismatch(op: "index_put", destination: view.dtype, source: value.dtype).message)
            values = value.to(view.dtype)
        }
        // Without leading size-1 dimensions (a view), as PyTorch's assignment drops them.
        values = values.droppingLeadingOnes(toRank: 0)
        let resultShape = view.array.indexedShape(indices)
        // Checked here so a bad value shape stops before anything is written.
        trapOnShapeError { () throws(ShapeError) in try AdvancedIndices.checkValues(values.shape, broadcastTo: resultShape) }
        view.updateInPlace("index_put_", involving: values) {
            $0.advancedIndexPut(indices, values: values, accumulate: false)
        }
    }

    /// This tensor without leading size-1 dimensions beyond `rank` (a view), so a value
    /// such as `[1, 3]` can be written into a `[3]` window, as PyTorch allows. A 0-d
    /// result keeps its one element as `[]`.
    private func droppingLeadingOnes(toRank rank: Int) -> Tensor {
        var dropped = 0
        while self.rank - dropped > rank && shape[dropped] == 1 { dropped += 1 }
        return dropped == 0 ? self : reshape(Array(shape.dropFirst(dropped)))
    }

    /// Applies the basic entries (integers, slices, new axes, ellipses, 0-d index tensors)
    /// as views, and collects the index tensors and masks for advanced indexing, at the
    /// dimensions of the view they index (PyTorch's `applySlicing`).
    private func subscriptPlan(_ entries: [TensorIndex]) -> SubscriptPlan {
        var plan = SubscriptPlan(view: self)
        // The dimensions the entries use up; an ellipsis stands for the rest.
        var specified = 0
        for entry in entries {
            switch entry.kind {
            case .integer, .slice: specified += 1
            case .tensor(let tensor): specified += tensor.dtype.isMaskDType ? tensor.rank : 1
            case .newAxis, .ellipsis: break
            }
        }
        if specified > rank {
            if rank == 0, entries.contains(where: { if case .integer = $0.kind { return true } else { return false } }) {
                usageFailure(ShapeError.zeroDimensionalIndex(op: "index").message)
            }
            usageFailure(ShapeError.tooManyIndices(rank: rank).message)
        }
        // One slice alone is always recorded (`x[:]` is a SliceBackward0, as in PyTorch);
        // among several entries, a slice that keeps a whole dimension is skipped.
        let single = entries.count == 1
        var dim = 0
        for entry in entries {
            switch entry.kind {
            case .integer(let position):
                plan.apply(plan.view.select(dim: dim, index: position))
            case .slice(let start, let end, let step):
                trapOnShapeError { () throws(ShapeError) in if step < 1 { throw .invalidSliceStep(step) } }
                let size = plan.view.shape[dim]
                let whole = (start ?? 0) == 0 && step == 1 && (end ?? size) >= size
                if single || !whole {
                    plan.apply(plan.view.slice(dim: dim, start: start ?? 0, end: end ?? Int.max, step: step))
                }
                dim += 1
            case .newAxis:
                plan.apply(plan.view.unsqueeze(dim))
                dim += 1
            case .ellipsis:
                dim += rank - specified
            case .tensor(let tensor):
                dim = plan.add(tensor, at: dim)
            }
        }
        return plan
    }
}

/// The basic part of a subscript applied, and the index tensors left for advanced indexing.
private struct SubscriptPlan {
    /// The view the basic entries made.
    var view: Tensor
    /// Whether any basic entry changed the view (otherwise `x[...]` is an alias).
    var changed = false
    /// The index arrays for advanced indexing, at the view's dimensions (a mask of rank
    /// m stands for m arrays).
    var advanced: [(dim: Int, index: NDArray)] = []
    /// How many index tensors and masks the subscript had.
    var indexEntries = 0
    /// Whether every one of them was a mask.
    var masksOnly = true

    /// Takes `view` as the new view.
    mutating func apply(_ view: Tensor) {
        self.view = view
        changed = true
    }

    /// Adds index tensor `tensor` at dimension `dim` of the view; returns the next
    /// dimension. A 0-d integer tensor selects, as an integer does; a 0-d bool tensor adds a
    /// dimension of size 1 and keeps it (true) or empties it (false).
    mutating func add(_ tensor: Tensor, at dim: Int) -> Int {
        if tensor.dtype == .int64 || tensor.dtype == .int32 {
            if tensor.rank == 0 {
                apply(view.select(dim: dim, index: Int(tensor.array.integers[0])))
                return dim
            }
            advanced.append((dim, tensor.array))
            indexEntries += 1
            masksOnly = false
            return dim + 1
        }
        guard tensor.dtype.isMaskDType else {
            usageFailure(ShapeError.invalidIndexDType(op: "index", tensor.dtype).message)
        }
        indexEntries += 1
        if tensor.rank == 0 {
            apply(view.unsqueeze(dim))
            let positions: [Int64] = tensor.array.integers[0] != 0 ? [0] : []
            advanced.append((dim, NDArray(shape: [positions.count], integers: positions, dtype: .int64)))
            masksOnly = false
            return dim + 1
        }
        let shape = view.shape
        let positions = trapOnShapeError { () throws(ShapeError) in try NDArray.maskIndices(tensor.array, at: dim, of: shape) }
        for (j, position) in positions.enumerated() { advanced.append((dim + j, position)) }
        return dim + tensor.rank
    }
}

extension DType {
    /// Whether a tensor of this dtype indexes as a mask (bool, or uint8 as PyTorch allows).
    var isMaskDType: Bool { self == .bool || self == .uint8 }
}
