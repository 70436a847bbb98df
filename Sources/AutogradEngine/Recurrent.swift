import AutogradCore

extension Tensor {
    /// One recurrent layer (one direction) over a whole sequence, computed by the fused
    /// kernel (``RecurrentKernel``) and recorded as one node, `MkldnnRnnLayerBackward0`, as
    /// PyTorch's CPU LSTM records each layer and direction.
    ///
    /// - Parameters:
    ///   - mode: the cell: LSTM (gates i, f, g, o), GRU (r, z, n) or Elman RNN (tanh, ReLU).
    ///   - projectedInput: every step's input multiplied by the input weights, `x·W_ihᵀ`,
    ///     `[T, B, G·H]` with `G` = 4 (LSTM), 3 (GRU) or 1.
    ///   - weightHH: the recurrent weights `[G·H, H]` (PyTorch's `weight_hh_l*`).
    ///   - biasIH: the input bias `[G·H]` (`bias_ih_l*`), added to the projected input, or nil.
    ///   - biasHH: the recurrent bias `[G·H]` (`bias_hh_l*`), added to `h·W_hhᵀ` (which the
    ///     GRU's `n` gate scales by `r`), or nil.
    ///   - hidden: the initial hidden state `[B, H]`.
    ///   - cell: the LSTM's initial cell state `[B, H]` (LSTM only, required).
    ///   - reverse: run from the last step to the first (the backward direction of a
    ///     bidirectional layer); the output stays in time order.
    /// - Returns: the hidden state after every step `[T, B, H]`, the final hidden state
    ///   `[B, H]` (after step `T - 1`, or step 0 when `reverse`) and, for an LSTM, the final
    ///   cell state `[B, H]`.
    ///
    /// ```swift
    /// let projected = x.reshape([t * b, inputSize]).matmul(wIH.mT).reshape([t, b, 4 * h])
    /// let (output, hN, cN) = Tensor.recurrentLayer(.lstm, projectedInput: projected, weightHH: wHH,
    ///                                              biasIH: bIH, biasHH: bHH, hidden: h0, cell: c0)
    /// ```
    public static func recurrentLayer(
        _ mode: RecurrentKernel.Mode, projectedInput: Tensor, weightHH: Tensor, biasIH: Tensor? = nil,
        biasHH: Tensor? = nil, hidden: Tensor, cell: Tensor? = nil, reverse: Bool = false
    ) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
        checkUsage(projectedInput.rank == 3,
                   "recurrentLayer: expected the projected input [T, B, G·H] to be 3-D, got \(projectedInput.shape)")
        let steps = projectedInput.shape[0]
        checkUsage(steps > 0, "Expected sequence length to be larger than 0 in RNN")
        let packed = recordRecurrent(mode, projectedInput, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH,
                                     hidden: hidden, cell: cell, reverse: reverse, isCell: false)
        let finalHidden = packed.select(dim: 0, index: reverse ? 0 : steps - 1)
        guard mode == .lstm else { return (packed, finalHidden, nil) }
        return (packed.slice(dim: 0, start: 0, end: steps), finalHidden, packed.select(dim: 0, index: steps))
    }

    /// One LSTM step, fused, like PyTorch's `_thnn_fused_lstm_cell`: from the projected input
    /// `x·W_ihᵀ` (`[B, 4·H]`), the recurrent weights `[4·H, H]`, the biases `[4·H]` (or nil)
    /// and the state `(h, c)` (`[B, H]` each), returns `h' = σ(o)·tanh(c')` and
    /// `c' = σ(f)·c + σ(i)·tanh(g)` with gates `i, f, g, o` = `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`.
    /// Recorded as `ThnnFusedLstmCellBackward0`.
    public static func lstmCell(
        _ projectedInput: Tensor, weightHH: Tensor, biasIH: Tensor? = nil, biasHH: Tensor? = nil, hidden: Tensor,
        cell: Tensor
    ) -> (hidden: Tensor, cell: Tensor) {
        checkUsage(projectedInput.rank == 2, "lstmCell: expected the projected input [B, 4·H] to be 2-D, got \(projectedInput.shape)")
        let packed = recordRecurrent(.lstm, projectedInput, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH,
                                     hidden: hidden, cell: cell, reverse: false, isCell: true)
        return (packed.select(dim: 0, index: 0), packed.select(dim: 0, index: 1))
    }

    /// One GRU step, fused, like PyTorch's `_thnn_fused_gru_cell`: from the projected input
    /// `x·W_ihᵀ` (`[B, 3·H]`), the recurrent weights `[3·H, H]`, the biases `[3·H]` (or nil)
    /// and the state `h` (`[B, H]`), returns `h' = n + z·(h - n)` with
    /// `r, z = σ((x·W_ihᵀ + b_ih)_r,z + (h·W_hhᵀ + b_hh)_r,z)` and
    /// `n = tanh((x·W_ihᵀ + b_ih)_n + r·(h·W_hhᵀ + b_hh)_n)`. Recorded as
    /// `ThnnFusedGruCellBackward0`.
    public static func gruCell(
        _ projectedInput: Tensor, weightHH: Tensor, biasIH: Tensor? = nil, biasHH: Tensor? = nil, hidden: Tensor
    ) -> Tensor {
        checkUsage(projectedInput.rank == 2, "gruCell: expected the projected input [B, 3·H] to be 2-D, got \(projectedInput.shape)")
        let packed = recordRecurrent(.gru, projectedInput, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH,
                                     hidden: hidden, cell: nil, reverse: false, isCell: true)
        return packed.select(dim: 0, index: 0)
    }

    /// Checks the operands, runs the kernel and records the node. A 2-D `projected` input is
    /// one step. The result is the kernel's output: `[T, B, H]`, with the final cell state
    /// as one more row for an LSTM.
    private static func recordRecurrent(
        _ mode: RecurrentKernel.Mode, _ projected: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
        hidden: Tensor, cell: Tensor?, reverse: Bool, isCell: Bool
    ) -> Tensor {
        let name = isCell ? "\(mode)Cell" : "recurrentLayer"
        let batch = projected.shape[projected.rank - 2], width = projected.shape[projected.rank - 1]
        checkUsage(weightHH.rank == 2, "\(name): expected weightHH [G·H, H] to be 2-D, got \(weightHH.shape)")
        let size = weightHH.shape[1], gates = mode.gateCount * size
        checkUsage(weightHH.shape[0] == gates,
                   "\(name): a \(mode.rawValue) layer with hidden size \(size) needs weightHH of shape [\(gates), \(size)], got \(weightHH.shape)")
        checkUsage(width == gates,
                   "\(name): the projected input's last dimension must be \(gates) (\(mode.gateCount) gates × hidden size \(size)), got \(projected.shape)")
        checkUsage(hidden.shape == [batch, size], "\(name): expected the hidden state of shape \([batch, size]), got \(hidden.shape)")
        if mode == .lstm {
            checkUsage(cell?.shape == [batch, size],
                       "\(name): expected the cell state of shape \([batch, size]), got \(cell.map { "\($0.shape)" } ?? "none")")
        } else {
            checkUsage(cell == nil, "\(name): only an LSTM has a cell state")
        }
        for (label, bias) in [("biasIH", biasIH), ("biasHH", biasHH)] {
            guard let bias else { continue }
            checkUsage(bias.shape == [gates], "\(name): expected \(label) of shape [\(gates)], got \(bias.shape)")
        }
        let operands = [projected, weightHH, hidden] + [cell, biasIH, biasHH].compactMap { $0 }
        checkUsage(operands.allSatisfy { $0.dtype == projected.dtype },
                   "\(name): expected every operand to have dtype \(projected.dtype.scalarTypeName), got \(operands.map(\.dtype.scalarTypeName))")
        checkUsage(projected.dtype.isFloatingPoint, "\(name): expected floating-point operands, got \(projected.dtype.scalarTypeName)")
        let input = projected.rank == 3 ? projected.array
            : trapOnShapeError { () throws(ShapeError) in try projected.array.unsqueezed(dim: 0) }
        let (output, workspace) = RecurrentKernel.forward(
            mode, input: input, weight: weightHH.array, inputBias: biasIH?.array, hiddenBias: biasHH?.array,
            hidden: hidden.array, cell: cell?.array, reverse: reverse)
        let extras = SavedRecurrentInputs(cell: cell.map(SavedTensor.init), inputBias: biasIH.map(SavedTensor.init),
                                          hiddenBias: biasHH.map(SavedTensor.init))
        return Tensor.record(output, .recurrentLayer(mode, reverse: reverse, cell: isCell), inputs: operands,
                             auxiliary: .recurrent(workspace: workspace, extraInputs: extras))
    }
}

/// A recurrent layer's inputs after the projected input, the recurrent weights and the
/// initial hidden state, saved for backward where given (in this order after those three
/// among the node's inputs).
struct SavedRecurrentInputs {
    /// The LSTM's initial cell state.
    let cell: SavedTensor?
    /// The input bias `b_ih`.
    let inputBias: SavedTensor?
    /// The recurrent bias `b_hh`.
    let hiddenBias: SavedTensor?
}

extension Node {
    /// The gradients of a recurrent layer's inputs (projected input, recurrent weights,
    /// initial hidden state, then the LSTM's initial cell state and the biases where given).
    /// Outside a recorded backward pass the fused kernel runs the steps in reverse; when the
    /// backward pass is recorded (for higher derivatives) the same formulas run as tensor ops
    /// (``recordedRecurrentGradients(_:mode:reverse:input:weight:biasIH:biasHH:hidden:cell:)``).
    func recurrentLayerGradients(
        _ grad: Tensor, _ values: UnpackedSavedValues, mode: RecurrentKernel.Mode, reverse: Bool
    ) throws(AutogradError) -> [Tensor?] {
        guard case .recurrent(let workspace, let extras) = savedAuxiliary else { throw .savedValueMissing(node: name) }
        let (input, weight, hidden) = try (values.first(), values.second(), values.third())
        let cell = try extras.cell?.unpack(in: self)
        let biasIH = try extras.inputBias?.unpack(in: self), biasHH = try extras.hiddenBias?.unpack(in: self)
        // The edge of each input after the first three.
        var next = 3
        func edge(_ present: Bool) -> Int? {
            guard present else { return nil }
            defer { next += 1 }
            return next
        }
        let (cellEdge, inputBiasEdge, hiddenBiasEdge) = (edge(cell != nil), edge(biasIH != nil), edge(biasHH != nil))
        func needs(_ edge: Int?) -> Bool { edge.map { edges[$0].carriesGradient } ?? false }
        var gradients: (input: Tensor?, weight: Tensor?, hidden: Tensor?, cell: Tensor?, biasIH: Tensor?, biasHH: Tensor?)
        if GradMode.isEnabled {
            gradients = recordedRecurrentGradients(
                grad, mode: mode, reverse: reverse, input: input.rank == 3 ? input : input.unsqueeze(0), weight: weight,
                biasIH: biasIH, biasHH: biasHH, hidden: hidden, cell: cell)
        } else {
            let output = try values.result()
            let kernel = RecurrentKernel.backward(
                mode, grad: grad.array, weight: weight.array, hidden: hidden.array, cell: cell?.array, output: output.array,
                workspace: workspace, reverse: reverse,
                needs: .init(weight: edges[1].carriesGradient, inputBias: needs(inputBiasEdge),
                             hiddenBias: needs(hiddenBiasEdge)))
            let tensor = { (array: NDArray?) in array.map { Tensor($0) } }
            gradients = (tensor(kernel.input), tensor(kernel.weight), tensor(kernel.hidden), tensor(kernel.cell),
                         tensor(kernel.inputBias), tensor(kernel.hiddenBias))
        }
        var result: [Tensor?] = [input.rank == 2 ? gradients.input?.reshape(input.shape) : gradients.input,
                                 gradients.weight, gradients.hidden]
        if cellEdge != nil { result.append(gradients.cell) }
        if inputBiasEdge != nil { result.append(gradients.biasIH) }
        if hiddenBiasEdge != nil { result.append(gradients.biasHH) }
        return result.enumerated().map { edges[$0.offset].carriesGradient ? $0.element : nil }
    }


    /// The backward of a recurrent layer as tensor ops, so it is recorded and can be
    /// differentiated again: the forward steps are recomputed from the saved inputs, then
    /// walked in reverse. LSTM: `dc = dc' + dh·o·(1 - tanh²c')`, gate gradients
    /// `dc·g·i(1-i)`, `dc·c·f(1-f)`, `dc·i·(1-g²)`, `dh·tanh(c')·o(1-o)`, `dc ← dc·f`; GRU:
    /// `dn = dh·(1-z)(1-n²)`, `dz = dh·(h-n)·z(1-z)`, `dr = dn·(W_hn h + b_hn)·r(1-r)`,
    /// `dh ← dh·z + [dr, dz, dn·r]·W_hh`; RNN: `dpre = dh·(1 - h'²)` (tanh) or `dh·[h' > 0]`.
    /// Each step adds `dpreᵀ·h_{t-1}` to the weights' gradient and `dpre·W_hh` to
    /// `h_{t-1}`'s; the biases' gradients are the sums of `dpre` (and, for the GRU's `b_hh`,
    /// of `[dr, dz, dn·r]`) over steps and rows.
    private func recordedRecurrentGradients(
        _ grad: Tensor, mode: RecurrentKernel.Mode, reverse: Bool, input: Tensor, weight: Tensor, biasIH: Tensor?,
        biasHH: Tensor?, hidden: Tensor, cell: Tensor?
    ) -> (input: Tensor?, weight: Tensor?, hidden: Tensor?, cell: Tensor?, biasIH: Tensor?, biasHH: Tensor?) {
        let steps = input.shape[0], size = weight.shape[1]
        let order = reverse ? Array((0..<steps).reversed()) : Array(0..<steps)
        func block(_ t: Tensor, _ index: Int) -> Tensor { t.slice(dim: 1, start: index * size, end: (index + 1) * size) }
        func plus(_ a: Tensor, _ b: Tensor?) -> Tensor { b.map { a + $0 } ?? a }
        // Forward, recomputed: per step the previous state and the activations backward reads.
        struct Step { var hPrevious: Tensor, cPrevious: Tensor?, gates: [Tensor], cell: Tensor?, output: Tensor, hh: Tensor? }
        var records: [Int: Step] = [:]
        var h = hidden, c = cell
        for t in order {
            let x = plus(input.select(dim: 0, index: t), biasIH)
            let hh = plus(h.matmul(weight.mT), biasHH)
            switch mode {
            case .lstm:
                let pre = x + hh
                let (i, f, g, o) = (block(pre, 0).sigmoid(), block(pre, 1).sigmoid(), block(pre, 2).tanh(), block(pre, 3).sigmoid())
                let newCell = f * c! + i * g
                let newHidden = o * newCell.tanh()
                records[t] = Step(hPrevious: h, cPrevious: c, gates: [i, f, g, o], cell: newCell, output: newHidden, hh: nil)
                (h, c) = (newHidden, newCell)
            case .gru:
                let r = (block(x, 0) + block(hh, 0)).sigmoid(), z = (block(x, 1) + block(hh, 1)).sigmoid()
                let n = (block(x, 2) + r * block(hh, 2)).tanh()
                let newHidden = n + z * (h - n)
                records[t] = Step(hPrevious: h, cPrevious: nil, gates: [r, z, n], cell: nil, output: newHidden, hh: block(hh, 2))
                h = newHidden
            case .rnnTanh, .rnnRelu:
                let pre = x + hh
                let newHidden = mode == .rnnTanh ? pre.tanh() : pre.relu()
                records[t] = Step(hPrevious: h, cPrevious: nil, gates: [], cell: nil, output: newHidden, hh: nil)
                h = newHidden
            }
        }
        // Backward, step by step in reverse processing order.
        var dh: Tensor?, dc = mode == .lstm ? grad.select(dim: 0, index: steps) : nil
        var dWeight: Tensor?, dBiasIH: Tensor?, dBiasHH: Tensor?
        var dInputs = [Tensor?](repeating: nil, count: steps)
        func accumulate(_ total: inout Tensor?, _ term: Tensor) { total = total.map { $0 + term } ?? term }
        for t in order.reversed() {
            let step = records[t]!
            let outputGradient = grad.select(dim: 0, index: t)
            let total = dh.map { outputGradient + $0 } ?? outputGradient
            let dPre: Tensor, dRecurrent: Tensor
            switch mode {
            case .lstm:
                let (i, f, g, o) = (step.gates[0], step.gates[1], step.gates[2], step.gates[3])
                let tc = step.cell!.tanh()
                let dCell = dc! + total * o * (1 - tc * tc)
                dPre = cat([dCell * g * i * (1 - i), dCell * step.cPrevious! * f * (1 - f), dCell * i * (1 - g * g),
                            total * tc * o * (1 - o)], dim: 1)
                dc = dCell * f
                dRecurrent = dPre
                dh = dPre.matmul(weight)
            case .gru:
                let (r, z, n) = (step.gates[0], step.gates[1], step.gates[2])
                let dn = total * (1 - z) * (1 - n * n)
                let dz = total * (step.hPrevious - n) * z * (1 - z)
                let dr = dn * step.hh! * r * (1 - r)
                dPre = cat([dr, dz, dn], dim: 1)
                dRecurrent = cat([dr, dz, dn * r], dim: 1)
                dh = total * z + dRecurrent.matmul(weight)
            case .rnnTanh, .rnnRelu:
                let y = step.output
                dPre = mode == .rnnTanh ? total * (1 - y * y) : total.maskedFill(y .<= 0, 0)
                dRecurrent = dPre
                dh = dPre.matmul(weight)
            }
            accumulate(&dWeight, dRecurrent.mT.matmul(step.hPrevious))
            if biasIH != nil { accumulate(&dBiasIH, dPre.sum(dim: 0)) }
            if biasHH != nil { accumulate(&dBiasHH, dRecurrent.sum(dim: 0)) }
            dInputs[t] = dPre
        }
        return (stack(dInputs.map { $0! }, dim: 0), dWeight, dh, dc, dBiasIH, dBiasHH)
    }
}
