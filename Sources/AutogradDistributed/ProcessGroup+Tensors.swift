import AutogradCore
import AutogradEngine

/// The collectives on tensors, like `torch.distributed.all_reduce` and friends. They work
/// on a tensor's elements in place (and are not recorded for backward); a tensor that is
/// not contiguous is copied and written back.
extension ProcessGroup {
    /// Combines `tensor` across every process with `op`, leaving the result in `tensor`
    /// on each (`all_reduce`).
    /// ```swift
    /// let loss = Tensor([localLoss])
    /// group.allReduce(loss, op: .mean)   // the mean over processes, everywhere
    /// ```
    public func allReduce(_ tensor: Tensor, op: ReduceOp = .sum) {
        withElements(of: tensor, writing: true, reducing: true, in: "allReduce") { allReduce($0, count: $1, kind: $2, op: op) }
    }

    /// Copies `tensor` on process `root` into `tensor` on every other process
    /// (`broadcast`); the shapes must agree.
    public func broadcast(_ tensor: Tensor, from root: Int = 0) {
        withElements(of: tensor, writing: true, reducing: false, in: "broadcast") { broadcast($0, count: $1, kind: $2, from: root) }
    }

    /// Every process's `tensor`, concatenated along the first dimension in rank order
    /// (`all_gather_into_tensor`): shape `[worldSize * n, ...]` for an input of `[n, ...]`,
    /// `[worldSize]` for a scalar. Every process must pass the same shape.
    public func allGather(_ tensor: Tensor) -> Tensor {
        let shape = tensor.rank == 0 ? [worldSize] : [worldSize * tensor.shape[0]] + tensor.shape.dropFirst()
        let output = Tensor(NDArray(uninitialized: shape, dtype: tensor.dtype))
        allGather(tensor, into: output)
        return output
    }

    /// Writes every process's `input`, in rank order, into `output`, which must hold
    /// `worldSize` times as many elements (`all_gather_into_tensor(output, input)`).
    public func allGather(_ input: Tensor, into output: Tensor) {
        checkUsage(output.count == worldSize * input.count,
                   "allGather: the output needs \(worldSize) × \(input.count) = \(worldSize * input.count) elements, got \(output.count) (shape \(output.shape))")
        checkUsage(output.array.storage !== input.array.storage, "allGather: the output must not share memory with the input")
        checkUsage(input.dtype == output.dtype, "allGather: the input holds \(input.dtype) but the output \(output.dtype)")
        withElements(of: input, writing: false, reducing: false, in: "allGather") { source, count, kind in
            withElements(of: output, writing: true, reducing: false, in: "allGather") { destination, _, _ in
                allGather(UnsafeRawPointer(source), into: destination, count: count, kind: kind)
            }
        }
    }

    /// Combines `tensor` across processes with `op` and returns this process's block of
    /// the result along the first dimension (`reduce_scatter_tensor`): for an input of
    /// `[worldSize * n, ...]`, rows `rank * n ..< (rank + 1) * n`, shape `[n, ...]`.
    public func reduceScatter(_ tensor: Tensor, op: ReduceOp = .sum) -> Tensor {
        checkUsage(tensor.rank >= 1 && tensor.shape[0] % worldSize == 0,
                   "reduceScatter: the first dimension must be a multiple of the world size \(worldSize), got shape \(tensor.shape)")
        let output = Tensor(NDArray(uninitialized: [tensor.shape[0] / worldSize] + tensor.shape.dropFirst(), dtype: tensor.dtype))
        reduceScatter(tensor, into: output, op: op)
        return output
    }

    /// Combines `input` across processes with `op` and writes block `rank` of the result
    /// into `output`, which holds `1 / worldSize` of `input`'s elements
    /// (`reduce_scatter_tensor(output, input)`).
    public func reduceScatter(_ input: Tensor, into output: Tensor, op: ReduceOp = .sum) {
        checkUsage(input.count == worldSize * output.count,
                   "reduceScatter: the input needs \(worldSize) × \(output.count) = \(worldSize * output.count) elements, got \(input.count) (shape \(input.shape))")
        checkUsage(output.array.storage !== input.array.storage, "reduceScatter: the output must not share memory with the input")
        checkUsage(input.dtype == output.dtype, "reduceScatter: the input holds \(input.dtype) but the output \(output.dtype)")
        withElements(of: input, writing: false, reducing: true, in: "reduceScatter") { source, _, kind in
            withElements(of: output, writing: true, reducing: true, in: "reduceScatter") { destination, count, _ in
                reduceScatter(UnsafeRawPointer(source), into: destination, count: count, kind: kind, op: op)
            }
        }
    }
}

/// Calls `body` with a contiguous buffer of `tensor`'s elements, their count and kind;
/// when `writing`, what `body` leaves there becomes the tensor's elements (copied back
/// into a tensor that is not contiguous) and the storage's version is bumped, as by any
/// in-place write. A dtype MPI cannot reduce (float16, bfloat16) is moved as bytes by the
/// collectives that only copy, and refused by those that reduce (`reducing`).
func withElements<Result>(
    of tensor: Tensor, writing: Bool, reducing: Bool, in name: String,
    _ body: (UnsafeMutableRawPointer, Int, CollectiveElementKind) -> Result
) -> Result {
    let array = tensor.array
    let (kind, perElement) = collectiveLayout(of: tensor.dtype, reducing: reducing, in: name)
    return withExtendedLifetime(array) {
        if array.layout.isContiguous {
            let result = body(array.rawPointer, array.count * perElement, kind)
            if writing { array.storage.version += 1 }
            return result
        }
        let copy = array.contiguous()
        let result = withExtendedLifetime(copy) { body(copy.rawPointer, copy.count * perElement, kind) }
        if writing {
            array.assign(from: copy)
            array.storage.version += 1
        }
        return result
    }
}

/// The kind a collective moves elements of `dtype` as, and how many of that kind make one
/// element: the dtype's own kind, or bytes for float16 and bfloat16 (which MPI has no
/// type for) in collectives that only copy.
func collectiveLayout(of dtype: DType, reducing: Bool, in name: String) -> (kind: CollectiveElementKind, perElement: Int) {
    if let kind = CollectiveElementKind(dtype) { return (kind, 1) }
    checkUsage(!reducing, "\(name): MPI cannot reduce \(dtype) elements; convert the tensor with .to(.float32) first")
    return (.uint8, dtype.itemSize)
}

extension CollectiveElementKind {
    /// The kind of `dtype`'s elements, or nil for float16 and bfloat16, which MPI has no
    /// standard type for.
    public init?(_ dtype: DType) {
        switch dtype {
        case .float32: self = .float32
        case .float64: self = .float64
        case .int64: self = .int64
        case .int32: self = .int32
        case .int16: self = .int16
        case .int8: self = .int8
        case .uint8: self = .uint8
        case .bool: self = .bool
        case .float16, .bfloat16: return nil
        }
    }
}
