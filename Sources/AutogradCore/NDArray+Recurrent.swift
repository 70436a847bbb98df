import CAutogradKernels
import Foundation

/// One recurrent layer (one direction) over a whole sequence in one call, as oneDNN's RNN
/// primitive (PyTorch's `mkldnn_rnn_layer`) computes it: the caller projects the inputs of
/// every time step at once (`x·Wihᵀ + b`, one matrix product); each step then multiplies
/// the previous hidden state by the recurrent weights (a GEMM) and runs the cell's gate
/// nonlinearities and state update as one fused elementwise pass. Backward runs the steps in
/// reverse with the fused derivative pass and one GEMM per step, then forms the recurrent
/// weights' gradient with a single GEMM over all steps.
///
/// Shapes, with `T` steps, batch `B`, `H` hidden units and `G` gate blocks per unit
/// (``Mode/gateCount``):
/// - `input`: the projected inputs `x·W_ihᵀ` `[T, B, G·H]` (any strides);
/// - `weight`: the recurrent weights `[G·H, H]` (PyTorch's `weight_hh`);
/// - `inputBias`, `hiddenBias`: `b_ih` and `b_hh` `[G·H]`, or nil (added to the input
///   projection and to `h·W_hhᵀ`, which only the GRU's `n` gate tells apart);
/// - `hidden`, `cell`: the initial states `[B, H]` (`cell` for an LSTM only);
/// - the output: `[T, B, H]`, the hidden state after each step (in time order, also when
///   the layer runs `reverse`), and for an LSTM one more row `[B, H]` holding the final cell
///   state, so `[T + 1, B, H]`.
public enum RecurrentKernel {
    /// The cell a layer runs, with PyTorch's gate order.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// LSTM: gates i, f, g, o; `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
        case lstm
        /// GRU: gates r, z, n; `n = tanh(x_n + σ(r)·(W_hn h + b_hn))`, `h' = n + σ(z)·(h - n)`.
        case gru
        /// Elman RNN with tanh: `h' = tanh(x + W_hh h)`.
        case rnnTanh = "rnn_tanh"
        /// Elman RNN with ReLU: `h' = relu(x + W_hh h)`.
        case rnnRelu = "rnn_relu"

        /// Gate blocks per hidden unit: 4 (LSTM), 3 (GRU) or 1.
        public var gateCount: Int {
            switch self {
            case .lstm: return 4
            case .gru: return 3
            case .rnnTanh, .rnnRelu: return 1
            }
        }

        /// Values saved per hidden unit and step for backward: the four activated gates and
        /// the cell state (LSTM), r, z, n and `W_hn h + b_hn` (GRU), none for a plain RNN
        /// (its output is enough).
        var workspaceWidth: Int {
            switch self {
            case .lstm: return 5
            case .gru: return 4
            case .rnnTanh, .rnnRelu: return 0
            }
        }
    }

    /// The gradients of one layer's inputs (nil where not asked for).
    public struct Gradients {
        /// Of the projected inputs, `[T, B, G·H]`.
        public var input: NDArray?
        /// Of the recurrent weights, `[G·H, H]`.
        public var weight: NDArray?
        /// Of the input bias, `[G·H]`.
        public var inputBias: NDArray?
        /// Of the recurrent bias, `[G·H]`.
        public var hiddenBias: NDArray?
        /// Of the initial hidden state, `[B, H]`.
        public var hidden: NDArray?
        /// Of the LSTM's initial cell state, `[B, H]`.
        public var cell: NDArray?
    }

    /// Runs the layer over the sequence; returns the output (see ``RecurrentKernel``) and the
    /// workspace that ``backward(_:grad:weight:hidden:cell:output:workspace:reverse:needs:)``
    /// reads. All arrays share one floating dtype; two-byte floats compute in float32.
    public static func forward(
        _ mode: Mode, input: NDArray, weight: NDArray, inputBias: NDArray?, hiddenBias: NDArray?, hidden: NDArray,
        cell: NDArray?, reverse: Bool
    ) -> (output: NDArray, workspace: NDArray) {
        let dtype = input.dtype
        guard dtype == .float32 || dtype == .float64 else {
            let f = { (a: NDArray) in a.converted(to: .float32) }
            let (output, workspace) = forward(mode, input: f(input), weight: f(weight), inputBias: inputBias.map(f),
                                              hiddenBias: hiddenBias.map(f), hidden: f(hidden), cell: cell.map(f),
                                              reverse: reverse)
            return (output.converted(to: dtype), workspace)
        }
        let problem = RecurrentProblem(mode: mode, input: input, weight: weight, reverse: reverse)
        let output = NDArray(uninitialized: [problem.steps + (mode == .lstm ? 1 : 0), problem.batch, problem.hidden],
                             dtype: dtype)
        let workspace = NDArray(uninitialized: [problem.steps, problem.batch, mode.workspaceWidth * problem.hidden],
                                dtype: dtype)
        let rows = input.layout.strides[2] == 1 ? input : input.contiguous()
        // The LSTM and the RNN add both biases to the same sum, so they add them once.
        var folded = inputBias
        if mode != .gru, let inputBias, let hiddenBias {
            folded = trapOnShapeError { () throws(ShapeError) in try NDArray.zip(.add, inputBias, hiddenBias, name: "recurrentLayer") }
        } else if mode != .gru {
            folded = inputBias ?? hiddenBias
        }
        let operands = RecurrentOperands(
            input: rows, weight: weight.contiguous(), inputBias: folded?.contiguous(),
            hiddenBias: mode == .gru ? hiddenBias?.contiguous() : nil, hidden: hidden.contiguous(), cell: cell?.contiguous())
        if dtype == .float64 {
            problem.forward(Double.self, operands, output: output, workspace: workspace)
        } else {
            problem.forward(Float.self, operands, output: output, workspace: workspace)
        }
        return (output, workspace)
    }

    /// Which gradients beyond the projected inputs' and the initial states' (which the chain
    /// through the steps computes anyway) a backward pass should form.
    public struct Needs: Sendable {
        /// The recurrent weights'.
        public var weight: Bool
        /// The input bias's.
        public var inputBias: Bool
        /// The recurrent bias's.
        public var hiddenBias: Bool

        /// The gradients to form.
        public init(weight: Bool, inputBias: Bool, hiddenBias: Bool) {
            (self.weight, self.inputBias, self.hiddenBias) = (weight, inputBias, hiddenBias)
        }
    }

    /// The gradients of the layer's inputs given `grad`, the gradient of its output (shape
    /// of the output), from the forward's operands, `output` and `workspace`. The gradient
    /// of the projected inputs and of the initial states is always computed (the chain
    /// through the steps needs it); the weight's and biases' as `needs` says.
    public static func backward(
        _ mode: Mode, grad: NDArray, weight: NDArray, hidden: NDArray, cell: NDArray?, output: NDArray,
        workspace: NDArray, reverse: Bool, needs: Needs
    ) -> Gradients {
        let dtype = output.dtype
        guard dtype == .float32 || dtype == .float64 else {
            let f = { (a: NDArray) in a.converted(to: .float32) }
            let result = backward(mode, grad: f(grad), weight: f(weight), hidden: f(hidden), cell: cell.map(f),
                                  output: f(output), workspace: workspace, reverse: reverse, needs: needs)
            let back = { (a: NDArray?) in a?.converted(to: dtype) }
            return Gradients(input: back(result.input), weight: back(result.weight), inputBias: back(result.inputBias),
                             hiddenBias: back(result.hiddenBias), hidden: back(result.hidden), cell: back(result.cell))
        }
        let steps = workspace.shape[0]
        let (batch, hiddenSize) = (output.shape[1], output.shape[2])
        let problem = RecurrentProblem(mode: mode, steps: steps, batch: batch, hidden: hiddenSize, reverse: reverse)
        let states = RecurrentStates(output: output.contiguous(), workspace: workspace, weight: weight.contiguous(),
                                     hidden: hidden.contiguous(), cell: cell?.contiguous())
        let g = grad.converted(to: dtype).contiguous()
        if dtype == .float64 { return problem.backward(Double.self, g, states, needs: needs) }
        return problem.backward(Float.self, g, states, needs: needs)
    }
}

/// The arrays one layer call reads, laid out for the kernels: `input` has unit stride along
/// its last dimension, the others are contiguous. The LSTM and the RNN have their two
/// biases summed in `inputBias`.
private struct RecurrentOperands {
    let input: NDArray
    let weight: NDArray
    let inputBias: NDArray?
    let hiddenBias: NDArray?
    let hidden: NDArray
    let cell: NDArray?
}

/// What one layer's backward reads: the forward's output and workspace and the operands
/// it needs again, contiguous.
private struct RecurrentStates {
    let output: NDArray
    let workspace: NDArray
    let weight: NDArray
    let hidden: NDArray
    let cell: NDArray?
}

/// The sizes of one layer call, shared by its forward and backward.
private struct RecurrentProblem {
    let mode: RecurrentKernel.Mode
    let steps: Int, batch: Int, hidden: Int
    let reverse: Bool

    init(mode: RecurrentKernel.Mode, steps: Int, batch: Int, hidden: Int, reverse: Bool) {
        self.mode = mode
        self.steps = steps
        self.batch = batch
        self.hidden = hidden
        self.reverse = reverse
    }

    init(mode: RecurrentKernel.Mode, input: NDArray, weight: NDArray, reverse: Bool) {
        self.init(mode: mode, steps: input.shape[0], batch: input.shape[1], hidden: weight.shape[1], reverse: reverse)
    }

    /// Gate values per row: G·H.
    var gateWidth: Int { mode.gateCount * hidden }

    /// The time index of processing step `s`.
    func time(_ s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// The time index whose hidden state step `s` starts from (nil for the initial state).
    func previousTime(_ s: Int) -> Int? { s == 0 ? nil : (reverse ? steps - s : s - 1) }

    /// The rows of the batch each thread runs through the whole sequence: batch rows are
    /// independent in a recurrence (forward and backward alike), so splitting the batch
    /// needs one join per call instead of one per step. Small problems stay on the caller;
    /// a slice keeps at least one micro-kernel tile of rows.
    func batchSlices() -> [Range<Int>] {
        let threads = Kernels.threadCount
        let parts = threads > 1 && batch * gateWidth * hidden >= 1 << 17 ? Swift.min(threads, Swift.max(batch / 6, 1)) : 1
        return (0..<parts).map { part in (batch * part / parts)..<(batch * (part + 1) / parts) }
    }

    func forward<T: RecurrentElement>(
        _: T.Type, _ operands: RecurrentOperands, output: NDArray, workspace: NDArray
    ) {
        // Whhᵀ [H, G·H], the right operand of every step's product, shared by the slices.
        let recurrent = T.reusableRightOperand(k: hidden, n: gateWidth, pointer(operands.weight, T.self), rowStride: 1,
                                               columnStride: hidden)
        let slices = batchSlices()
        parallelFor(slices.count) { part in
            forward(T.self, rows: slices[part], operands, recurrent, output: output, workspace: workspace)
        }
        if mode == .lstm && steps > 0 {
            // The final cell state after the last row of hidden states.
            let (g, h, n, workWidth) = (gateWidth, hidden, batch, mode.workspaceWidth * hidden)
            let last = time(steps - 1)
            let (source, destination) = (mutablePointer(workspace, T.self) + last * n * workWidth + g,
                                         mutablePointer(output, T.self) + steps * n * h)
            for b in 0..<n { (destination + b * h).update(from: source + b * workWidth, count: h) }
        }
    }

    /// The forward pass of batch rows `rows` through every step.
    private func forward<T: RecurrentElement>(
        _: T.Type, rows: Range<Int>, _ operands: RecurrentOperands, _ recurrent: RightOperand<T>, output: NDArray,
        workspace: NDArray
    ) {
        let (g, h, n, m, b0) = (gateWidth, hidden, batch, rows.count, rows.lowerBound)
        guard m > 0 else { return }
        let workWidth = mode.workspaceWidth * h
        let (xStepStride, xRowStride) = (operands.input.layout.strides[0], operands.input.layout.strides[1])
        let x = pointer(operands.input, T.self) + b0 * xRowStride
        let h0 = pointer(operands.hidden, T.self) + b0 * h
        let inputBias = operands.inputBias.map { pointer($0, T.self) }
        // Row b0 of step t in the output and the workspace.
        let out = mutablePointer(output, T.self) + b0 * h, work = mutablePointer(workspace, T.self) + b0 * workWidth
        // h·Whhᵀ for the GRU, whose n gate needs it apart from the input projection.
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(mode == .gru ? m * g : 0, 1))
        defer { scratch.deallocate() }
        for s in 0..<steps {
            let t = time(s), previous = previousTime(s)
            let hPrevious = previous.map { UnsafePointer(out + $0 * n * h) } ?? h0
            let xt = x + t * xStepStride, outT = out + t * n * h, workT = work + t * n * workWidth
            switch mode {
            case .lstm:
                // gates = h_{t-1}·Whhᵀ (the step kernel adds the input projection)
                recurrent.multiply(m: m, hPrevious, rowStride: h, columnStride: 1, beta: 0, workT, ldc: workWidth)
                let (cPrevious, cStride) = previous.map { (UnsafePointer(work + $0 * n * workWidth + g), workWidth) }
                    ?? (pointer(operands.cell!, T.self) + b0 * h, h)
                T.lstmForwardStep(batch: m, hidden: h, x: xt, xRowStride: xRowStride, bias: inputBias, gates: workT,
                                  gatesRowStride: workWidth,
                                  cPrevious: cPrevious, cPreviousRowStride: cStride, c: workT + g, cRowStride: workWidth,
                                  h: outT, hRowStride: h)
            case .gru:
                recurrent.multiply(m: m, hPrevious, rowStride: h, columnStride: 1, beta: 0, scratch, ldc: g)
                T.gruForwardStep(batch: m, hidden: h, x: xt, xRowStride: xRowStride, inputBias: inputBias, hh: scratch,
                                 bias: operands.hiddenBias.map { pointer($0, T.self) }, hPrevious: hPrevious,
                                 hPreviousRowStride: h, work: workT, workRowStride: workWidth, h: outT, hRowStride: h)
            case .rnnTanh, .rnnRelu:
                recurrent.multiply(m: m, hPrevious, rowStride: h, columnStride: 1, beta: 0, outT, ldc: h)
                let relu = mode == .rnnRelu
                for b in 0..<m {
                    let (row, xRow) = (outT + b * h, xt + b * xRowStride)
                    for j in 0..<h {
                        let pre = row[j] + xRow[j] + (inputBias?[j] ?? 0)
                        row[j] = relu ? Swift.max(pre, 0) : T.hyperbolicTangent(pre)
                    }
                }
            }
        }
    }

    func backward<T: RecurrentElement>(
        _: T.Type, _ grad: NDArray, _ states: RecurrentStates, needs: RecurrentKernel.Needs
    ) -> RecurrentKernel.Gradients {
        let dtype = states.output.dtype
        let (g, h, n) = (gateWidth, hidden, batch)
        let gradInput = NDArray(uninitialized: [steps, n, g], dtype: dtype)
        // The GRU's gradient of h·Whhᵀ + b_hh differs from its input projection's in the n gate.
        let gradHH = mode == .gru ? NDArray(uninitialized: [steps, n, g], dtype: dtype) : gradInput
        let gradHidden = NDArray(zeros: [n, h], dtype: dtype)
        let gradCell = mode == .lstm ? NDArray(uninitialized: [n, h], dtype: dtype) : nil
        if let gradCell { mutablePointer(gradCell, T.self).update(from: pointer(grad, T.self) + steps * n * h, count: n * h) }
        // Whh [G·H, H], the right operand of every step's dPre·Whh, shared by the slices.
        let recurrent = T.reusableRightOperand(k: g, n: h, pointer(states.weight, T.self), rowStride: h, columnStride: 1)
        let slices = batchSlices()
        // Each slice sums its rows of the biases' gradients (Σ dPre for b_ih, and for a GRU
        // Σ d(h·Whhᵀ + b_hh) for b_hh; the other cells' two biases share one sum) while
        // they are in cache; the slices' sums are added after.
        let sumsInput = needs.inputBias || (needs.hiddenBias && mode != .gru)
        let sumsHidden = needs.hiddenBias && mode == .gru
        let biasSums = NDArray(zeros: [slices.count, 2, g], dtype: dtype)
        parallelFor(slices.count) { part in
            let sums = mutablePointer(biasSums, T.self) + part * 2 * g
            backward(T.self, rows: slices[part], grad, states, recurrent, into: (gradInput, gradHH, gradHidden, gradCell),
                     biasSums: (sumsInput ? sums : nil, sumsHidden ? sums + g : nil))
        }
        var result = RecurrentKernel.Gradients(input: gradInput, hidden: gradHidden, cell: gradCell)
        if needs.weight {
            result.weight = weightGradient(T.self, pointer(gradHH, T.self), out: pointer(states.output, T.self),
                                           h0: pointer(states.hidden, T.self))
        }
        func total(_ which: Int) -> NDArray {
            let sum = NDArray(zeros: [g], dtype: dtype)
            let (destination, source) = (mutablePointer(sum, T.self), pointer(biasSums, T.self) + which * g)
            for part in 0..<slices.count {
                for j in 0..<g { destination[j] += source[part * 2 * g + j] }
            }
            return sum
        }
        if needs.inputBias { result.inputBias = total(0) }
        if needs.hiddenBias { result.hiddenBias = mode == .gru ? total(1) : result.inputBias ?? total(0) }
        return result
    }

    /// The backward pass of batch rows `rows` through every step, in reverse, writing those
    /// rows of the gradients.
    private func backward<T: RecurrentElement>(
        _: T.Type, rows: Range<Int>, _ grad: NDArray, _ states: RecurrentStates, _ recurrent: RightOperand<T>,
        into gradients: (input: NDArray, hh: NDArray, hidden: NDArray, cell: NDArray?),
        biasSums: (input: UnsafeMutablePointer<T>?, hidden: UnsafeMutablePointer<T>?)
    ) {
        let (g, h, n, m, b0) = (gateWidth, hidden, batch, rows.count, rows.lowerBound)
        guard m > 0 else { return }
        let workWidth = mode.workspaceWidth * h
        let (dx, dhh) = (mutablePointer(gradients.input, T.self) + b0 * g, mutablePointer(gradients.hh, T.self) + b0 * g)
        let dh = mutablePointer(gradients.hidden, T.self) + b0 * h
        let dc = gradients.cell.map { mutablePointer($0, T.self) + b0 * h }
        let gr = pointer(grad, T.self) + b0 * h, out = pointer(states.output, T.self) + b0 * h
        let work = pointer(states.workspace, T.self) + b0 * workWidth
        let h0 = pointer(states.hidden, T.self) + b0 * h
        for s in (0..<steps).reversed() {
            let t = time(s), previous = previousTime(s)
            let hPrevious = previous.map { out + $0 * n * h } ?? h0
            let (grT, workT, dxT, dhhT) = (gr + t * n * h, work + t * n * workWidth, dx + t * n * g, dhh + t * n * g)
            switch mode {
            case .lstm:
                let (cPrevious, cStride) = previous.map { (work + $0 * n * workWidth + g, workWidth) }
                    ?? (pointer(states.cell!, T.self) + b0 * h, h)
                T.lstmBackwardStep(batch: m, hidden: h, gates: workT, gatesRowStride: workWidth, cPrevious: cPrevious,
                                   cPreviousRowStride: cStride, c: workT + g, cRowStride: workWidth, gradH: grT,
                                   gradHRowStride: h, dhNext: dh, dc: dc!, dGates: dxT, dGatesRowStride: g)
                recurrent.multiply(m: m, dxT, rowStride: g, columnStride: 1, beta: 0, dh, ldc: h)
            case .gru:
                T.gruBackwardStep(batch: m, hidden: h, work: workT, workRowStride: workWidth, hPrevious: hPrevious,
                                  hPreviousRowStride: h, gradH: grT, gradHRowStride: h, dh: dh, dx: dxT, dxRowStride: g,
                                  dhh: dhhT, dhhRowStride: g)
                recurrent.multiply(m: m, dhhT, rowStride: g, columnStride: 1, beta: 1, dh, ldc: h)
            case .rnnTanh, .rnnRelu:
                let outT = out + t * n * h
                let relu = mode == .rnnRelu
                for b in 0..<m {
                    for j in 0..<h {
                        let i = b * h + j
                        let d = grT[i] + dh[i], y = outT[i]
                        dxT[b * g + j] = relu ? (y > 0 ? d : 0) : d * (1 - y * y)
                    }
                }
                recurrent.multiply(m: m, dxT, rowStride: g, columnStride: 1, beta: 0, dh, ldc: h)
            }
            if let sum = biasSums.input { addRows(T.self, dxT, count: m, into: sum) }
            if let sum = biasSums.hidden { addRows(T.self, dhhT, count: m, into: sum) }
        }
    }

    /// Adds `count` rows of `gateWidth` values into `sum`.
    private func addRows<T: RecurrentElement>(
        _: T.Type, _ rows: UnsafePointer<T>, count: Int, into sum: UnsafeMutablePointer<T>
    ) {
        let width = gateWidth
        for r in 0..<count {
            let row = rows + r * width
            for j in 0..<width { sum[j] += row[j] }
        }
    }

    /// dWhh = Σ_t dPreᵀ[t]·h_{t-1}: one GEMM over the steps whose previous state is an output
    /// row, plus the step that starts from the initial state.
    private func weightGradient<T: RecurrentElement>(
        _: T.Type, _ dPre: UnsafePointer<T>, out: UnsafePointer<T>, h0: UnsafePointer<T>
    ) -> NDArray {
        let (g, h, n) = (gateWidth, hidden, batch)
        let result = NDArray(zeros: [g, h], dtype: T.self == Double.self ? .float64 : .float32)
        let dw = mutablePointer(result, T.self)
        guard steps > 0, n > 0 else { return result }
        // Forward: steps 1..<T start from outputs 0..<T-1; reverse: steps 0..<T-1 from outputs 1..<T.
        let (firstChained, firstSource, initialStep) = reverse ? (0, 1, steps - 1) : (1, 0, 0)
        let chainedRows = (steps - 1) * n
        // (dPre rows)ᵀ [g, rows] · (h rows) [rows, h]
        T.gemm(g, h, chainedRows, dPre + firstChained * n * g, 1, g, out + firstSource * n * h, h, 1, beta: 0, dw, h)
        T.gemm(g, h, n, dPre + initialStep * n * g, 1, g, h0, h, 1, beta: 1, dw, h)
        return result
    }

    private func pointer<T>(_ array: NDArray, _: T.Type) -> UnsafePointer<T> {
        UnsafePointer(array.rawPointer.assumingMemoryBound(to: T.self))
    }

    private func mutablePointer<T>(_ array: NDArray, _: T.Type) -> UnsafeMutablePointer<T> {
        array.rawPointer.assumingMemoryBound(to: T.self)
    }
}

/// A right operand `B` (`k x n`) that many products `C = A·B + beta·C` share: the step
/// products of a recurrent layer, all with the same weights. In float32 it is packed once
/// for the GEMM's micro-kernel (``Float/reusableRightOperand(k:n:_:rowStride:columnStride:)``);
/// otherwise each product reads it through its strides.
final class RightOperand<T: KernelFloat> {
    private let k: Int, n: Int
    private let b: UnsafePointer<T>, rowStride: Int, columnStride: Int
    /// The packed copy, when there is one (float32).
    private let packed: UnsafeMutablePointer<Float>?

    init(k: Int, n: Int, _ b: UnsafePointer<T>, rowStride: Int, columnStride: Int, packed: Bool) {
        (self.k, self.n, self.b, self.rowStride, self.columnStride) = (k, n, b, rowStride, columnStride)
        guard packed, T.self == Float.self else {
            self.packed = nil
            return
        }
        // The micro-kernel loads B slivers with aligned vector loads.
        let count = Int(ag_sgemm_packed_b_size(Int64(k), Int64(n)))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        b.withMemoryRebound(to: Float.self, capacity: 1) {
            ag_sgemm_pack_b(Int64(k), Int64(n), $0, Int64(rowStride), Int64(columnStride), buffer)
        }
        self.packed = buffer
    }

    deinit { packed?.deallocate() }

    /// `C = A·B + beta·C` for `A` (`m x k`) read through its strides, `C` with row stride `ldc`.
    func multiply(
        m: Int, _ a: UnsafePointer<T>, rowStride rowStrideA: Int, columnStride columnStrideA: Int, beta: T,
        _ c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        guard let packed else {
            return T.gemm(m, n, k, a, rowStrideA, columnStrideA, b, rowStride, columnStride, beta: beta, c, ldc)
        }
        a.withMemoryRebound(to: Float.self, capacity: 1) { a in
            c.withMemoryRebound(to: Float.self, capacity: 1) { c in
                ag_sgemm_packed_b(Int64(m), Int64(n), Int64(k), a, Int64(rowStrideA), Int64(columnStrideA), packed,
                                  Float(beta), c, Int64(ldc))
            }
        }
    }
}

/// An element type the recurrent kernels run in: its GEMM (``KernelFloat``) and the fused
/// elementwise pass of each cell's step. The generic versions here are the reference (and
/// the float64 path); float32 runs the vectorised C kernels.
protocol RecurrentElement: KernelFloat {
    /// The right operand `b` (`k x n`, read through strides) of many products.
    static func reusableRightOperand(k: Int, n: Int, _ b: UnsafePointer<Self>, rowStride: Int, columnStride: Int)
        -> RightOperand<Self>
    /// See `ag_lstm_forward_step`.
    static func lstmForwardStep(
        batch: Int, hidden: Int, x: UnsafePointer<Self>, xRowStride: Int, bias: UnsafePointer<Self>?,
        gates: UnsafeMutablePointer<Self>,
        gatesRowStride: Int, cPrevious: UnsafePointer<Self>, cPreviousRowStride: Int, c: UnsafeMutablePointer<Self>,
        cRowStride: Int, h: UnsafeMutablePointer<Self>, hRowStride: Int)
    /// See `ag_lstm_backward_step`.
    static func lstmBackwardStep(
        batch: Int, hidden: Int, gates: UnsafePointer<Self>, gatesRowStride: Int, cPrevious: UnsafePointer<Self>,
        cPreviousRowStride: Int, c: UnsafePointer<Self>, cRowStride: Int, gradH: UnsafePointer<Self>, gradHRowStride: Int,
        dhNext: UnsafePointer<Self>, dc: UnsafeMutablePointer<Self>, dGates: UnsafeMutablePointer<Self>, dGatesRowStride: Int)
    /// See `ag_gru_forward_step`.
    static func gruForwardStep(
        batch: Int, hidden: Int, x: UnsafePointer<Self>, xRowStride: Int, inputBias: UnsafePointer<Self>?,
        hh: UnsafePointer<Self>,
        bias: UnsafePointer<Self>?, hPrevious: UnsafePointer<Self>, hPreviousRowStride: Int,
        work: UnsafeMutablePointer<Self>, workRowStride: Int, h: UnsafeMutablePointer<Self>, hRowStride: Int)
    /// See `ag_gru_backward_step`.
    static func gruBackwardStep(
        batch: Int, hidden: Int, work: UnsafePointer<Self>, workRowStride: Int, hPrevious: UnsafePointer<Self>,
        hPreviousRowStride: Int, gradH: UnsafePointer<Self>, gradHRowStride: Int, dh: UnsafeMutablePointer<Self>,
        dx: UnsafeMutablePointer<Self>, dxRowStride: Int, dhh: UnsafeMutablePointer<Self>, dhhRowStride: Int)
}

extension RecurrentElement {
    static func reusableRightOperand(k: Int, n: Int, _ b: UnsafePointer<Self>, rowStride: Int, columnStride: Int)
        -> RightOperand<Self> {
        RightOperand(k: k, n: n, b, rowStride: rowStride, columnStride: columnStride, packed: false)
    }

    private static func sigmoid(_ x: Self) -> Self { 1 / (1 + exponential(-x)) }

    static func lstmForwardStep(
        batch: Int, hidden: Int, x: UnsafePointer<Self>, xRowStride: Int, bias: UnsafePointer<Self>?,
        gates: UnsafeMutablePointer<Self>, gatesRowStride: Int, cPrevious: UnsafePointer<Self>, cPreviousRowStride: Int,
        c: UnsafeMutablePointer<Self>, cRowStride: Int, h: UnsafeMutablePointer<Self>, hRowStride: Int
    ) {
        for b in 0..<batch {
            let (xr, g, cp) = (x + b * xRowStride, gates + b * gatesRowStride, cPrevious + b * cPreviousRowStride)
            let (cr, hr) = (c + b * cRowStride, h + b * hRowStride)
            for j in 0..<hidden {
                func pre(_ block: Int) -> Self {
                    g[block * hidden + j] + xr[block * hidden + j] + (bias?[block * hidden + j] ?? 0)
                }
                let i = sigmoid(pre(0)), f = sigmoid(pre(1)), n = hyperbolicTangent(pre(2)), o = sigmoid(pre(3))
                let cell = f * cp[j] + i * n
                (g[j], g[hidden + j], g[2 * hidden + j], g[3 * hidden + j]) = (i, f, n, o)
                cr[j] = cell
                hr[j] = o * hyperbolicTangent(cell)
            }
        }
    }

    static func lstmBackwardStep(
        batch: Int, hidden: Int, gates: UnsafePointer<Self>, gatesRowStride: Int, cPrevious: UnsafePointer<Self>,
        cPreviousRowStride: Int, c: UnsafePointer<Self>, cRowStride: Int, gradH: UnsafePointer<Self>, gradHRowStride: Int,
        dhNext: UnsafePointer<Self>, dc: UnsafeMutablePointer<Self>, dGates: UnsafeMutablePointer<Self>, dGatesRowStride: Int
    ) {
        for b in 0..<batch {
            let (g, cp, cr) = (gates + b * gatesRowStride, cPrevious + b * cPreviousRowStride, c + b * cRowStride)
            let (gh, dn, dcr, dg) = (gradH + b * gradHRowStride, dhNext + b * hidden, dc + b * hidden,
                                     dGates + b * dGatesRowStride)
            for j in 0..<hidden {
                let (i, f, n, o) = (g[j], g[hidden + j], g[2 * hidden + j], g[3 * hidden + j])
                let tc = hyperbolicTangent(cr[j])
                let dh = gh[j] + dn[j]
                let dcell = dcr[j] + dh * o * (1 - tc * tc)
                dcr[j] = dcell * f
                dg[j] = dcell * n * i * (1 - i)
                dg[hidden + j] = dcell * cp[j] * f * (1 - f)
                dg[2 * hidden + j] = dcell * i * (1 - n * n)
                dg[3 * hidden + j] = dh * tc * o * (1 - o)
            }
        }
    }

    static func gruForwardStep(
        batch: Int, hidden: Int, x: UnsafePointer<Self>, xRowStride: Int, inputBias: UnsafePointer<Self>?,
        hh: UnsafePointer<Self>, bias: UnsafePointer<Self>?, hPrevious: UnsafePointer<Self>, hPreviousRowStride: Int,
        work: UnsafeMutablePointer<Self>, workRowStride: Int, h: UnsafeMutablePointer<Self>, hRowStride: Int
    ) {
        for b in 0..<batch {
            let (xr, hhr, hp) = (x + b * xRowStride, hh + b * 3 * hidden, hPrevious + b * hPreviousRowStride)
            let (w, hr) = (work + b * workRowStride, h + b * hRowStride)
            for j in 0..<hidden {
                func input(_ block: Int) -> Self { xr[block * hidden + j] + (inputBias?[block * hidden + j] ?? 0) }
                func recurrent(_ block: Int) -> Self { hhr[block * hidden + j] + (bias?[block * hidden + j] ?? 0) }
                let hn = recurrent(2)
                let r = sigmoid(input(0) + recurrent(0))
                let z = sigmoid(input(1) + recurrent(1))
                let n = hyperbolicTangent(input(2) + r * hn)
                (w[j], w[hidden + j], w[2 * hidden + j], w[3 * hidden + j]) = (r, z, n, hn)
                hr[j] = n + z * (hp[j] - n)
            }
        }
    }

    static func gruBackwardStep(
        batch: Int, hidden: Int, work: UnsafePointer<Self>, workRowStride: Int, hPrevious: UnsafePointer<Self>,
        hPreviousRowStride: Int, gradH: UnsafePointer<Self>, gradHRowStride: Int, dh: UnsafeMutablePointer<Self>,
        dx: UnsafeMutablePointer<Self>, dxRowStride: Int, dhh: UnsafeMutablePointer<Self>, dhhRowStride: Int
    ) {
        for b in 0..<batch {
            let (w, hp, gh) = (work + b * workRowStride, hPrevious + b * hPreviousRowStride, gradH + b * gradHRowStride)
            let (d, dxr, dhr) = (dh + b * hidden, dx + b * dxRowStride, dhh + b * dhhRowStride)
            for j in 0..<hidden {
                let (r, z, n, hn) = (w[j], w[hidden + j], w[2 * hidden + j], w[3 * hidden + j])
                let g = gh[j] + d[j]
                let dnPre = g * (1 - z) * (1 - n * n)
                let dzPre = g * (hp[j] - n) * z * (1 - z)
                let drPre = dnPre * hn * r * (1 - r)
                (dxr[j], dxr[hidden + j], dxr[2 * hidden + j]) = (drPre, dzPre, dnPre)
                (dhr[j], dhr[hidden + j], dhr[2 * hidden + j]) = (drPre, dzPre, dnPre * r)
                d[j] = g * z
            }
        }
    }
}

extension Double: RecurrentElement {}

extension Float: RecurrentElement {
    /// Packed once for the GEMM's micro-kernel.
    static func reusableRightOperand(k: Int, n: Int, _ b: UnsafePointer<Float>, rowStride: Int, columnStride: Int)
        -> RightOperand<Float> {
        RightOperand(k: k, n: n, b, rowStride: rowStride, columnStride: columnStride, packed: true)
    }

    static func lstmForwardStep(
        batch: Int, hidden: Int, x: UnsafePointer<Float>, xRowStride: Int, bias: UnsafePointer<Float>?,
        gates: UnsafeMutablePointer<Float>, gatesRowStride: Int, cPrevious: UnsafePointer<Float>, cPreviousRowStride: Int,
        c: UnsafeMutablePointer<Float>, cRowStride: Int, h: UnsafeMutablePointer<Float>, hRowStride: Int
    ) {
        ag_lstm_forward_step(Int64(batch), Int64(hidden), x, Int64(xRowStride), bias, gates, Int64(gatesRowStride),
                             cPrevious, Int64(cPreviousRowStride), c, Int64(cRowStride), h, Int64(hRowStride))
    }

    static func lstmBackwardStep(
        batch: Int, hidden: Int, gates: UnsafePointer<Float>, gatesRowStride: Int, cPrevious: UnsafePointer<Float>,
        cPreviousRowStride: Int, c: UnsafePointer<Float>, cRowStride: Int, gradH: UnsafePointer<Float>, gradHRowStride: Int,
        dhNext: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>, dGatesRowStride: Int
    ) {
        ag_lstm_backward_step(Int64(batch), Int64(hidden), gates, Int64(gatesRowStride), cPrevious,
                              Int64(cPreviousRowStride), c, Int64(cRowStride), gradH, Int64(gradHRowStride), dhNext, dc,
                              dGates, Int64(dGatesRowStride))
    }

    static func gruForwardStep(
        batch: Int, hidden: Int, x: UnsafePointer<Float>, xRowStride: Int, inputBias: UnsafePointer<Float>?,
        hh: UnsafePointer<Float>, bias: UnsafePointer<Float>?, hPrevious: UnsafePointer<Float>, hPreviousRowStride: Int,
        work: UnsafeMutablePointer<Float>, workRowStride: Int, h: UnsafeMutablePointer<Float>, hRowStride: Int
    ) {
        ag_gru_forward_step(Int64(batch), Int64(hidden), x, Int64(xRowStride), inputBias, hh, bias, hPrevious,
                            Int64(hPreviousRowStride), work, Int64(workRowStride), h, Int64(hRowStride))
    }

    static func gruBackwardStep(
        batch: Int, hidden: Int, work: UnsafePointer<Float>, workRowStride: Int, hPrevious: UnsafePointer<Float>,
        hPreviousRowStride: Int, gradH: UnsafePointer<Float>, gradHRowStride: Int, dh: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>, dxRowStride: Int, dhh: UnsafeMutablePointer<Float>, dhhRowStride: Int
    ) {
        ag_gru_backward_step(Int64(batch), Int64(hidden), work, Int64(workRowStride), hPrevious,
                             Int64(hPreviousRowStride), gradH, Int64(gradHRowStride), dh, dx, Int64(dxRowStride), dhh,
                             Int64(dhhRowStride))
    }
}
