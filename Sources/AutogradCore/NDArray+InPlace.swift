import CAutogradKernels

/// Single-pass in-place updates for the common optimizer steps (`p -= lr * g`,
/// `buffer *= momentum`): they write straight into the storage instead of computing the
/// result aside and copying it back. Each applies only when both arrays are contiguous
/// float32 arrays with the same shape and do not partly overlap, and reports whether it
/// did; callers fall back to the general path otherwise.
extension NDArray {
    /// `self += scale * other`, elementwise, into this array's storage. Returns false (and
    /// changes nothing) when the fast path does not apply.
    public func addScaledInPlace(_ other: NDArray, scale: Float) -> Bool {
        guard canUpdateInPlace(reading: other) else { return false }
        let destination = pointer, source = other.pointer
        forEachChunk(count) { start, length in
            ag_add_scaled_f32(Int64(length), scale, source + start, destination + start)
        }
        return true
    }

    /// `self += other`, elementwise, into this array's storage, for arrays of one shape and
    /// dtype in different storages; this one may be a window of a larger array (a slice of
    /// a gradient, say). Contiguous float32 operands, or rows evenly spaced in this one,
    /// take one pass; any other layout adds aside and copies the sum in. Returns false (and
    /// changes nothing) for arrays of different shapes or dtypes or of one storage.
    public func addInPlace(_ other: NDArray) -> Bool {
        guard shape == other.shape, dtype == other.dtype, storage !== other.storage else { return false }
        if addScaledInPlace(other, scale: 1) { return true }
        if dtype == .float32, other.layout.isContiguous, let rows = layout.evenlySpacedRows {
            let destination = pointer, source = other.pointer
            forEachChunk(rows.count * rows.length) { start, length in
                var element = start
                while element < start + length {
                    let row = element / rows.length, column = element % rows.length
                    let run = Swift.min(rows.length - column, start + length - element)
                    ag_add_scaled_f32(Int64(run), 1, source + element, destination + row * rows.stride + column)
                    element += run
                }
            }
            return true
        }
        assign(from: trapOnShapeError { () throws(ShapeError) in try NDArray.zip(.add, self, other, name: "add") })
        return true
    }

    /// `self *= factor`, elementwise, into this array's storage. Returns false (and
    /// changes nothing) when this array is not contiguous.
    public func scaleInPlace(by factor: Float) -> Bool {
        guard dtype == .float32, layout.isContiguous else { return false }
        let destination = pointer
        forEachChunk(count) { start, length in
            _ = ag_unary_f32(AG_UNARY_MULTIPLY_SCALAR, factor, Int64(length), destination + start, 1, destination + start)
        }
        return true
    }

    /// `self *= other`, elementwise, into this array's storage. Returns false (and changes
    /// nothing) when the fast path does not apply.
    public func multiplyInPlace(by other: NDArray) -> Bool {
        guard canUpdateInPlace(reading: other) else { return false }
        applyBinary(.multiply, pointer, 1, other.pointer, 1, pointer, count)
        return true
    }

    /// Whether one pass of a fused update (Adam's, SGD's) may read and write `arrays`
    /// together: all float32, contiguous and of one shape, each with a storage of its own.
    static func canUpdateTogether(_ arrays: [NDArray]) -> Bool {
        guard let shape = arrays.first?.shape,
              arrays.allSatisfy({ $0.dtype == .float32 && $0.layout.isContiguous && $0.shape == shape }) else {
            return false
        }
        for (index, array) in arrays.enumerated() {
            guard !arrays[(index + 1)...].contains(where: { $0.storage === array.storage }) else { return false }
        }
        return true
    }

    /// Whether an elementwise loop may read `other` while writing this array: both
    /// contiguous with one shape, and either in different storages or at the same place.
    private func canUpdateInPlace(reading other: NDArray) -> Bool {
        guard dtype == .float32, other.dtype == .float32, shape == other.shape,
              layout.isContiguous, other.layout.isContiguous else { return false }
        return other.storage !== storage || other.layout.offset == layout.offset
    }
}
