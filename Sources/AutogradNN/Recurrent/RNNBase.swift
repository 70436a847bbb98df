import AutogradCore
import AutogradEngine

/// What ``RNN``, ``LSTM`` and ``GRU`` share, like `torch.nn.RNNBase`: the stack of layers,
/// their parameters under PyTorch's names and the forward pass over a sequence.
///
/// Each layer and direction has `weight_ih_l{k}` `[G·H, inputs]`, `weight_hh_l{k}`
/// `[G·H, H]` and, with `bias`, `bias_ih_l{k}` and `bias_hh_l{k}` `[G·H]` (`_reverse`
/// appended for the backward direction), `G` being 4 (LSTM gates i, f, g, o), 3 (GRU
/// r, z, n) or 1, all initialised uniform in `±1/√hiddenSize` as PyTorch does, so
/// ``Module/stateDict()`` moves both ways with PyTorch's `state_dict()`.
///
/// The forward pass multiplies every step's input by `weight_ih` in one matrix product
/// per layer and direction, then runs the recurrence in the fused kernel
/// (``AutogradEngine/Tensor/recurrentLayer(_:projectedInput:weightHH:biasIH:biasHH:hidden:cell:reverse:)``),
/// one `MkldnnRnnLayerBackward0` node per layer and direction on the graph.
public class RNNBase: Module {
    /// The cell every layer runs.
    public let mode: RecurrentKernel.Mode
    /// The size of each step's input.
    public let inputSize: Int
    /// The size of the hidden state (`H`).
    public let hiddenSize: Int
    /// The number of stacked layers.
    public let numLayers: Int
    /// Whether the layers have biases.
    public let bias: Bool
    /// Whether inputs and outputs are `[batch, sequence, features]` rather than
    /// `[sequence, batch, features]` (the states stay `[layers·directions, batch, H]`).
    public let batchFirst: Bool
    /// Dropout applied to each layer's output except the last's, while training.
    public let dropout: Double
    /// Whether each layer also runs the sequence backwards, its outputs concatenated.
    public let bidirectional: Bool
    /// Per layer and direction (`layer · directions + direction`), `[weight_ih, weight_hh]`
    /// followed, with bias, by `[bias_ih, bias_hh]`: PyTorch's `all_weights`.
    public let allWeights: [[Parameter]]
    /// Where dropout masks come from.
    private let generator: RandomGenerator

    /// The layers for `mode`, with PyTorch's arguments and initialisation.
    init(
        mode: RecurrentKernel.Mode, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool,
        dropout: Double, bidirectional: Bool, dtype: DType, generator: RandomGenerator
    ) {
        checkUsage(hiddenSize > 0, "hidden_size must be greater than zero")
        checkUsage(numLayers > 0, "num_layers must be greater than zero")
        checkUsage(inputSize >= 0, "input_size must be non-negative, got \(inputSize)")
        checkUsage(dtype.isFloatingPoint, "\(mode): parameters must have a floating dtype, got \(dtype.scalarTypeName)")
        checkUsage(dropout >= 0 && dropout <= 1,
                   "dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.generator = generator
        let directions = bidirectional ? 2 : 1
        let gates = mode.gateCount * hiddenSize
        let bound = 1 / Float(hiddenSize).squareRoot()
        func uniform(_ shape: [Int]) -> Parameter {
            Parameter(Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, generator: generator))
        }
        var weights: [[Parameter]] = []
        for layer in 0..<numLayers {
            let layerInput = layer == 0 ? inputSize : hiddenSize * directions
            for _ in 0..<directions {
                var group = [uniform([gates, layerInput]), uniform([gates, hiddenSize])]
                if bias { group += [uniform([gates]), uniform([gates])] }
                weights.append(group)
            }
        }
        allWeights = weights
    }

    /// `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_ih_l0_reverse`, ...,
    /// in PyTorch's order.
    public override func ownParameters() -> [(name: String, parameter: Parameter)] {
        let directions = bidirectional ? 2 : 1
        let kinds = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        return allWeights.enumerated().flatMap { index, group in
            let suffix = "_l\(index / directions)" + (index % directions == 1 ? "_reverse" : "")
            return group.enumerated().map { (kinds[$0.offset] + suffix, $0.element) }
        }
    }

    /// The parameter `weight_ih_l{layer}` (`reverse`: of the backward direction).
    public func weightIH(layer: Int, reverse: Bool = false) -> Parameter { group(layer, reverse)[0] }
    /// The parameter `weight_hh_l{layer}` (`reverse`: of the backward direction).
    public func weightHH(layer: Int, reverse: Bool = false) -> Parameter { group(layer, reverse)[1] }
    /// The parameter `bias_ih_l{layer}`, or nil without bias.
    public func biasIH(layer: Int, reverse: Bool = false) -> Parameter? { bias ? group(layer, reverse)[2] : nil }
    /// The parameter `bias_hh_l{layer}`, or nil without bias.
    public func biasHH(layer: Int, reverse: Bool = false) -> Parameter? { bias ? group(layer, reverse)[3] : nil }

    private func group(_ layer: Int, _ reverse: Bool) -> [Parameter] {
        checkUsage(layer >= 0 && layer < numLayers, "\(typeName): layer \(layer) is out of range for \(numLayers) layers")
        checkUsage(!reverse || bidirectional, "\(typeName): only a bidirectional layer has reverse weights")
        return allWeights[layer * (bidirectional ? 2 : 1) + (reverse ? 1 : 0)]
    }

    /// PyTorch's settings string, such as `64, 256, num_layers=2, batch_first=True`.
    public override var extraDescription: String {
        var parts = ["\(inputSize)", "\(hiddenSize)"]
        if numLayers != 1 { parts.append("num_layers=\(numLayers)") }
        if !bias { parts.append("bias=False") }
        if batchFirst { parts.append("batch_first=True") }
        if dropout != 0 { parts.append("dropout=\(formatPyTorchFloat(Float(dropout)))") }
        if bidirectional { parts.append("bidirectional=True") }
        return parts.joined(separator: ", ")
    }

    /// PyTorch's name for the layer in messages: `LSTM`, `GRU` or `RNN`.
    var kindName: String {
        switch mode {
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        case .rnnTanh, .rnnRelu: return "RNN"
        }
    }

    /// The forward pass: `input` is `[T, N, inputSize]` (`[N, T, inputSize]` with
    /// ``batchFirst``) or unbatched `[T, inputSize]`; `hidden` and `cell` (LSTM) are
    /// `[layers·directions, N, H]` (`[layers·directions, H]` unbatched), zeros when nil.
    /// Returns the last layer's output `[T, N, directions·H]` (laid out like the input) and
    /// the final states, shaped like the initial ones.
    func run(_ input: Tensor, hidden: Tensor?, cell: Tensor?) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
        checkUsage(input.rank == 2 || input.rank == 3, "\(kindName): Expected input to be 2D or 3D, got \(input.rank)D instead")
        let batched = input.rank == 3
        checkStates(hidden: hidden, cell: cell, batched: batched)
        var x = batched ? (batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1)
        checkUsage(x.shape[2] == inputSize,
                   "input.size(-1) must be equal to input_size. Expected \(inputSize), got \(x.shape[2])")
        let (steps, batch) = (x.shape[0], x.shape[1])
        checkUsage(steps > 0, "Expected sequence length to be larger than 0 in RNN")
        let directions = bidirectional ? 2 : 1
        let stateShape = [numLayers * directions, batch, hiddenSize]
        let shown = { (shape: [Int]) in "(\(shape.map(String.init).joined(separator: ", ")))" }
        func initial(_ state: Tensor?, _ label: String) -> Tensor {
            guard let state else { return Tensor.zeros(stateShape, dtype: input.dtype) }
            let batchedState = batched ? state : state.unsqueeze(1)
            checkUsage(batchedState.shape == stateShape, "Expected \(label) size \(shown(stateShape)), got \(batchedState.shape)")
            return batchedState
        }
        let isLSTM = mode == .lstm
        let h0 = initial(hidden, isLSTM ? "hidden[0]" : "hidden")
        let c0 = isLSTM ? initial(cell, "hidden[1]") : nil
        var finalHidden: [Tensor] = [], finalCell: [Tensor] = []
        for layer in 0..<numLayers {
            let width = x.shape[2]
            let flat = x.reshape([steps * batch, width])
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let index = layer * directions + direction
                let weights = allWeights[index]
                // Every step's x·W_ihᵀ in one product; the kernel adds the biases.
                let projected = flat.matmul(weights[0].mT).reshape([steps, batch, mode.gateCount * hiddenSize])
                let (output, hN, cN) = Tensor.recurrentLayer(
                    mode, projectedInput: projected, weightHH: weights[1], biasIH: bias ? weights[2] : nil,
                    biasHH: bias ? weights[3] : nil, hidden: h0.select(dim: 0, index: index),
                    cell: c0?.select(dim: 0, index: index), reverse: direction == 1)
                outputs.append(output)
                finalHidden.append(hN)
                if let cN { finalCell.append(cN) }
            }
            x = directions == 1 ? outputs[0] : cat(outputs, dim: 2)
            if dropout > 0 && isTraining && layer < numLayers - 1 {
                x = dropoutMask(x, p: dropout, generator: generator)
            }
        }
        let hN = stack(finalHidden, dim: 0), cN = isLSTM ? stack(finalCell, dim: 0) : nil
        guard batched else { return (x.squeeze(1), hN.squeeze(1), cN?.squeeze(1)) }
        return (batchFirst ? x.transpose(0, 1) : x, hN, cN)
    }

    /// PyTorch's checks that the initial states match the input's batching.
    private func checkStates(hidden: Tensor?, cell: Tensor?, batched: Bool) {
        let expected = batched ? 3 : 2
        let kind = batched ? "batched 3-D" : "unbatched 2-D"
        if mode == .lstm {
            guard hidden != nil || cell != nil else { return }
            checkUsage(hidden != nil && cell != nil, "LSTM: expected both hx and cx, or neither")
            checkUsage(hidden!.rank == expected && cell!.rank == expected,
                       "For \(kind) input, hx and cx should also be \(expected)-D but got (\(hidden!.rank)-D, \(cell!.rank)-D) tensors")
        } else if let hidden {
            checkUsage(hidden.rank == expected, "For \(kind) input, hx should also be \(expected)-D but got \(hidden.rank)-D tensor")
        }
    }
}
