/// Walks the rows (innermost dimension) of `shape` for three operands laid out with their
/// own strides and offsets, calling `body` once per row with each operand's row start.
///
/// Kernels loop over the row themselves, using the last stride of each operand, so the
/// per-element work has no call in it. A 0-d shape has one row of one element.
@inline(__always)
func forEachRow(
    shape: [Int],
    _ strides0: [Int], _ offset0: Int,
    _ strides1: [Int], _ offset1: Int,
    _ strides2: [Int], _ offset2: Int,
    _ body: (Int, Int, Int) -> Void
) {
    let rank = shape.count
    if rank == 0 {
        body(offset0, offset1, offset2)
        return
    }
    if shape.contains(0) { return }
    let outerRank = rank - 1
    var index = [Int](repeating: 0, count: outerRank)
    var p0 = offset0, p1 = offset1, p2 = offset2
    while true {
        body(p0, p1, p2)
        var dim = outerRank - 1
        while dim >= 0 {
            index[dim] += 1
            p0 += strides0[dim]
            p1 += strides1[dim]
            p2 += strides2[dim]
            if index[dim] < shape[dim] { break }
            p0 -= strides0[dim] * shape[dim]
            p1 -= strides1[dim] * shape[dim]
            p2 -= strides2[dim] * shape[dim]
            index[dim] = 0
            dim -= 1
        }
        if dim < 0 { return }
    }
}

extension Layout {
    /// The number of elements in one row (the innermost dimension); 1 for a 0-d layout.
    var rowLength: Int { shape.last ?? 1 }
    /// The stride along the innermost dimension; 0 for a 0-d layout.
    var rowStride: Int { explicitStrides?.last ?? (shape.isEmpty ? 0 : 1) }

    /// The rows (innermost dimension) as `count` runs of `length` contiguous elements, row r
    /// starting r·`stride` elements after the first (the outer dimensions taken as one, as
    /// in a slice of a contiguous array along its last dimension); nil for any other layout.
    var evenlySpacedRows: (count: Int, length: Int, stride: Int)? {
        guard let length = shape.last else { return nil }
        let strides = self.strides
        guard length <= 1 || strides[shape.count - 1] == 1 else { return nil }
        var count = 1, rowStride = length
        var expected: Int?
        for dim in stride(from: shape.count - 2, through: 0, by: -1) where shape[dim] != 1 {
            if expected == nil {
                rowStride = strides[dim]
                expected = rowStride
            }
            guard strides[dim] == expected, rowStride >= length else { return nil }
            expected! *= shape[dim]
            count *= shape[dim]
        }
        return (count, length, rowStride)
    }
}
