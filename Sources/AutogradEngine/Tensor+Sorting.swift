import AutogradCore

/// Running sums and products, and sorting: `cumsum`, `cumprod`, `sort`, `argsort`,
/// `topk` and `unique`. Sorted values carry PyTorch's backward (the gradient goes back
/// to where each value came from); indices are int64 and, like `argsort` and `unique`,
/// not differentiable.
extension Tensor {
    /// One normalised dimension (0 for a 0-d tensor).
    private func sortingDimension(_ dim: Int, _ op: String) -> Int {
        trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: op) }
    }

    /// The running sum along `dim`, like `torch.cumsum`: integer and bool tensors give int64.
    public func cumsum(dim: Int) -> Tensor {
        let d = sortingDimension(dim, "cumsum")
        return Tensor.record(array.cumulative(dim: d, product: false), .cumulativeSum(dim: d), input: self)
    }

    /// The running product along `dim`, like `torch.cumprod`: integer and bool tensors give int64.
    public func cumprod(dim: Int) -> Tensor {
        let d = sortingDimension(dim, "cumprod")
        return Tensor.record(array.cumulative(dim: d, product: true), .cumulativeProduct(dim: d), input: self)
    }

    /// The elements sorted along `dim` (ascending unless `descending`; NaN counts as the
    /// largest) and where each came from, like `torch.sort`. Equal elements always keep
    /// their order; `stable: true` says so as PyTorch does (its node is `SortBackward1`).
    public func sort(dim: Int = -1, descending: Bool = false, stable: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = sortingDimension(dim, "sort")
        let (values, indices) = array.sorted(dim: d, descending: descending)
        return (Tensor.record(values, .sort(dim: d, stable: stable), input: self, auxiliary: .array(indices)), Tensor(indices))
    }

    /// The positions that sort the elements along `dim`, as int64, like `torch.argsort`
    /// (not differentiable).
    public func argsort(dim: Int = -1, descending: Bool = false) -> Tensor {
        let d = sortingDimension(dim, "argsort")
        return Tensor(array.sorted(dim: d, descending: descending).indices)
    }

    /// The `k` largest elements along `dim` (the smallest unless `largest`), in sorted
    /// order, and their positions, like `torch.topk`.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true) -> (values: Tensor, indices: Tensor) {
        let d = sortingDimension(dim, "topk")
        let size = rank == 0 ? 1 : shape[d]
        trapOnShapeError { () throws(ShapeError) in
            if dtype == .bool { throw .unsupportedDType(op: "topk", dtype) }
            if k < 0 || k > size { throw .selectedIndexOutOfRange(op: "topk", k: k, size: size) }
        }
        let (values, indices) = array.sortedPrefix(dim: d, count: k, descending: largest)
        return (Tensor.record(values, .topk(dim: d), input: self, auxiliary: .array(indices)), Tensor(indices))
    }

    /// The distinct elements in ascending order, as a 1-D tensor, like `torch.unique()`.
    /// As in PyTorch, a result of a tensor that requires grad has a node
    /// (`Unique2Backward0`) whose backward fails: unique is not differentiable.
    public func unique() -> Tensor { unique(returnInverse: false, returnCounts: false).values }

    /// The distinct elements in ascending order, with (when asked for) the position of
    /// each element's value among them (this tensor's shape) and how often each occurs,
    /// like `torch.unique(return_inverse=, return_counts=)`; both int64.
    public func unique(returnInverse: Bool, returnCounts: Bool) -> (values: Tensor, inverse: Tensor?, counts: Tensor?) {
        let (values, inverse, counts) = array.uniqueElements()
        return (Tensor.record(values, .unique, input: self),
                returnInverse ? Tensor(inverse) : nil, returnCounts ? Tensor(counts) : nil)
    }
}
