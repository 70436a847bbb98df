/// An elementwise comparison, giving a bool array.
public enum ComparisonOp: Sendable {
    case equal, notEqual, less, lessEqual, greater, greaterEqual

    /// The comparison of one pair, in the operands' common type.
    @inline(__always)
    func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .equal: return a == b
        case .notEqual: return a != b
        case .less: return a < b
        case .lessEqual: return a <= b
        case .greater: return a > b
        case .greaterEqual: return a >= b
        }
    }
}

/// An elementwise logical (bool) or bitwise (integer) operation.
public enum LogicalOp: Sendable {
    case and, or, exclusiveOr
}

extension NDArray {
    /// `op` of `lhs` and `rhs` broadcast together, as a bool array. Both are first converted
    /// to their promoted dtype (`operands` says how each takes part in promotion), so
    /// `int64 .< 2.5` compares in float32, as PyTorch does.
    public static func compare(
        _ op: ComparisonOp, _ lhs: NDArray, _ rhs: NDArray, operands: [PromotionOperand], name: String
    ) throws(ShapeError) -> NDArray {
        let shape = try broadcastShapes(lhs.shape, rhs.shape, op: name)
        let common = DType.resultType(operands)
        let a = lhs.converted(to: common), b = rhs.converted(to: common)
        if common.isFloatingPoint {
            return elementwise(Double.self, a.converted(to: .float64), b.converted(to: .float64), shape: shape) { op.holds($0, $1) }
        }
        return elementwise(Int64.self, a.converted(to: .int64), b.converted(to: .int64), shape: shape) { op.holds($0, $1) }
    }

    /// `op` of `lhs` and `rhs` broadcast together: logical on bool arrays (a bool result),
    /// bitwise on integer arrays (their promoted dtype), like `&`, `|` and `^` in PyTorch.
    public static func logical(_ op: LogicalOp, _ lhs: NDArray, _ rhs: NDArray, name: String) throws(ShapeError) -> NDArray {
        let shape = try broadcastShapes(lhs.shape, rhs.shape, op: name)
        let common = DType.resultType([lhs.promotionOperand, rhs.promotionOperand])
        guard !common.isFloatingPoint else {
            throw .unsupportedDType(op: name, common)
        }
        let a = lhs.converted(to: .int64), b = rhs.converted(to: .int64)
        let result = zipElements(Int64.self, a, b, shape: shape, dtype: .int64) { x, y in
            switch op {
            case .and: return x & y
            case .or: return x | y
            case .exclusiveOr: return x ^ y
            }
        }
        return result.converted(to: common)
    }

    /// Logical not of a bool array, bitwise not of an integer array (PyTorch's `~`).
    public func inverted() throws(ShapeError) -> NDArray {
        guard !dtype.isFloatingPoint else {
            throw .unsupportedDType(op: "bitwise_not", dtype)
        }
        let values = integers.map { dtype == .bool ? ($0 == 0 ? 1 : 0) : ~$0 }
        return NDArray(shape: shape, integers: values, dtype: dtype)
    }

    /// `test` of each element of a floating array (every element of another dtype is
    /// finite and a number), as a bool array: `isnan`, `isinf`, `isfinite`.
    public func classified(_ test: (Double) -> Bool, integersGive: Bool) -> NDArray {
        let values = dtype.isFloatingPoint ? doubles.map { test($0) ? Int64(1) : 0 } : [Int64](repeating: integersGive ? 1 : 0, count: count)
        return NDArray(shape: shape, integers: values, dtype: .bool)
    }

    /// Picks `x` where `condition` is true and `y` elsewhere, all three broadcast together,
    /// in the promoted dtype of `x` and `y` (`operands` says how they take part), like
    /// `torch.where`.
    public static func select(
        _ condition: NDArray, _ x: NDArray, _ y: NDArray, operands: [PromotionOperand]
    ) throws(ShapeError) -> NDArray {
        let shape = try broadcastShapes(try broadcastShapes(condition.shape, x.shape, op: "where"), y.shape, op: "where")
        let dtype = DType.resultType(operands)
        let mask = condition.converted(to: .bool)
        let a = x.converted(to: dtype), b = y.converted(to: dtype)
        let result = NDArray(uninitialized: shape, dtype: dtype)
        let (m, l, r) = (mask.layout.broadcast(to: shape), a.layout.broadcast(to: shape), b.layout.broadcast(to: shape))
        let bytes = dtype.itemSize
        let flags = mask.storage.raw.assumingMemoryBound(to: UInt8.self)
        let (left, right, out) = (a.storage.raw, b.storage.raw, result.storage.raw)
        let length = result.layout.rowLength
        let (strideM, strideL, strideR) = (m.rowStride, l.rowStride, r.rowStride)
        // Rows are walked over the mask and `x`; `y`'s row start follows from the row count.
        var row = 0
        let rightRows = rowStarts(of: r, shape: shape)
        forEachRow(shape: shape, m.strides, m.offset, l.strides, l.offset, m.strides, 0) { pm, pl, _ in
            let pr = rightRows[row], po = row * length
            for i in 0..<length {
                let source = flags[pm + i * strideM] != 0 ? left + (pl + i * strideL) * bytes : right + (pr + i * strideR) * bytes
                (out + (po + i) * bytes).copyMemory(from: source, byteCount: bytes)
            }
            row += 1
        }
        return result
    }

    /// The storage position of the start of every row of `layout` over `shape`, in order.
    private static func rowStarts(of layout: Layout, shape: [Int]) -> [Int] {
        var starts: [Int] = []
        forEachRow(shape: shape, layout.strides, layout.offset, layout.strides, 0, layout.strides, 0) { p, _, _ in starts.append(p) }
        return starts
    }

    /// `holds` of `lhs` and `rhs` (both of the dtype whose elements are `T`) broadcast to
    /// `shape`, as a bool array.
    private static func elementwise<T>(
        _: T.Type, _ lhs: NDArray, _ rhs: NDArray, shape: [Int], _ holds: (T, T) -> Bool
    ) -> NDArray {
        let result = NDArray(uninitialized: shape, dtype: .bool)
        let left = lhs.layout.broadcast(to: shape), right = rhs.layout.broadcast(to: shape)
        let a = lhs.storage.raw.assumingMemoryBound(to: T.self), b = rhs.storage.raw.assumingMemoryBound(to: T.self)
        let out = result.storage.raw.assumingMemoryBound(to: UInt8.self)
        let length = result.layout.rowLength, strideA = left.rowStride, strideB = right.rowStride
        forEachRow(shape: shape, left.strides, left.offset, right.strides, right.offset, result.layout.strides, 0) { pa, pb, po in
            for i in 0..<length { out[po + i] = holds(a[pa + i * strideA], b[pb + i * strideB]) ? 1 : 0 }
        }
        return result
    }
}

extension DType {
    /// PyTorch's C++ name for the dtype, used in its error messages (`Long`, `Float`, ...).
    public var scalarTypeName: String {
        switch self {
        case .float32: return "Float"
        case .float64: return "Double"
        case .float16: return "Half"
        case .bfloat16: return "BFloat16"
        case .int64: return "Long"
        case .int32: return "Int"
        case .int16: return "Short"
        case .int8: return "Char"
        case .uint8: return "Byte"
        case .bool: return "Bool"
        }
    }
}
