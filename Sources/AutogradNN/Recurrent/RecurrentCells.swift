import AutogradCore
import AutogradEngine

/// What ``RNNCell``, ``LSTMCell`` and ``GRUCell`` share, like `torch.nn.RNNCellBase`: one
/// step's parameters under PyTorch's names, `weight_ih` `[G·H, inputSize]`, `weight_hh`
/// `[G·H, H]`, `bias_ih` and `bias_hh` `[G·H]`, initialised uniform in `±1/√hiddenSize`.
public class RNNCellBase: Module {
    /// The input weights, `[G·hiddenSize, inputSize]`.
    public var weightIH: Parameter
    /// The recurrent weights, `[G·hiddenSize, hiddenSize]`.
    public var weightHH: Parameter
    /// The input bias, `[G·hiddenSize]`, or nil without bias.
    public var biasIH: Parameter?
    /// The recurrent bias, `[G·hiddenSize]`, or nil without bias.
    public var biasHH: Parameter?
    /// The size of the input.
    public let inputSize: Int
    /// The size of the hidden state.
    public let hiddenSize: Int
    /// Whether the cell has biases.
    public let bias: Bool

    init(inputSize: Int, hiddenSize: Int, bias: Bool, gates: Int, dtype: DType, generator: RandomGenerator) {
        checkUsage(dtype.isFloatingPoint, "parameters must have a floating dtype, got \(dtype.scalarTypeName)")
        checkUsage(hiddenSize > 0, "hidden_size must be greater than zero")
        checkUsage(inputSize >= 0, "input_size must be non-negative, got \(inputSize)")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.bias = bias
        let bound = 1 / Float(hiddenSize).squareRoot()
        func uniform(_ shape: [Int]) -> Parameter {
            Parameter(Tensor.uniform(shape, low: -bound, high: bound, dtype: dtype, generator: generator))
        }
        weightIH = uniform([gates * hiddenSize, inputSize])
        weightHH = uniform([gates * hiddenSize, hiddenSize])
        biasIH = bias ? uniform([gates * hiddenSize]) : nil
        biasHH = bias ? uniform([gates * hiddenSize]) : nil
    }

    /// PyTorch's settings string, such as `10, 20, bias=False`.
    public override var extraDescription: String { "\(inputSize), \(hiddenSize)" + (bias ? "" : ", bias=False") }

    /// The input as a batch `[N, inputSize]` (a 1-D input is one row), after PyTorch's checks.
    func batchedInput(_ input: Tensor) -> Tensor {
        checkUsage(input.rank == 1 || input.rank == 2, "\(typeName): Expected input to be 1D or 2D, got \(input.rank)D instead")
        checkUsage(input.shape.last == inputSize,
                   "input has inconsistent input_size: got \(input.shape.last ?? 0) expected \(inputSize)")
        return input.rank == 1 ? input.unsqueeze(0) : input
    }

    /// The state `[N, hiddenSize]` for a batch of `batch` rows (zeros when nil), after
    /// PyTorch's checks; `index` names it in messages (`hidden0`, `hidden1`).
    func batchedState(_ state: Tensor?, batch: Int, unbatched: Bool, dtype: DType, index: Int) -> Tensor {
        guard let state else { return Tensor.zeros([batch, hiddenSize], dtype: dtype) }
        checkUsage(state.rank == 1 || state.rank == 2, "\(typeName): Expected hidden to be 1D or 2D, got \(state.rank)D instead")
        checkUsage(state.rank == (unbatched ? 1 : 2),
                   "Expected 2D hidden\(index) (batch x hidden_size), but got \(state.rank + (unbatched ? 1 : 0))D tensor")
        let rows = unbatched ? state.unsqueeze(0) : state
        checkUsage(rows.shape[0] == batch, "Input batch size \(batch) doesn't match hidden\(index) batch size \(rows.shape[0])")
        checkUsage(rows.shape[1] == hiddenSize,
                   "hidden\(index) has inconsistent hidden_size: got \(rows.shape[1]), expected \(hiddenSize)")
        return rows
    }

    /// `x·W_ihᵀ`.
    func projected(_ x: Tensor) -> Tensor { x.matmul(weightIH.mT) }
}

/// One LSTM step, like `torch.nn.LSTMCell`: gates i, f, g, o from
/// `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`, then `c' = σ(f)·c + σ(i)·tanh(g)` and
/// `h' = σ(o)·tanh(c')`, computed by the fused kernel (`ThnnFusedLstmCellBackward0` on the
/// graph; PyTorch's CPU cell composes small ops instead).
///
/// ```swift
/// let cell = LSTMCell(inputSize: 10, hiddenSize: 20)
/// var state = (h: Tensor.zeros([3, 20]), c: Tensor.zeros([3, 20]))
/// for x in steps { state = cell(x, state) }          // x: [3, 10]
/// ```
public final class LSTMCell: RNNCellBase {
    /// A cell with PyTorch's initialisation, its parameters of `dtype`.
    public init(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32, generator: RandomGenerator = .default
    ) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, gates: 4, dtype: dtype, generator: generator)
    }

    /// One step from `state` `(h, c)` (`[N, hiddenSize]` each, or 1-D for a 1-D input;
    /// zeros when nil); returns the new `(h, c)`.
    public func callAsFunction(_ input: Tensor, _ state: (h: Tensor, c: Tensor)? = nil) -> (h: Tensor, c: Tensor) {
        callWithHooks(input) { step($0, state) }
    }

    /// The new hidden state alone, from a zero state.
    public override func forward(_ input: Tensor) -> Tensor { step(input, nil).h }

    private func step(_ input: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
        let x = batchedInput(input)
        let unbatched = input.rank == 1
        let h = batchedState(state?.h, batch: x.shape[0], unbatched: unbatched, dtype: x.dtype, index: 0)
        let c = batchedState(state?.c, batch: x.shape[0], unbatched: unbatched, dtype: x.dtype, index: 1)
        let (newHidden, newCell) = Tensor.lstmCell(projected(x), weightHH: weightHH, biasIH: biasIH, biasHH: biasHH,
                                                   hidden: h, cell: c)
        return unbatched ? (newHidden.squeeze(0), newCell.squeeze(0)) : (newHidden, newCell)
    }
}

/// One GRU step, like `torch.nn.GRUCell`: `r = σ(W_ir x + b_ir + W_hr h + b_hr)`,
/// `z = σ(W_iz x + b_iz + W_hz h + b_hz)`, `n = tanh(W_in x + b_in + r·(W_hn h + b_hn))`,
/// `h' = (1 - z)·n + z·h`, computed by the fused kernel (`ThnnFusedGruCellBackward0`).
///
/// ```swift
/// let cell = GRUCell(inputSize: 10, hiddenSize: 20)
/// let h1 = cell(x, h0)          // x: [3, 10], h0: [3, 20]
/// ```
public final class GRUCell: RNNCellBase {
    /// A cell with PyTorch's initialisation, its parameters of `dtype`.
    public init(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32, generator: RandomGenerator = .default
    ) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, gates: 3, dtype: dtype, generator: generator)
    }

    /// One step from `hidden` (`[N, hiddenSize]`, or 1-D for a 1-D input; zeros when nil);
    /// returns the new hidden state.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor?) -> Tensor {
        callWithHooks(input) { (step($0, hidden), ()) }.0
    }

    /// The new hidden state from a zero state.
    public override func forward(_ input: Tensor) -> Tensor { step(input, nil) }

    private func step(_ input: Tensor, _ hidden: Tensor?) -> Tensor {
        let x = batchedInput(input)
        let h = batchedState(hidden, batch: x.shape[0], unbatched: input.rank == 1, dtype: x.dtype, index: 0)
        let next = Tensor.gruCell(projected(x), weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, hidden: h)
        return input.rank == 1 ? next.squeeze(0) : next
    }
}

/// One Elman step, like `torch.nn.RNNCell`: `h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)`
/// (or ReLU), composed of ordinary ops as PyTorch's cell is (`TanhBackward0` on the graph).
public final class RNNCell: RNNCellBase {
    /// The activation.
    public let nonlinearity: RNN.Nonlinearity

    /// A cell with PyTorch's initialisation, its parameters of `dtype`.
    public init(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: RNN.Nonlinearity = .tanh,
        dtype: DType = .float32, generator: RandomGenerator = .default
    ) {
        self.nonlinearity = nonlinearity
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, gates: 1, dtype: dtype, generator: generator)
    }

    /// One step from `hidden` (zeros when nil); returns the new hidden state.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor?) -> Tensor {
        callWithHooks(input) { (step($0, hidden), ()) }.0
    }

    /// The new hidden state from a zero state.
    public override func forward(_ input: Tensor) -> Tensor { step(input, nil) }

    private func step(_ input: Tensor, _ hidden: Tensor?) -> Tensor {
        let x = batchedInput(input)
        let h = batchedState(hidden, batch: x.shape[0], unbatched: input.rank == 1, dtype: x.dtype, index: 0)
        // PyTorch's rnn_tanh_cell: linear(x, W_ih, b_ih) + linear(h, W_hh, b_hh).
        var fromInput = projected(x), recurrent = h.matmul(weightHH.mT)
        if let biasIH { fromInput = fromInput + biasIH }
        if let biasHH { recurrent = recurrent + biasHH }
        let pre = fromInput + recurrent
        let next = nonlinearity == .relu ? pre.relu() : pre.tanh()
        return input.rank == 1 ? next.squeeze(0) : next
    }

    /// PyTorch's settings string, with the nonlinearity when it is not tanh.
    public override var extraDescription: String {
        super.extraDescription + (nonlinearity == .tanh ? "" : ", nonlinearity=\(nonlinearity.rawValue)")
    }
}
