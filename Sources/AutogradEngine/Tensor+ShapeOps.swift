import AutogradCore

/// Splitting, narrowing, repeating, flipping, rolling, triangles, diagonals and moved
/// dimensions, with PyTorch's node names and view semantics: `split`, `chunk`, `narrow`,
/// `diagonal`, `unflatten` and `movedim` share this tensor's storage; `repeat`, `tile`,
/// `flip`, `roll`, `tril` and `triu` copy.
extension Tensor {
    /// Runs a shape check, trapping with its message.
    private func checked<T>(_ body: () throws(ShapeError) -> T) -> T {
        trapOnShapeError(body)
    }

    /// Splits this tensor into parts of `splitSize` entries along `dim` (the last part
    /// may be smaller), like `torch.split(x, split_size, dim)`. The parts are views
    /// recorded as `SplitBackward0`.
    /// ```swift
    /// let x = Tensor([[1, 2, 3, 4, 5]])
    /// x.split(2, dim: 1)   // [[1, 2]], [[3, 4]], [[5]]
    /// ```
    public func split(_ splitSize: Int, dim: Int = 0) -> [Tensor] {
        let d = checked { () throws(ShapeError) in
            guard rank > 0 else { throw .splitOfScalar(op: "split") }
            return try normalizedDimension(dim, rank: rank, op: "split")
        }
        let size = shape[d]
        checked { () throws(ShapeError) in
            guard splitSize >= 0 else { throw .negativeSplitSize(splitSize) }
            guard splitSize > 0 || size == 0 else { throw .zeroSplitSize(dimensionSize: size) }
        }
        let count = splitSize == 0 ? 1 : Swift.max((size + splitSize - 1) / splitSize, 1)
        let sizes = (0..<count).map { i in i < count - 1 ? splitSize : size - splitSize * (count - 1) }
        return (0..<count).map { splitPart(SplitPart(dim: d, sizes: sizes, index: $0, splitSize: splitSize)) }
    }

    /// Splits this tensor along `dim` into parts of the given `sizes`, which must add up
    /// to the size of `dim`, like `torch.split(x, [sizes], dim)`. The parts are views
    /// recorded as `SplitWithSizesBackward0`.
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        let d = checked { () throws(ShapeError) in
            guard rank > 0 else { throw .splitOfScalar(op: "split") }
            return try normalizedDimension(dim, rank: rank, op: "split_with_sizes")
        }
        checked { () throws(ShapeError) in
            guard sizes.allSatisfy({ $0 >= 0 }) else { throw .negativeSplitSizes(sizes: sizes) }
            guard sizes.reduce(0, +) == shape[d] else {
                throw .splitSizesSum(sizes: sizes, dimensionSize: shape[d], dim: dim)
            }
        }
        return sizes.indices.map { splitPart(SplitPart(dim: d, sizes: sizes, index: $0, splitSize: nil)) }
    }

    /// Splits this tensor into `chunks` parts of equal size along `dim` (the last may be
    /// smaller, and there may be fewer parts), like `torch.chunk`: a ``split(_:dim:)`` of
    /// size `ceil(size / chunks)`.
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        let d = checked { () throws(ShapeError) in
            guard rank > 0 else { throw .splitOfScalar(op: "chunk") }
            guard chunks > 0 else { throw .nonPositiveChunks(chunks) }
            return try normalizedDimension(dim, rank: rank, op: "chunk")
        }
        let size = shape[d]
        let splitSize = (size + chunks - 1) / chunks
        if splitSize == 0 && size == 0 {
            // As PyTorch: `chunks` empty parts, which `split` could not tell apart.
            return split(sizes: [Int](repeating: 0, count: chunks), dim: d)
        }
        return split(splitSize, dim: d)
    }

    /// One part of a split, a view recorded as `SplitBackward0` or
    /// `SplitWithSizesBackward0`. An in-place write into it is refused, as PyTorch refuses
    /// writes into the outputs of functions that return several views.
    private func splitPart(_ part: SplitPart) -> Tensor {
        let value = checked { () throws(ShapeError) in try array.sliced(dim: part.dim, start: part.start, end: part.end) }
        let result = recordView(value, .split(part)) { $0.splitPart(part) }
        result.viewOrigin?.multipleViewsOutput = part.index
        return result
    }

    /// The `length` entries from `start` along `dim` (a view recorded as `SliceBackward0`),
    /// like `torch.narrow`; a negative `start` counts from the end.
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        let (d, from) = checked { () throws(ShapeError) -> (Int, Int) in
            guard rank > 0 else { throw .narrowOfScalar }
            guard length >= 0 else { throw .narrowNegativeLength(length) }
            let d = try normalizedDimension(dim, rank: rank, op: "narrow")
            let size = shape[d]
            guard start >= -size && start <= size else { throw .narrowStartOutOfRange(start: start, size: size) }
            let from = start < 0 ? start + size : start
            guard from + length <= size else { throw .narrowPastEnd(start: from, length: length, size: size) }
            return (d, from)
        }
        return slice(dim: d, start: from, end: from + length)
    }

    /// This tensor repeated `repeats[i]` times along dimension `i`, like `Tensor.repeat` in
    /// PyTorch; `repeats` may be longer than the rank (new leading dimensions). Recorded
    /// as `RepeatBackward0`.
    /// ```swift
    /// Tensor([1, 2]).repeat([2, 2])   // [[1, 2, 1, 2], [1, 2, 1, 2]]
    /// ```
    public func `repeat`(_ repeats: [Int]) -> Tensor {
        let value = checked { () throws(ShapeError) in try array.repeated(repeats) }
        return Tensor.record(value, .repetition(repeats), input: self)
    }

    /// This tensor repeated `repeats[i]` times along dimension `i`, like `torch.tile`:
    /// ``repeat(_:)`` with `repeats` padded with leading 1s to the rank.
    public func tile(_ repeats: [Int]) -> Tensor {
        let padded = repeats.count < rank ? [Int](repeating: 1, count: rank - repeats.count) + repeats : repeats
        return self.repeat(padded)
    }

    /// A copy with the order of the entries reversed along each of `dims`, like
    /// `torch.flip`. Recorded as `FlipBackward0`.
    public func flip(dims: [Int]) -> Tensor {
        let normalized = checked { () throws(ShapeError) -> [Int] in
            var seen: Set<Int> = []
            return try dims.map { dim throws(ShapeError) in
                let d = try normalizedDimension(dim, rank: rank, op: "flip")
                guard seen.insert(d).inserted else { throw .repeatedDimension(op: "flip", dim: d) }
                return d
            }
        }
        let value = array.flipped(dims: rank == 0 ? [] : normalized)
        return Tensor.record(value, .flip(normalized), input: self)
    }

    /// A copy with the entries shifted by `shifts[i]` positions along `dims[i]`, those
    /// pushed past the end coming back at the start, like `torch.roll`; with no `dims` the
    /// tensor is rolled as if flattened (one shift). Recorded as `RollBackward0`.
    /// ```swift
    /// Tensor([1, 2, 3, 4]).roll(shifts: [1], dims: [0])   // [4, 1, 2, 3]
    /// ```
    public func roll(shifts: [Int], dims: [Int] = []) -> Tensor {
        let normalized = checked { () throws(ShapeError) -> [Int] in
            guard !shifts.isEmpty else { throw .rollWithoutShifts }
            guard dims.isEmpty ? shifts.count == 1 : shifts.count == dims.count else {
                throw .rollMisaligned(shifts: shifts.count, dims: dims.count)
            }
            if rank == 0, let dim = dims.first { throw .dimensionOfScalar(op: "roll", dim: dim) }
            return try dims.map { dim throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "roll") }
        }
        return Tensor.record(array.rolled(shifts: shifts, dims: normalized), .roll(shifts: shifts, dims: normalized), input: self)
    }

    /// The lower triangle of each matrix in the last two dimensions, the rest zeroed, like
    /// `torch.tril`: entry `(i, j)` is kept when `j - i <= diagonal`. Recorded as
    /// `TrilBackward0`.
    public func tril(diagonal: Int = 0) -> Tensor {
        let value = checked { () throws(ShapeError) in try array.triangle(upper: false, diagonal: diagonal) }
        return Tensor.record(value, .triangle(upper: false, diagonal: diagonal), input: self)
    }

    /// The upper triangle of each matrix in the last two dimensions, the rest zeroed, like
    /// `torch.triu`: entry `(i, j)` is kept when `j - i >= diagonal`. Recorded as
    /// `TriuBackward0`.
    public func triu(diagonal: Int = 0) -> Tensor {
        let value = checked { () throws(ShapeError) in try array.triangle(upper: true, diagonal: diagonal) }
        return Tensor.record(value, .triangle(upper: true, diagonal: diagonal), input: self)
    }

    /// The diagonal of the matrices spanned by `dim1` and `dim2`, as a view: those
    /// dimensions are removed and the diagonal is the last dimension, like
    /// `torch.diagonal`; `offset` > 0 is above the main diagonal, < 0 below. Recorded as
    /// `DiagonalBackward0`.
    /// ```swift
    /// Tensor([[1, 2], [3, 4]]).diagonal()   // [1, 4]
    /// ```
    public func diagonal(offset: Int = 0, dim1: Int = 0, dim2: Int = 1) -> Tensor {
        let (a, b) = checked { () throws(ShapeError) -> (Int, Int) in
            let a = try normalizedDimension(dim1, rank: rank, op: "diagonal")
            let b = try normalizedDimension(dim2, rank: rank, op: "diagonal")
            guard a != b else { throw .identicalDiagonalDimensions(dim1, dim2) }
            return (a, b)
        }
        let value = array.diagonalView(offset: offset, dim1: a, dim2: b)
        return recordView(value, .diagonal(offset: offset, dim1: a, dim2: b)) { $0.diagonal(offset: offset, dim1: a, dim2: b) }
    }

    /// This tensor expanded to `other`'s shape, like `expand_as` (``expand(_:)``).
    public func expand(as other: Tensor) -> Tensor { expand(other.shape) }

    /// Dimension `dim` split into dimensions of `sizes` (one may be -1), as a view whatever
    /// the strides, like `torch.unflatten`. Recorded as `ViewBackward0`.
    /// ```swift
    /// Tensor.zeros([3, 4]).unflatten(dim: 1, sizes: [2, 2]).shape   // [3, 2, 2]
    /// ```
    public func unflatten(dim: Int, sizes: [Int]) -> Tensor {
        let value = checked { () throws(ShapeError) in try array.unflattened(dim: dim, sizes: sizes) }
        return recordView(value, .reshape(contiguousInput: true)) { $0.unflatten(dim: dim, sizes: sizes) }
    }

    /// This tensor with dimension `source` moved to position `destination`, the others
    /// keeping their order, like `torch.movedim` (a view recorded as `PermuteBackward0`).
    public func movedim(_ source: Int, _ destination: Int) -> Tensor { movedim([source], [destination]) }

    /// This tensor with dimensions `source[i]` moved to positions `destination[i]`, the
    /// others keeping their order, like `torch.movedim` (a view recorded as
    /// `PermuteBackward0`).
    public func movedim(_ source: [Int], _ destination: [Int]) -> Tensor {
        let order = checked { () throws(ShapeError) -> [Int] in
            guard source.count == destination.count else { throw .movedimCounts(source: source, destination: destination) }
            let from = try source.map { d throws(ShapeError) in try normalizedDimension(d, rank: rank, op: "movedim") }
            let to = try destination.map { d throws(ShapeError) in try normalizedDimension(d, rank: rank, op: "movedim") }
            guard Set(from).count == from.count else { throw .movedimRepeated(argument: "source", dims: source) }
            guard Set(to).count == to.count else { throw .movedimRepeated(argument: "destination", dims: destination) }
            guard rank > 0 else { return [] }
            var order = [Int](repeating: -1, count: rank)
            for (f, t) in zip(from, to) { order[t] = f }
            var rest = (0..<rank).filter { !from.contains($0) }.makeIterator()
            for i in 0..<rank where order[i] == -1 { order[i] = rest.next() ?? i }
            return order
        }
        return permute(order)
    }

    /// The outer product of two vectors, `result[i][j] = self[i] · other[j]`, like
    /// `torch.outer`: this vector as a column times `other` (recorded as `MulBackward0`).
    public func outer(_ other: Tensor) -> Tensor {
        checked { () throws(ShapeError) in
            guard rank == 1 else { throw .outerNeedsVectors(argument: "self", rank: rank) }
            guard other.rank == 1 else { throw .outerNeedsVectors(argument: "vec2", rank: other.rank) }
        }
        return unflatten(dim: 0, sizes: [shape[0], 1]) * other
    }

    /// The dot product of two vectors of the same length and dtype, like `torch.dot`
    /// (recorded as `DotBackward0`).
    public func dot(_ other: Tensor) -> Tensor {
        checked { () throws(ShapeError) in
            guard rank == 1 && other.rank == 1 else { throw .dotNeedsVectors(lhsRank: rank, rhsRank: other.rank) }
            guard dtype == other.dtype else { throw .dotDTypes(dtype, other.dtype) }
            guard shape == other.shape else { throw .dotSizes(lhs: shape[0], rhs: other.shape[0]) }
        }
        return matmul(other)
    }
}
