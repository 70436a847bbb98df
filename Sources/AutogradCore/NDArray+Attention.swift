import CAutogradKernels
import Foundation

/// Scaled dot-product attention computed a block of queries against a block of keys at a
/// time, FlashAttention's scheme on the CPU: the forward keeps a running maximum and sum
/// per query row (online softmax), so the `L x S` matrix of weights exists only one block
/// at a time and backward keeps just the output and one log-sum-exp per row; backward
/// recomputes each block's weights from those. Blocks go through the GEMM kernels.
public enum AttentionKernel {
    /// Queries (and keys) per block.
    static let blockSize = 64

    /// The additive mask of an attention call, laid out for the kernels: `[L, S]` shared by
    /// every batch entry, or `[B, L, S]` one per entry.
    public struct Mask {
        /// Additive values (0 where attended, -inf where not), contiguous, in the
        /// computation's dtype.
        public let values: NDArray
        /// Elements between the masks of consecutive batch entries (0 when shared).
        public let batchStride: Int

        /// The mask for `batch` entries of `length x sourceLength` weights from a bool
        /// mask (true = attend) or a float mask (added), broadcastable to
        /// `[batch..., length, sourceLength]` where `batchShape` gives the batch dimensions.
        public init(_ mask: NDArray, batchShape: [Int], length: Int, sourceLength: Int, dtype: DType) throws(ShapeError) {
            let target = batchShape + [length, sourceLength]
            _ = try broadcastShapes(mask.shape, target, op: "scaled_dot_product_attention")
            let additive: NDArray
            if mask.dtype == .bool {
                let zero = NDArray(shape: [], doubles: [0], dtype: dtype)
                let minusInfinity = NDArray(shape: [], doubles: [-.infinity], dtype: dtype)
                additive = try NDArray.select(mask, zero, minusInfinity, operands: [.tensor(dtype)])
            } else {
                additive = mask.converted(to: dtype)
            }
            let leading = additive.shape.dropLast(2)
            if leading.allSatisfy({ $0 == 1 }) {
                values = try additive.reshaped(Array(additive.shape.suffix(2)))
                    .expanded([length, sourceLength]).contiguous()
                batchStride = 0
            } else {
                values = try additive.expanded(target).contiguous()
                batchStride = length * sourceLength
            }
        }
    }

    /// The attention output `[B, L, Ev]` and the log-sum-exp of each row of weights
    /// `[B, L]` for queries `[B, L, E]`, keys `[B, S, E]` and values `[B, S, Ev]` of one
    /// floating dtype (two-byte floats are computed in float32). Each may also be
    /// `[B₁, B₂, rows, columns]` (entry b₁·B₂ + b₂) and any view whose rows are contiguous
    /// runs (heads split off a projection, transposed batch dimensions): those are read in
    /// place; other layouts are copied first.
    public static func forward(
        query: NDArray, key: NDArray, value: NDArray, mask: Mask?, causal: Bool, scale: Double
    ) -> (output: NDArray, logSumExp: NDArray) {
        let dtype = query.dtype
        guard dtype == .float32 || dtype == .float64 else {
            let (output, lse) = forward(
                query: query.converted(to: .float32), key: key.converted(to: .float32),
                value: value.converted(to: .float32), mask: mask.map { $0.converted(to: .float32) },
                causal: causal, scale: scale)
            return (output.converted(to: dtype), lse)
        }
        let (q, k, v) = (StridedEntries(query), StridedEntries(key), StridedEntries(value))
        let (batch, length, width) = (q.entries, q.rows, q.columns)
        let valueWidth = v.columns
        let output = NDArray(uninitialized: [batch, length, valueWidth], dtype: dtype)
        let logSumExp = NDArray(uninitialized: [batch, length], dtype: dtype)
        let problem = Problem(length: length, sourceLength: k.rows, width: width, valueWidth: valueWidth,
                              causal: causal, scale: scale, mask: mask)
        if dtype == .float64 {
            problem.forward(Double.self, q, k, v, output: output, logSumExp: logSumExp, batch: batch)
        } else {
            problem.forward(Float.self, q, k, v, output: output, logSumExp: logSumExp, batch: batch)
        }
        return (output, logSumExp)
    }

    /// The gradients of queries, keys and values given `grad`, the gradient of the output,
    /// from the saved inputs, output and log-sum-exp of ``forward(query:key:value:mask:causal:scale:)``.
    public static func backward(
        _ grad: NDArray, query: NDArray, key: NDArray, value: NDArray, output: NDArray, logSumExp: NDArray,
        mask: Mask?, causal: Bool, scale: Double
    ) -> (query: NDArray, key: NDArray, value: NDArray) {
        let dtype = query.dtype
        guard dtype == .float32 || dtype == .float64 else {
            let f = { (a: NDArray) in a.converted(to: .float32) }
            let (dq, dk, dv) = backward(
                f(grad), query: f(query), key: f(key), value: f(value), output: f(output), logSumExp: logSumExp,
                mask: mask.map { $0.converted(to: .float32) }, causal: causal, scale: scale)
            return (dq.converted(to: dtype), dk.converted(to: dtype), dv.converted(to: dtype))
        }
        let (q, k, v) = (StridedEntries(query), StridedEntries(key), StridedEntries(value))
        let (g, o) = (StridedEntries(grad.converted(to: dtype)), StridedEntries(output))
        let (batch, length, width) = (q.entries, q.rows, q.columns)
        let (sourceLength, valueWidth) = (k.rows, v.columns)
        let gradients = (NDArray(zeros: [batch, length, width], dtype: dtype),
                         NDArray(zeros: [batch, sourceLength, width], dtype: dtype),
                         NDArray(zeros: [batch, sourceLength, valueWidth], dtype: dtype))
        let problem = Problem(length: length, sourceLength: sourceLength, width: width, valueWidth: valueWidth,
                              causal: causal, scale: scale, mask: mask)
        if dtype == .float64 {
            problem.backward(Double.self, g, q, k, v, o, logSumExp.contiguous(), into: gradients, batch: batch)
        } else {
            problem.backward(Float.self, g, q, k, v, o, logSumExp.contiguous(), into: gradients, batch: batch)
        }
        return gradients
    }
}

extension AttentionKernel.Mask {
    /// The same mask in another dtype.
    func converted(to dtype: DType) -> Self {
        Self(values: values.converted(to: dtype), batchStride: batchStride)
    }

    private init(values: NDArray, batchStride: Int) {
        self.values = values
        self.batchStride = batchStride
    }
}

/// An element type the fused kernels (attention, GELU, layer norm) run in, with its GEMM
/// and the functions they need.
protocol KernelFloat: BinaryFloatingPoint {
    /// C = A * B + beta * C through element strides (ag_sgemm_strided's contract).
    static func gemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>, _ rowStrideA: Int, _ columnStrideA: Int,
        _ b: UnsafePointer<Self>, _ rowStrideB: Int, _ columnStrideB: Int, beta: Self,
        _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    /// e^x.
    static func exponential(_ x: Self) -> Self
    /// Replaces each of the `count` values at `values` with its exponential (for float32 the
    /// C kernels' vectorised exp, within 2 ulp of expf).
    static func exponentiate(_ values: UnsafeMutablePointer<Self>, count: Int)
    /// ln x.
    static func logarithm(_ x: Self) -> Self
    /// The error function.
    static func errorFunction(_ x: Self) -> Self
    /// The hyperbolic tangent.
    static func hyperbolicTangent(_ x: Self) -> Self
}

extension Float: KernelFloat {
    static func gemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ rowStrideA: Int, _ columnStrideA: Int,
        _ b: UnsafePointer<Float>, _ rowStrideB: Int, _ columnStrideB: Int, beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        ag_sgemm_strided(Int64(m), Int64(n), Int64(k), a, Int64(rowStrideA), Int64(columnStrideA),
                         b, Int64(rowStrideB), Int64(columnStrideB), beta, c, Int64(ldc))
    }
    static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
    static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int) { ag_exp(Int64(count), values, values) }
    static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    static func errorFunction(_ x: Float) -> Float { Foundation.erf(x) }
    static func hyperbolicTangent(_ x: Float) -> Float { Foundation.tanh(x) }
}

extension Double: KernelFloat {
    static func gemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ rowStrideA: Int, _ columnStrideA: Int,
        _ b: UnsafePointer<Double>, _ rowStrideB: Int, _ columnStrideB: Int, beta: Double,
        _ c: UnsafeMutablePointer<Double>, _ ldc: Int
    ) {
        ag_dgemm_strided(Int64(m), Int64(n), Int64(k), a, Int64(rowStrideA), Int64(columnStrideA),
                         b, Int64(rowStrideB), Int64(columnStrideB), beta, c, Int64(ldc))
    }
    static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    static func exponentiate(_ values: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { values[i] = Foundation.exp(values[i]) }
    }
    static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    static func errorFunction(_ x: Double) -> Double { Foundation.erf(x) }
    static func hyperbolicTangent(_ x: Double) -> Double { Foundation.tanh(x) }
}

/// The largest of the `count` values at `values` (-inf when there are none; a NaN never
/// wins, as `>` skips it), in four running maxima so the comparisons do not wait on one another.
private func largest<T: KernelFloat>(_ values: UnsafePointer<T>, count: Int) -> T {
    var (m0, m1, m2, m3) = (-T.infinity, -T.infinity, -T.infinity, -T.infinity)
    var c = 0
    while c + 4 <= count {
        if values[c] > m0 { m0 = values[c] }
        if values[c + 1] > m1 { m1 = values[c + 1] }
        if values[c + 2] > m2 { m2 = values[c + 2] }
        if values[c + 3] > m3 { m3 = values[c + 3] }
        c += 4
    }
    while c < count {
        if values[c] > m0 { m0 = values[c] }
        c += 1
    }
    if m1 > m0 { m0 = m1 }
    if m3 > m2 { m2 = m3 }
    return m2 > m0 ? m2 : m0
}

/// Σ a[c]·b[c] over `count` values (Σ a[c] when `b` is nil), in four running sums so the
/// additions do not wait on one another.
private func sum<T: KernelFloat>(_ a: UnsafePointer<T>, times b: UnsafePointer<T>? = nil, count: Int) -> T {
    var (s0, s1, s2, s3): (T, T, T, T) = (0, 0, 0, 0)
    var c = 0
    if let b {
        while c + 4 <= count {
            s0 += a[c] * b[c]; s1 += a[c + 1] * b[c + 1]; s2 += a[c + 2] * b[c + 2]; s3 += a[c + 3] * b[c + 3]
            c += 4
        }
        while c < count { s0 += a[c] * b[c]; c += 1 }
    } else {
        while c + 4 <= count {
            s0 += a[c]; s1 += a[c + 1]; s2 += a[c + 2]; s3 += a[c + 3]
            c += 4
        }
        while c < count { s0 += a[c]; c += 1 }
    }
    return (s0 + s1) + (s2 + s3)
}

/// The sizes and settings of one attention call, shared by its forward and backward.
private struct Problem {
    let length: Int, sourceLength: Int, width: Int, valueWidth: Int
    let causal: Bool, scale: Double
    let mask: AttentionKernel.Mask?

    /// The key block `keys` against the query block `queries` is entirely masked by causality.
    func skipped(queries: Range<Int>, keys: Range<Int>) -> Bool {
        causal && keys.lowerBound > queries.upperBound - 1
    }

    /// The columns of row `query` of a score block over `keys` that causality leaves
    /// unmasked (a prefix; all of them without causality). The rest hold -inf.
    func liveColumns(query: Int, keys: Range<Int>) -> Int {
        causal ? Swift.min(Swift.max(query + 1 - keys.lowerBound, 0), keys.count) : keys.count
    }

    /// Scales the block of scores `s` (`rows x columns`, row stride `columns`), adds the
    /// mask and sets causally masked entries to -inf.
    func prepareScores<T: KernelFloat>(
        _ s: UnsafeMutablePointer<T>, entry: Int, queries: Range<Int>, keys: Range<Int>
    ) {
        let columns = keys.count, factor = T(scale)
        let maskBase: UnsafePointer<T>? = mask.map {
            UnsafePointer($0.values.rawPointer.assumingMemoryBound(to: T.self)) + entry * $0.batchStride
        }
        for (r, i) in queries.enumerated() {
            let row = s + r * columns
            for c in 0..<columns { row[c] *= factor }
            if let maskBase {
                let maskRow = maskBase + i * sourceLength + keys.lowerBound
                for c in 0..<columns { row[c] += maskRow[c] }
            }
            if causal, keys.upperBound - 1 > i {
                for c in Swift.max(i + 1 - keys.lowerBound, 0)..<columns { row[c] = -T.infinity }
            }
        }
    }

    func forward<T: KernelFloat>(
        _: T.Type, _ q: StridedEntries, _ k: StridedEntries, _ v: StridedEntries, output: NDArray,
        logSumExp: NDArray, batch: Int
    ) {
        let block = AttentionKernel.blockSize
        let queryBlocks = (length + block - 1) / block
        let (oBase, lseBase) = (Self.mutablePointer(output, T.self), Self.mutablePointer(logSumExp, T.self))
        parallelFor(batch * queryBlocks) { task in
            let (entry, queryBlock) = task.quotientAndRemainder(dividingBy: queryBlocks)
            let queries = (queryBlock * block)..<Swift.min(length, (queryBlock + 1) * block)
            let rows = queries.count
            let scores = UnsafeMutablePointer<T>.allocate(capacity: rows * block)
            let running = UnsafeMutablePointer<T>.allocate(capacity: 2 * rows)
            defer { scores.deallocate(); running.deallocate() }
            let (maximum, total) = (running, running + rows)
            maximum.initialize(repeating: -T.infinity, count: rows)
            total.initialize(repeating: 0, count: rows)
            let qBlock = q.row(queries.lowerBound, of: entry, T.self)
            let oBlock = oBase + (entry * length + queries.lowerBound) * valueWidth
            oBlock.initialize(repeating: 0, count: rows * valueWidth)
            var start = 0
            while start < sourceLength {
                let keys = start..<Swift.min(sourceLength, start + block)
                start += block
                if skipped(queries: queries, keys: keys) { break }
                let columns = keys.count
                let kBlock = k.row(keys.lowerBound, of: entry, T.self)
                // scores = Q_block · K_blockᵀ
                T.gemm(rows, columns, width, qBlock, q.rowStride, 1, kBlock, 1, k.rowStride, beta: 0, scores, columns)
                prepareScores(scores, entry: entry, queries: queries, keys: keys)
                for r in 0..<rows {
                    let row = scores + r * columns
                    let newMaximum = Swift.max(maximum[r], largest(row, count: columns))
                    // A row with nothing attended so far keeps weights of 0 (not NaN).
                    let shift = newMaximum == -T.infinity ? 0 : newMaximum
                    // Causally masked entries (-inf) give weights of 0 without an exp.
                    let live = liveColumns(query: queries.lowerBound + r, keys: keys)
                    for c in 0..<live { row[c] -= shift }
                    T.exponentiate(row, count: live)
                    for c in live..<columns { row[c] = 0 }
                    let correction = maximum[r] == -T.infinity ? 0 : T.exponential(maximum[r] - shift)
                    total[r] = total[r] * correction + sum(row, count: columns)
                    maximum[r] = newMaximum
                    let outputRow = oBlock + r * valueWidth
                    if correction != 1 { for c in 0..<valueWidth { outputRow[c] *= correction } }
                }
                // O_block += P · V_block
                let vBlock = v.row(keys.lowerBound, of: entry, T.self)
                T.gemm(rows, valueWidth, columns, scores, columns, 1, vBlock, v.rowStride, 1, beta: 1, oBlock, valueWidth)
            }
            let lse = lseBase + entry * length + queries.lowerBound
            for r in 0..<rows {
                let outputRow = oBlock + r * valueWidth
                let inverse = 1 / total[r]
                for c in 0..<valueWidth { outputRow[c] *= inverse }
                lse[r] = maximum[r] + T.logarithm(total[r])
            }
        }
    }

    func backward<T: KernelFloat>(
        _: T.Type, _ g: StridedEntries, _ q: StridedEntries, _ k: StridedEntries, _ v: StridedEntries,
        _ o: StridedEntries, _ lse: NDArray, into gradients: (NDArray, NDArray, NDArray), batch: Int
    ) {
        let block = AttentionKernel.blockSize
        let lseBase = Self.pointer(lse, T.self)
        let (dqBase, dkBase, dvBase) = (Self.mutablePointer(gradients.0, T.self),
                                        Self.mutablePointer(gradients.1, T.self),
                                        Self.mutablePointer(gradients.2, T.self))
        let factor = T(scale)
        parallelFor(batch) { entry in
            // D_i = Σ_c dO[i, c]·O[i, c], the softmax backward's row term.
            let rowTerms = UnsafeMutablePointer<T>.allocate(capacity: length)
            let weights = UnsafeMutablePointer<T>.allocate(capacity: block * block)
            let weightGradients = UnsafeMutablePointer<T>.allocate(capacity: block * block)
            defer { rowTerms.deallocate(); weights.deallocate(); weightGradients.deallocate() }
            for i in 0..<length {
                rowTerms[i] = sum(g.row(i, of: entry, T.self), times: o.row(i, of: entry, T.self), count: valueWidth)
            }
            var keyStart = 0
            while keyStart < sourceLength {
                let keys = keyStart..<Swift.min(sourceLength, keyStart + block)
                keyStart += block
                let columns = keys.count
                let kBlock = k.row(keys.lowerBound, of: entry, T.self)
                let vBlock = v.row(keys.lowerBound, of: entry, T.self)
                let dkBlock = dkBase + (entry * sourceLength + keys.lowerBound) * width
                let dvBlock = dvBase + (entry * sourceLength + keys.lowerBound) * valueWidth
                var queryStart = 0
                while queryStart < length {
                    let queries = queryStart..<Swift.min(length, queryStart + block)
                    queryStart += block
                    if skipped(queries: queries, keys: keys) { continue }
                    let rows = queries.count
                    let offset = entry * length + queries.lowerBound
                    let qBlock = q.row(queries.lowerBound, of: entry, T.self)
                    let (gBlock, dqBlock) = (g.row(queries.lowerBound, of: entry, T.self), dqBase + offset * width)
                    // P = exp(scale·Q Kᵀ + mask - lse)
                    T.gemm(rows, columns, width, qBlock, q.rowStride, 1, kBlock, 1, k.rowStride, beta: 0, weights, columns)
                    prepareScores(weights, entry: entry, queries: queries, keys: keys)
                    for r in 0..<rows {
                        let (row, rowLSE) = (weights + r * columns, lseBase[offset + r])
                        let live = liveColumns(query: queries.lowerBound + r, keys: keys)
                        for c in 0..<live { row[c] -= rowLSE }
                        T.exponentiate(row, count: live)
                        for c in live..<columns { row[c] = 0 }
                    }
                    // dV_block += Pᵀ · dO_block
                    T.gemm(columns, valueWidth, rows, weights, 1, columns, gBlock, g.rowStride, 1, beta: 1, dvBlock, valueWidth)
                    // dP = dO_block · V_blockᵀ, then dS = P ∘ (dP - D) · scale
                    T.gemm(rows, columns, valueWidth, gBlock, g.rowStride, 1, vBlock, 1, v.rowStride, beta: 0,
                           weightGradients, columns)
                    for r in 0..<rows {
                        let (p, dp, d) = (weights + r * columns, weightGradients + r * columns, rowTerms[queries.lowerBound + r])
                        for c in 0..<columns { dp[c] = p[c] * (dp[c] - d) * factor }
                    }
                    // dQ_block += dS · K_block;  dK_block += dSᵀ · Q_block
                    T.gemm(rows, width, columns, weightGradients, columns, 1, kBlock, k.rowStride, 1, beta: 1, dqBlock, width)
                    T.gemm(columns, width, rows, weightGradients, 1, columns, qBlock, q.rowStride, 1, beta: 1, dkBlock, width)
                }
            }
        }
    }

    private static func pointer<T>(_ array: NDArray, _: T.Type) -> UnsafePointer<T> {
        UnsafePointer(array.rawPointer.assumingMemoryBound(to: T.self))
    }

    private static func mutablePointer<T>(_ array: NDArray, _: T.Type) -> UnsafeMutablePointer<T> {
        array.rawPointer.assumingMemoryBound(to: T.self)
    }
}

/// An attention operand read in place: `[entries, rows, columns]`, or `[outer, inner, rows,
/// columns]` with entry `o·inner + i`, through its strides, as long as each row is a
/// contiguous run; any other layout is copied to a contiguous one first.
struct StridedEntries {
    /// The array read (keeps its storage alive).
    let array: NDArray
    /// Entries, rows per entry and columns per row.
    let entries: Int, rows: Int, columns: Int
    /// The inner batch size and the element strides of both batch dimensions and of rows.
    let inner: Int, outerStride: Int, innerStride: Int, rowStride: Int

    init(_ array: NDArray) {
        let rank = array.rank
        precondition(rank == 3 || rank == 4, "attention operands are [entries, rows, columns] or [outer, inner, rows, columns]")
        let readable = array.shape[rank - 1] <= 1 || array.layout.strides[rank - 1] == 1
        let source = readable ? array : array.contiguous()
        let (shape, strides) = (source.shape, source.layout.strides)
        self.array = source
        (rows, columns, rowStride) = (shape[rank - 2], shape[rank - 1], strides[rank - 2])
        if rank == 4 {
            (inner, outerStride, innerStride) = (shape[1], strides[0], strides[1])
            entries = shape[0] * shape[1]
        } else {
            (inner, outerStride, innerStride) = (1, strides[0], 0)
            entries = shape[0]
        }
    }

    /// Row `row` of entry `entry`.
    func row<T>(_ row: Int, of entry: Int, _: T.Type) -> UnsafePointer<T> {
        let (outer, innerIndex) = entry.quotientAndRemainder(dividingBy: inner)
        let base = UnsafePointer(array.rawPointer.assumingMemoryBound(to: T.self))
        return base + outer * outerStride + innerIndex * innerStride + row * rowStride
    }
}
