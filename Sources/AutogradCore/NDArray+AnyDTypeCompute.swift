/// The elementwise ops for arrays that are not all float32. Operands are converted to the
/// result's compute type (float32 for float16/bfloat16 and for float32 results, float64,
/// or 64-bit integers for integer and bool results) and computed there; float32 work goes
/// through the float32 kernels.
extension NDArray {
    /// The operand kind of this array for type promotion: 0-d arrays rank below arrays
    /// with dimensions.
    public var promotionOperand: PromotionOperand { rank == 0 ? .zeroDimensional(dtype) : .tensor(dtype) }

    /// The dtype of `op` applied to `lhs` and `rhs`: PyTorch's promotion, with true
    /// division of integers giving the default float32.
    static func resultType(of op: BinaryOp, _ lhs: NDArray, _ rhs: NDArray) -> DType {
        let promoted = DType.resultType([lhs.promotionOperand, rhs.promotionOperand])
        return op == .divide && !promoted.isFloatingPoint ? .float32 : promoted
    }

    /// ``zip(_:_:_:name:)`` for any dtypes, into an array of `resultType` and `shape`
    /// (the broadcast shape, already checked; `resultType` as promotion gives it).
    public static func zipAnyDType(_ op: BinaryOp, _ lhs: NDArray, _ rhs: NDArray, shape: [Int], resultType: DType) -> NDArray {
        // Integer and bool results compute in Int64 straight away: the promoted dtype holds
        // both operands' values, and wrapping to its width at the end gives the same bits.
        let compute = resultType.isFloatingPoint ? resultType.computeType : .int64
        let a = lhs.converted(to: compute), b = rhs.converted(to: compute)
        let result: NDArray
        switch compute {
        case .float32:
            result = trapOnShapeError { () throws(ShapeError) in try zip(op, a, b, name: "\(op)") }
        case .float64:
            result = zipElements(Double.self, a, b, shape: shape, dtype: .float64) { op.apply($0, $1) }
        default:
            result = zipElements(Int64.self, a, b, shape: shape, dtype: .int64) { op.apply(integers: $0, $1) }
        }
        return result.dtype == resultType ? result : result.converted(to: resultType)
    }

    /// `body` applied to `lhs` and `rhs` (both of `dtype`, whose elements are `T`)
    /// broadcast to `shape`, into a new contiguous array of `dtype`.
    static func zipElements<T>(
        _: T.Type, _ lhs: NDArray, _ rhs: NDArray, shape: [Int], dtype: DType, _ body: (T, T) -> T
    ) -> NDArray {
        let result = NDArray(uninitialized: shape, dtype: dtype)
        let left = lhs.layout.broadcast(to: shape), right = rhs.layout.broadcast(to: shape)
        let a = lhs.storage.raw.assumingMemoryBound(to: T.self), b = rhs.storage.raw.assumingMemoryBound(to: T.self)
        let out = result.storage.raw.assumingMemoryBound(to: T.self)
        let length = result.layout.rowLength, strideA = left.rowStride, strideB = right.rowStride
        forEachRow(shape: shape, left.strides, left.offset, right.strides, right.offset, result.layout.strides, 0) { pa, pb, po in
            for i in 0..<length { out[po + i] = body(a[pa + i * strideA], b[pb + i * strideB]) }
        }
        return result
    }

    /// ``map(_:)`` for arrays that are not float32: float64 in doubles, float16/bfloat16
    /// in floats rounded back, integers in integers for the ops that keep them (negate,
    /// abs, relu, sign) and in float32 otherwise, as PyTorch promotes them.
    func mapAnyDType(_ op: UnaryOp) -> NDArray {
        switch dtype {
        case .float64:
            let source = contiguous()
            let result = NDArray(uninitialized: shape, dtype: .float64)
            let input = source.rawPointer.assumingMemoryBound(to: Double.self)
            let out = result.storage.raw.assumingMemoryBound(to: Double.self)
            for i in 0..<count { out[i] = op.apply(input[i]) }
            return result
        case .float16, .bfloat16:
            return converted(to: .float32).map(op).converted(to: dtype)
        default:
            guard op.keepsIntegers else { return converted(to: .float32).map(op) }
            let values = integers.map { op.apply(integer: $0) }
            return NDArray(shape: shape, integers: values, dtype: dtype == .bool ? .int64 : dtype)
        }
    }
}
