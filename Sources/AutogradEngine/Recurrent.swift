import AutogradCore

extension Tensor {
    /// One recurrent layer (one direction) over a whole sequence, computed by the fused
    /// kernel (``RecurrentKernel``) and recorded as one node, `MkldnnRnnLayerBackward0`, as
    /// PyTorch's CPU LSTM records each layer and direction.
    ///
    /// - Parameters:
    ///   - mode: the cell: LSTM (gates i, f, g, o), GRU (r, z, n) or Elman RNN (tanh, ReLU).
    ///   - projectedInput: every step's input already multiplied by the input weights and
    ///     biased, `x·W_ihᵀ + b_ih (+ b_hh)`, `[T, B, G·H]` with `G` = 4 (LSTM), 3 (GRU) or 1.
    ///     For a GRU it holds `b_ih` only: `b_hh` goes in `biasHH`, since the `n` gate scales
    ///     its part by `r`. The LSTM and RNN take `b_ih + b_hh` here.
    ///   - weightHH: the recurrent weights `[G·H, H]` (PyTorch's `weight_hh_l*`).
    ///   - biasHH: the GRU's recurrent bias `[3·H]`, or nil for none (GRU only).
    ///   - hidden: the initial hidden state `[B, H]`.
    ///   - cell: the LSTM's initial cell state `[B, H]` (LSTM only, required).
    ///   - reverse: run from the last step to the first (the backward direction of a
    ///     bidirectional layer); the output stays in time order.
    /// - Returns: the hidden state after every step `[T, B, H]`, the final hidden state
    ///   `[B, H]` (after step `T - 1`, or step 0 when `reverse`) and, for an LSTM, the final
    ///   cell state `[B, H]`.
    ///
    /// ```swift
    /// let gates = x.reshape([t * b, inputSize]).matmul(wIH.mT).reshape([t, b, 4 * h]) + (bIH + bHH)
    /// let (output, hN, cN) = Tensor.recurrentLayer(.lstm, projectedInput: gates, weightHH: wHH,
    ///                                              hidden: h0, cell: c0)
    /// ```
    public static func recurrentLayer(
        _ mode: RecurrentKernel.Mode, projectedInput: Tensor, weightHH: Tensor, biasHH: Tensor? = nil, hidden: Tensor,
        cell: Tensor? = nil, reverse: Bool = false
    ) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
        checkUsage(projectedInput.rank == 3,
                   "recurrentLayer: expected the projected input [T, B, G·H] to be 3-D, got \(projectedInput.shape)")
        let steps = projectedInput.shape[0]
        checkUsage(steps > 0, "Expected sequence length to be larger than 0 in RNN")
        let packed = recordRecurrent(mode, projectedInput, weightHH: weightHH, biasHH: biasHH, hidden: hidden,
                                     cell: cell, reverse: reverse, isCell: false)
        let finalHidden = packed.select(dim: 0, index: reverse ? 0 : steps - 1)
        guard mode == .lstm else { return (packed, finalHidden, nil) }
        return (packed.slice(dim: 0, start: 0, end: steps), finalHidden, packed.select(dim: 0, index: steps))
    }

    /// One LSTM step, fused, like PyTorch's `_thnn_fused_lstm_cell`: from the projected input
    /// `x·W_ihᵀ + b_ih + b_hh` (`[B, 4·H]`), the recurrent weights `[4·H, H]` and the state
    /// `(h, c)` (`[B, H]` each), returns `h' = σ(o)·tanh(c')` and `c' = σ(f)·c + σ(i)·tanh(g)`
    /// with gates `i, f, g, o` = the projected input + `h·W_hhᵀ`. Recorded as
    /// `ThnnFusedLstmCellBackward0`.
    public static func lstmCell(
        _ projectedInput: Tensor, weightHH: Tensor, hidden: Tensor, cell: Tensor
    ) -> (hidden: Tensor, cell: Tensor) {
        checkUsage(projectedInput.rank == 2, "lstmCell: expected the projected input [B, 4·H] to be 2-D, got \(projectedInput.shape)")
        let packed = recordRecurrent(.lstm, projectedInput, weightHH: weightHH, biasHH: nil, hidden: hidden, cell: cell,
                                     reverse: false, isCell: true)
        return (packed.select(dim: 0, index: 0), packed.select(dim: 0, index: 1))
    }

    /// One GRU step, fused, like PyTorch's `_thnn_fused_gru_cell`: from the projected input
    /// `x·W_ihᵀ + b_ih` (`[B, 3·H]`), the recurrent weights `[3·H, H]`, their bias `[3·H]` (or
    /// nil) and the state `h` (`[B, H]`), returns `h' = n + z·(h - n)` with
    /// `r, z = σ(x_r,z + (h·W_hhᵀ + b_hh)_r,z)` and `n = tanh(x_n + r·(h·W_hhᵀ + b_hh)_n)`.
    /// Recorded as `ThnnFusedGruCellBackward0`.
    public static func gruCell(_ projectedInput: Tensor, weightHH: Tensor, biasHH: Tensor?, hidden: Tensor) -> Tensor {
        checkUsage(projectedInput.rank == 2, "gruCell: expected the projected input [B, 3·H] to be 2-D, got \(projectedInput.shape)")
        let packed = recordRecurrent(.gru, projectedInput, weightHH: weightHH, biasHH: biasHH, hidden: hidden, cell: nil,
                                     reverse: false, isCell: true)
        return packed.select(dim: 0, index: 0)
    }

    /// Checks the operands, runs the kernel and records the node. A 2-D `projected` input is
    /// one step. The result is the kernel's output: `[T, B, H]`, with the final cell state
    /// as one more row for an LSTM.
    private static func recordRecurrent(
        _ mode: RecurrentKernel.Mode, _ projected: Tensor, weightHH: Tensor, biasHH: Tensor?, hidden: Tensor,
        cell: Tensor?, reverse: Bool, isCell: Bool
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
        if let biasHH {
            checkUsage(mode == .gru, "\(name): biasHH is the GRU's; fold the other cells' recurrent bias into the projected input")
            checkUsage(biasHH.shape == [gates], "\(name): expected biasHH of shape [\(gates)], got \(biasHH.shape)")
        }
        let operands = [projected, weightHH, hidden] + [cell ?? biasHH].compactMap { $0 }
        checkUsage(operands.allSatisfy { $0.dtype == projected.dtype },
                   "\(name): expected every operand to have dtype \(projected.dtype.scalarTypeName), got \(operands.map(\.dtype.scalarTypeName))")
        checkUsage(projected.dtype.isFloatingPoint, "\(name): expected floating-point operands, got \(projected.dtype.scalarTypeName)")
        let input = projected.rank == 3 ? projected.array
            : trapOnShapeError { () throws(ShapeError) in try projected.array.unsqueezed(dim: 0) }
        let (output, workspace) = RecurrentKernel.forward(
            mode, input: input, weight: weightHH.array, bias: biasHH?.array, hidden: hidden.array, cell: cell?.array,
            reverse: reverse)
        let fourth = (cell ?? biasHH).map(SavedTensor.init)
        return Tensor.record(output, .recurrentLayer(mode, reverse: reverse, cell: isCell), inputs: operands,
                             auxiliary: .recurrent(workspace: workspace, fourthInput: fourth))
    }
}

extension Node {
    /// The gradients of a recurrent layer's inputs (projected input, recurrent weights,
    /// initial hidden state, and the LSTM's initial cell state or the GRU's recurrent bias).
    /// Outside a recorded backward pass the fused kernel runs the steps in reverse; when the
    /// backward pass is recorded (for higher derivatives) the same formulas run as tensor ops
    /// (``recordedRecurrentGradients(_:mode:reverse:input:weight:hidden:fourth:)``).
    func recurrentLayerGradients(
        _ grad: Tensor, _ values: UnpackedSavedValues, mode: RecurrentKernel.Mode, reverse: Bool
    ) throws(AutogradError) -> [Tensor?] {
        guard case .recurrent(let workspace, let savedFourth) = saved.auxiliary else { throw .savedValueMissing(node: name) }
        let (input, weight, hidden) = try (values.first(), values.second(), values.third())
        let fourth = try savedFourth?.unpack(in: self)
        let stepInput = input.rank == 3 ? input : input.unsqueeze(0)
        var gradients: [Tensor?]
        if GradMode.isEnabled {
            gradients = recordedRecurrentGradients(grad, mode: mode, reverse: reverse, input: stepInput, weight: weight,
                                                   hidden: hidden, fourth: fourth)
        } else {
            let output = try values.result()
            let kernel = RecurrentKernel.backward(
                mode, grad: grad.array, weight: weight.array, hidden: hidden.array, cell: mode == .lstm ? fourth?.array : nil,
                output: output.array, workspace: workspace, reverse: reverse, needsWeight: edges[1].carriesGradient,
                needsBias: mode == .gru && edges.count > 3 && edges[3].carriesGradient)
            gradients = [kernel.input.map { Tensor($0) }, kernel.weight.map { Tensor($0) }, kernel.hidden.map { Tensor($0) }]
            if edges.count > 3 { gradients.append((mode == .lstm ? kernel.cell : kernel.bias).map { Tensor($0) }) }
        }
        if input.rank == 2 { gradients[0] = gradients[0]?.reshape(input.shape) }
        return gradients.enumerated().map { edges[$0.offset].carriesGradient ? $0.element : nil }
    }

    /// The backward of a recurrent layer as tensor ops, so it is recorded and can be
    /// differentiated again: the forward steps are recomputed from the saved inputs, then
    /// walked in reverse. LSTM: `dc = dc' + dh·o·(1 - tanh²c')`, gate gradients
    /// `dc·g·i(1-i)`, `dc·c·f(1-f)`, `dc·i·(1-g²)`, `dh·tanh(c')·o(1-o)`, `dc ← dc·f`; GRU:
    /// `dn = dh·(1-z)(1-n²)`, `dz = dh·(h-n)·z(1-z)`, `dr = dn·(W_hn h + b_hn)·r(1-r)`,
    /// `dh ← dh·z + [dr, dz, dn·r]·W_hh`; RNN: `dpre = dh·(1 - h'²)` (tanh) or `dh·[h' > 0]`.
    /// Each step adds `dpreᵀ·h_{t-1}` to the weights' gradient and `dpre·W_hh` to
    /// `h_{t-1}`'s.
    private func recordedRecurrentGradients(
        _ grad: Tensor, mode: RecurrentKernel.Mode, reverse: Bool, input: Tensor, weight: Tensor, hidden: Tensor,
        fourth: Tensor?
    ) -> [Tensor?] {
        let steps = input.shape[0], size = weight.shape[1]
        let order = reverse ? Array((0..<steps).reversed()) : Array(0..<steps)
        func block(_ t: Tensor, _ index: Int) -> Tensor { t.slice(dim: 1, start: index * size, end: (index + 1) * size) }
        // Forward, recomputed: per step the previous state and the activations backward reads.
        struct Step { var hPrevious: Tensor, cPrevious: Tensor?, gates: [Tensor], cell: Tensor?, output: Tensor, hh: Tensor? }
        var records: [Int: Step] = [:]
        var h = hidden, c = mode == .lstm ? fourth : nil
        for t in order {
            let x = input.select(dim: 0, index: t)
            switch mode {
            case .lstm:
                let pre = x + h.matmul(weight.mT)
                let (i, f, g, o) = (block(pre, 0).sigmoid(), block(pre, 1).sigmoid(), block(pre, 2).tanh(), block(pre, 3).sigmoid())
                let newCell = f * c! + i * g
                let newHidden = o * newCell.tanh()
                records[t] = Step(hPrevious: h, cPrevious: c, gates: [i, f, g, o], cell: newCell, output: newHidden, hh: nil)
                (h, c) = (newHidden, newCell)
            case .gru:
                var hh = h.matmul(weight.mT)
                if let fourth { hh = hh + fourth }
                let r = (block(x, 0) + block(hh, 0)).sigmoid(), z = (block(x, 1) + block(hh, 1)).sigmoid()
                let n = (block(x, 2) + r * block(hh, 2)).tanh()
                let newHidden = n + z * (h - n)
                records[t] = Step(hPrevious: h, cPrevious: nil, gates: [r, z, n], cell: nil, output: newHidden, hh: block(hh, 2))
                h = newHidden
            case .rnnTanh, .rnnRelu:
                let pre = x + h.matmul(weight.mT)
                let newHidden = mode == .rnnTanh ? pre.tanh() : pre.relu()
                records[t] = Step(hPrevious: h, cPrevious: nil, gates: [], cell: nil, output: newHidden, hh: nil)
                h = newHidden
            }
        }
        // Backward, step by step in reverse processing order.
        var dh: Tensor?, dc = mode == .lstm ? grad.select(dim: 0, index: steps) : nil
        var dWeight: Tensor?, dBias: Tensor?
        var dInputs = [Tensor?](repeating: nil, count: steps)
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
                if fourth != nil {
                    let summed = dRecurrent.sum(dim: 0)
                    dBias = dBias.map { $0 + summed } ?? summed
                }
            case .rnnTanh, .rnnRelu:
                let y = step.output
                dPre = mode == .rnnTanh ? total * (1 - y * y) : total.maskedFill(y .<= 0, 0)
                dRecurrent = dPre
                dh = dPre.matmul(weight)
            }
            let product = dRecurrent.mT.matmul(step.hPrevious)
            dWeight = dWeight.map { $0 + product } ?? product
            dInputs[t] = dPre
        }
        var result: [Tensor?] = [stack(dInputs.map { $0! }, dim: 0), dWeight, dh]
        if fourth != nil { result.append(mode == .lstm ? dc : dBias) }
        return result
    }
}
