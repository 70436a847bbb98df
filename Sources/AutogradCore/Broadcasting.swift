/// The shape two shapes broadcast to under NumPy's rules: align from the right; each pair
/// of sizes must be equal or contain a 1.
///
/// - Throws: ``ShapeError`` naming `op` and both shapes, e.g.
///   `mul: shapes [2, 3] and [4] cannot be broadcast`.
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String) throws(ShapeError) -> [Int] {
    if a == b { return a }
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let sizeA = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let sizeB = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if sizeA == sizeB || sizeB == 1 {
            result[i] = sizeA
        } else if sizeA == 1 {
            result[i] = sizeB
        } else {
            throw .notBroadcastable(op: op, a, b)
        }
    }
    return result
}

extension Layout {
    /// This layout seen as `shape` by broadcasting: new leading dimensions and size-1
    /// dimensions get stride 0. `shape` must be a broadcast of this layout's shape.
    public func broadcast(to shape: [Int]) -> Layout {
        if shape == self.shape { return self }
        let lead = shape.count - rank
        var newStrides = [Int](repeating: 0, count: shape.count)
        for i in 0..<rank where self.shape[i] == shape[lead + i] {
            newStrides[lead + i] = strides[i]
        }
        return Layout(shape: shape, strides: newStrides, offset: offset)
    }
}

/// The dimensions along which a gradient of shape `shape` must be summed to reach
/// `target`, the shape of the input that was broadcast: the leading extra dimensions and
/// the ones where `target` has size 1.
public func broadcastReductionDimensions(from shape: [Int], to target: [Int]) -> [Int] {
    let lead = shape.count - target.count
    var dims = Array(0..<Swift.max(lead, 0))
    for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 {
        dims.append(lead + i)
    }
    return dims
}
