extension NDArray {
    /// The slices at `indices` along `dim` (normalised), in that order, like
    /// `torch.index_select`: the result has `indices.count` entries along `dim`.
    ///
    /// - Throws: ``ShapeError`` naming `index_select` when an index is out of range.
    public func indexSelected(dim: Int, indices: [Int]) throws(ShapeError) -> NDArray {
        let size = shape[dim]
        if let bad = indices.first(where: { $0 < 0 || $0 >= size }) {
            throw .indexOutOfBounds(op: "index_select", index: bad, dim: dim, size: size)
        }
        var resultShape = shape
        resultShape[dim] = indices.count
        let result = NDArray(uninitialized: resultShape, dtype: dtype)
        let source = contiguous()
        let outer = shape[..<dim].reduce(1, *), inner = shape[(dim + 1)...].reduce(1, *)
        let bytes = inner * dtype.itemSize
        let input = source.rawPointer, out = result.storage.raw
        for o in 0..<outer {
            for (j, index) in indices.enumerated() {
                (out + (o * indices.count + j) * bytes).copyMemory(from: input + (o * size + index) * bytes, byteCount: bytes)
            }
        }
        return result
    }

    /// Adds the slices of this array along `dim` into zeros with `size` entries along `dim`,
    /// slice `j` going to position `indices[j]` (repeated indices add up): the adjoint of
    /// ``indexSelected(dim:indices:)``, like `zeros.index_add_(dim, indices, self)`.
    public func indexAdded(dim: Int, indices: [Int], size: Int) -> NDArray {
        checkUsage(shape[dim] == indices.count, "index_add: \(indices.count) indices for \(shape[dim]) slices along dimension \(dim)")
        checkUsage(indices.allSatisfy { $0 >= 0 && $0 < size }, "index_add: index out of bounds for dimension \(dim) with size \(size)")
        guard dtype == .float32 || dtype == .float64 else {
            // Computed in the dtype's compute type: float32 for the two-byte floats,
            // float64 for integers.
            let compute: DType = dtype.isFloatingPoint ? .float32 : .float64
            return converted(to: compute).indexAdded(dim: dim, indices: indices, size: size).converted(to: dtype)
        }
        var resultShape = shape
        resultShape[dim] = size
        let result = NDArray(zeros: resultShape, dtype: dtype)
        if dtype == .float64 {
            addSlices(Double.self, dim: dim, indices: indices, size: size, into: result)
        } else {
            addSlices(Float.self, dim: dim, indices: indices, size: size, into: result)
        }
        return result
    }

    /// Adds this array's slices along `dim` (elements `T`) into `result` at `indices`.
    private func addSlices<T: AdditiveArithmetic>(_: T.Type, dim: Int, indices: [Int], size: Int, into result: NDArray) {
        let source = contiguous()
        let outer = shape[..<dim].reduce(1, *), inner = shape[(dim + 1)...].reduce(1, *)
        let input = source.rawPointer.assumingMemoryBound(to: T.self), out = result.storage.raw.assumingMemoryBound(to: T.self)
        for o in 0..<outer {
            for (j, index) in indices.enumerated() {
                let from = input + (o * indices.count + j) * inner, to = out + (o * size + index) * inner
                for k in 0..<inner { to[k] += from[k] }
            }
        }
    }
}
