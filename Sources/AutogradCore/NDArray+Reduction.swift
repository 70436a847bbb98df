import CAutogradKernels
import Foundation

extension NDArray {
    /// The shape after reducing `dims` (sorted, normalised): removed, or kept as size 1.
    public func reducedShape(dims: [Int], keepDim: Bool) -> [Int] {
        var result: [Int] = []
        for (i, size) in shape.enumerated() {
            if dims.contains(i) {
                if keepDim { result.append(1) }
            } else {
                result.append(size)
            }
        }
        return result
    }

    /// Normalises and de-duplicates reduction dimensions; an empty list means all of them.
    public func reductionDimensions(_ dims: [Int], op: String) throws(ShapeError) -> [Int] {
        if dims.isEmpty { return Array(0..<rank) }
        var result: [Int] = []
        for dim in dims {
            let d = try normalizedDimension(dim, rank: rank, op: op)
            guard !result.contains(d) else { throw .repeatedDimension(op: op, dim: d) }
            result.append(d)
        }
        return rank == 0 ? [] : result.sorted()
    }

    /// The sum of all elements, as a 0-d array (accumulated in double precision).
    public func sumAll() -> NDArray {
        guard dtype == .float32 else { return sumAnyDType(dims: Array(0..<rank), keepDim: false) }
        let source = contiguous()
        let total = ag_sum(source.pointer, Int64(source.count))   // vectorised, in double
        return NDArray(shape: [], scalars: [Float(total)])
    }

    /// Sums over `dims` (normalised, sorted), keeping them as size 1 when `keepDim`.
    public func sum(dims: [Int], keepDim: Bool) -> NDArray {
        guard dtype == .float32 else { return sumAnyDType(dims: dims, keepDim: keepDim) }
        if dims.count == rank && !keepDim { return sumAll() }
        let kept = reducedShape(dims: dims, keepDim: true)
        let result = NDArray(zeros: kept)
        // Accumulate through the result seen at the input's shape, with stride 0 on the
        // reduced dimensions.
        var target = result.layout
        for d in dims { target.strides[d] = 0 }
        target.shape = shape
        let input = storage.base, out = result.storage.base
        let length = layout.rowLength, inputStride = layout.rowStride, outStride = target.rowStride
        forEachRow(shape: shape, layout.strides, layout.offset, target.strides, 0, target.strides, 0) { p, o, _ in
            if outStride == 0 && inputStride == 1 {
                out[o] += Float(ag_sum(input + p, Int64(length)))
            } else if outStride == 0 {
                var rowSum: Float = 0
                for i in 0..<length { rowSum += input[p + i * inputStride] }
                out[o] += rowSum
            } else if outStride == 1 && inputStride == 1 {
                // Rows added into a row of sums (a bias's gradient): unit strides vectorise.
                let (source, destination) = (input + p, out + o)
                for i in 0..<length { destination[i] += source[i] }
            } else {
                for i in 0..<length { out[o + i * outStride] += input[p + i * inputStride] }
            }
        }
        return keepDim ? result : NDArray(storage: result.storage, layout: Layout(contiguous: reducedShape(dims: dims, keepDim: false)))
    }

    /// The largest (or smallest) element as a 0-d array; NaN if any element is NaN.
    public func extremeAll(largest: Bool) -> NDArray {
        guard dtype == .float32 else { return extremeAllAnyDType(largest: largest) }
        let source = contiguous()
        checkUsage(source.count > 0, "\(largest ? "max" : "min"): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        let input = source.pointer
        var best = input[0]
        for i in 0..<source.count {
            let x = input[i]
            if x.isNaN { best = x; break }
            if largest ? x > best : x < best { best = x }
        }
        return NDArray(shape: [], scalars: [best])
    }

    /// The largest (or smallest) elements along `dim` and their indices (the first one on
    /// ties), with `dim` removed or kept as size 1.
    public func extreme(dim: Int, keepDim: Bool, largest: Bool) -> (values: NDArray, indices: [Int]) {
        guard dtype == .float32 else { return extremeAnyDType(dim: dim, keepDim: keepDim, largest: largest) }
        let moved = movingDimensionLast(dim)
        let rows = moved.count / Swift.max(moved.shape.last ?? 1, 1)
        let length = moved.shape.last ?? 1
        checkUsage(length > 0, "\(largest ? "max" : "min"): cannot reduce over a zero-size dimension")
        let values = NDArray(uninitialized: reducedShape(dims: [dim], keepDim: keepDim))
        var indices = [Int](repeating: 0, count: rows)
        let input = moved.pointer, out = values.storage.base
        for r in 0..<rows {
            let row = input + r * length
            var best = row[0], bestIndex = 0
            for i in 1..<Swift.max(length, 1) where !best.isNaN {
                let x = row[i]
                if x.isNaN || (largest ? x > best : x < best) { best = x; bestIndex = i }
            }
            out[r] = best
            indices[r] = bestIndex
        }
        return (values, indices)
    }

    /// A contiguous copy with dimension `dim` moved to the end.
    func movingDimensionLast(_ dim: Int) -> NDArray {
        if rank == 0 { return reshapedUnchecked([1]) }
        var order = Array(0..<rank)
        order.remove(at: dim)
        order.append(dim)
        return NDArray(
            storage: storage,
            layout: Layout(shape: order.map { shape[$0] }, strides: order.map { layout.strides[$0] }, offset: layout.offset)
        ).contiguous()
    }

    /// Undoes ``movingDimensionLast(_:)``: moves the last dimension back to `dim`.
    func movingLastDimension(to dim: Int, shape original: [Int]) -> NDArray {
        if original.isEmpty { return reshapedUnchecked([]) }
        var movedShape = original
        let size = movedShape.remove(at: dim)
        movedShape.append(size)
        var order = Array(0..<original.count - 1)
        order.insert(original.count - 1, at: dim)
        let strides = Layout.rowMajorStrides(for: movedShape)
        return NDArray(
            storage: storage,
            layout: Layout(shape: order.map { movedShape[$0] }, strides: order.map { strides[$0] }, offset: layout.offset)
        ).contiguous()
    }

    /// A view in `shape` of a contiguous array with the same count.
    func reshapedUnchecked(_ shape: [Int]) -> NDArray {
        let source = contiguous()
        return NDArray(storage: source.storage, layout: Layout(contiguous: shape, offset: source.layout.offset))
    }

    /// Softmax (or its logarithm) along `dim`, computed stably by subtracting each row's
    /// maximum: in float32 for float32 and the two-byte floats (rounded back), in doubles
    /// for float64.
    public func softmax(dim: Int, logarithm: Bool) -> NDArray {
        switch dtype {
        case .float32: return softmaxRows(Float.self, dim: dim, logarithm: logarithm)
        case .float64: return softmaxRows(Double.self, dim: dim, logarithm: logarithm)
        default:
            checkUsage(dtype.isFloatingPoint, "\(logarithm ? "log_softmax" : "softmax"): not implemented for '\(dtype)'")
            return converted(to: .float32).softmax(dim: dim, logarithm: logarithm).converted(to: dtype)
        }
    }

    /// ``softmax(dim:logarithm:)`` of an array whose elements are `T`.
    private func softmaxRows<T: FloatingElement>(_: T.Type, dim: Int, logarithm: Bool) -> NDArray {
        let moved = movingDimensionLast(dim)
        let length = moved.shape.last ?? 1
        let rows = length == 0 ? 0 : moved.count / length
        let result = NDArray(uninitialized: moved.shape, dtype: dtype)
        if T.self == Float.self {
            // Float32 rows run in C (elementwise.c): vectorised max, exp-sum and scaling on
            // the kernel path in use, large arrays split over the kernel threads by rows.
            ag_softmax_rows(Int64(rows), Int64(length), moved.rawPointer.assumingMemoryBound(to: Float.self),
                            result.storage.raw.assumingMemoryBound(to: Float.self), logarithm)
            return result.movingLastDimension(to: dim, shape: shape)
        }
        let input = moved.rawPointer.assumingMemoryBound(to: T.self), out = result.storage.raw.assumingMemoryBound(to: T.self)
        for r in 0..<rows {
            let row = input + r * length, target = out + r * length
            var maximum = -T.infinity
            for i in 0..<length { maximum = Swift.max(maximum, row[i]) }
            if maximum == -.infinity { maximum = 0 }
            var total: T = 0
            for i in 0..<length {
                let e = T.exp(row[i] - maximum)
                target[i] = e
                total += e
            }
            if logarithm {
                let logTotal = T.log(total)
                for i in 0..<length { target[i] = row[i] - maximum - logTotal }
            } else {
                for i in 0..<length { target[i] /= total }
            }
        }
        return result.movingLastDimension(to: dim, shape: shape)
    }
}
