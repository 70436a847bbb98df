import CAutogradKernels
import Foundation

// The inner loops of the elementwise ops. The common float32 ops on rows of unit or zero
// (broadcast) stride run in C (elementwise.c: 4, 8 or 16 lanes on the kernel path in use,
// with a polynomial exp behind exp, sigmoid and tanh); the rest run here. Each Swift
// function switches on the op once, outside the loop, so every case is a loop with a known
// body that the optimiser specialises and, for unit or zero strides, vectorises. (A switch
// inside the loop, or a call per element, costs several times the arithmetic.)

/// Elements from which the exact ops (all but exp, sigmoid and tanh) run in C: below, the
/// Swift loop costs less than the call and the partial vector, and gives the same bits.
private let exactKernelMinimum = 16

/// The `ag_unary_f32` op code and scalar of `op`, or nil when the C kernels lack it.
@inline(__always)
private func unaryKernelCode(_ op: UnaryOp) -> (code: Int32, scalar: Float)? {
    switch op {
    case .negate: return (AG_UNARY_NEGATE, 0)
    case .relu: return (AG_UNARY_RELU, 0)
    case .addScalar(let s): return (AG_UNARY_ADD_SCALAR, Float(s))
    case .multiplyScalar(let s): return (AG_UNARY_MULTIPLY_SCALAR, Float(s))
    case .reverseSubtractScalar(let s): return (AG_UNARY_REVERSE_SUBTRACT_SCALAR, Float(s))
    case .reverseDivideScalar(let s): return (AG_UNARY_REVERSE_DIVIDE_SCALAR, Float(s))
    case .power(2): return (AG_UNARY_SQUARE, 0)
    case .reciprocal: return (AG_UNARY_RECIPROCAL, 0)
    case .isPositive: return (AG_UNARY_IS_POSITIVE, 0)
    case .abs: return (AG_UNARY_ABS, 0)
    case .exp: return (AG_UNARY_EXP, 0)
    case .sigmoid: return (AG_UNARY_SIGMOID, 0)
    case .tanh: return (AG_UNARY_TANH, 0)
    default: return nil
    }
}

/// The `ag_binary_f32` op code of `op`, or nil when the C kernels lack it.
@inline(__always)
private func binaryKernelCode(_ op: BinaryOp) -> Int32? {
    switch op {
    case .add: return AG_BINARY_ADD
    case .subtract: return AG_BINARY_SUBTRACT
    case .multiply: return AG_BINARY_MULTIPLY
    case .divide: return AG_BINARY_DIVIDE
    default: return nil
    }
}

/// Runs `body` over `count` elements of a row read with stride `inputStride`, writing the
/// contiguous `out`; the unit-stride case gets its own copy of the loop.
@inline(__always)
private func unaryLoop(
    _ input: UnsafePointer<Float>, _ inputStride: Int, _ out: UnsafeMutablePointer<Float>, _ count: Int,
    _ body: (Float) -> Float
) {
    if inputStride == 1 {
        for i in 0..<count { out[i] = body(input[i]) }
    } else {
        for i in 0..<count { out[i] = body(input[i * inputStride]) }
    }
}

/// `out[i] = op(input[i * inputStride])` for `i` in `0..<count`.
func applyUnary(
    _ op: UnaryOp, _ input: UnsafePointer<Float>, _ inputStride: Int, _ out: UnsafeMutablePointer<Float>, _ count: Int
) {
    if let kernel = unaryKernelCode(op) {
        let polynomial = kernel.code == AG_UNARY_EXP || kernel.code == AG_UNARY_SIGMOID || kernel.code == AG_UNARY_TANH
        if inputStride & ~1 == 0 {
            if (polynomial || count >= exactKernelMinimum)
                && ag_unary_f32(kernel.code, kernel.scalar, Int64(count), input, Int64(inputStride), out) {
                return
            }
        } else if polynomial {
            // A strided row of a polynomial op: gathered into `out` and mapped there, so an
            // element gets the same bits whatever the layout of its array.
            for i in 0..<count { out[i] = input[i * inputStride] }
            if ag_unary_f32(kernel.code, kernel.scalar, Int64(count), out, 1, out) { return }
        }
    }
    switch op {
    case .negate: unaryLoop(input, inputStride, out, count) { -$0 }
    case .exp: unaryLoop(input, inputStride, out, count) { Foundation.exp($0) }
    case .log: unaryLoop(input, inputStride, out, count) { Foundation.log($0) }
    case .sqrt: unaryLoop(input, inputStride, out, count) { $0.squareRoot() }
    case .abs: unaryLoop(input, inputStride, out, count) { Swift.abs($0) }
    case .relu: unaryLoop(input, inputStride, out, count) { $0 > 0 ? $0 : 0 }
    case .isPositive: unaryLoop(input, inputStride, out, count) { $0 > 0 ? 1 : 0 }
    case .reciprocal: unaryLoop(input, inputStride, out, count) { 1 / $0 }
    case .sigmoid: unaryLoop(input, inputStride, out, count) { 1 / (1 + Foundation.exp(-$0)) }
    case .tanh: unaryLoop(input, inputStride, out, count) { Foundation.tanh($0) }
    case .addScalar(let s):
        let scalar = Float(s)
        unaryLoop(input, inputStride, out, count) { $0 + scalar }
    case .multiplyScalar(let s):
        let scalar = Float(s)
        unaryLoop(input, inputStride, out, count) { $0 * scalar }
    case .reverseSubtractScalar(let s):
        let scalar = Float(s)
        unaryLoop(input, inputStride, out, count) { scalar - $0 }
    case .reverseDivideScalar(let s):
        let scalar = Float(s)
        unaryLoop(input, inputStride, out, count) { scalar / $0 }
    case .power(2): unaryLoop(input, inputStride, out, count) { $0 * $0 }
    default: unaryLoop(input, inputStride, out, count) { op.apply($0) }
    }
}

/// Runs `body` over a row of pairs read with strides `strideA` and `strideB`, writing
/// the contiguous `out`; unit and zero (broadcast) strides get their own loops.
@inline(__always)
private func binaryLoop(
    _ a: UnsafePointer<Float>, _ strideA: Int, _ b: UnsafePointer<Float>, _ strideB: Int,
    _ out: UnsafeMutablePointer<Float>, _ count: Int, _ body: (Float, Float) -> Float
) {
    switch (strideA, strideB) {
    case (1, 1): for i in 0..<count { out[i] = body(a[i], b[i]) }
    case (1, 0):
        let y = b.pointee
        for i in 0..<count { out[i] = body(a[i], y) }
    case (0, 1):
        let x = a.pointee
        for i in 0..<count { out[i] = body(x, b[i]) }
    default: for i in 0..<count { out[i] = body(a[i * strideA], b[i * strideB]) }
    }
}

/// `out[i] = op(a[i * strideA], b[i * strideB])` for `i` in `0..<count`.
func applyBinary(
    _ op: BinaryOp, _ a: UnsafePointer<Float>, _ strideA: Int, _ b: UnsafePointer<Float>, _ strideB: Int,
    _ out: UnsafeMutablePointer<Float>, _ count: Int
) {
    // One element (scalar code, as in the seed's exercises) skips the vector loops' set-up.
    if count == 1 {
        out.pointee = op.apply(a.pointee, b.pointee)
        return
    }
    if count >= exactKernelMinimum, (strideA | strideB) & ~1 == 0, let code = binaryKernelCode(op),
       ag_binary_f32(code, Int64(count), a, Int64(strideA), b, Int64(strideB), out) {
        return
    }
    switch op {
    case .add: binaryLoop(a, strideA, b, strideB, out, count) { $0 + $1 }
    case .subtract: binaryLoop(a, strideA, b, strideB, out, count) { $0 - $1 }
    case .multiply: binaryLoop(a, strideA, b, strideB, out, count) { $0 * $1 }
    case .divide: binaryLoop(a, strideA, b, strideB, out, count) { $0 / $1 }
    case .greater: binaryLoop(a, strideA, b, strideB, out, count) { $0 > $1 ? 1 : 0 }
    default: binaryLoop(a, strideA, b, strideB, out, count) { op.apply($0, $1) }
    }
}

/// Elements from which a contiguous elementwise op is split over the kernel threads;
/// below it the op stays on the caller (handing work to a thread costs more than it
/// saves). PyTorch's grain size: the pool's workers spin for a while after each job, so a
/// chunk of 16K elements is already worth sending to one.
let parallelElementwiseMinimum = 1 << 15

/// Runs `body(start, count)` over `0..<total` in contiguous chunks, one per kernel thread
/// when `total` is at least ``parallelElementwiseMinimum``, else in one call.
func forEachChunk(_ total: Int, _ body: (Int, Int) -> Void) {
    let parts = total >= parallelElementwiseMinimum ? Swift.min(Kernels.threadCount, total / 4096) : 1
    if parts <= 1 {
        body(0, total)
        return
    }
    parallelFor(parts) { part in
        // Chunk boundaries on multiples of 16 floats keep each thread's writes in its own cache lines.
        let start = (total * part / parts) & ~15, end = part == parts - 1 ? total : (total * (part + 1) / parts) & ~15
        body(start, end - start)
    }
}
