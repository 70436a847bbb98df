import Foundation
import Testing
import Autograd

/// Misusing the recurrent layers and cells stops the program with PyTorch's message, in a
/// child process (see ``MisuseMessageTests``).
@Suite struct RecurrentMisuseMessageTests {
    static let cases: [Misuse] = [
        Misuse(name: "lstm-input-rank", message: "LSTM: Expected input to be 2D or 3D, got 4D instead"),
        Misuse(name: "lstm-input-size", message: "input.size(-1) must be equal to input_size. Expected 2, got 5"),
        Misuse(name: "lstm-hidden-size", message: "Expected hidden[0] size (1, 1, 3), got [1, 2, 3]"),
        Misuse(name: "lstm-cell-state-size", message: "Expected hidden[1] size (1, 1, 3), got [1, 1, 4]"),
        Misuse(name: "lstm-unbatched-state-rank",
               message: "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"),
        Misuse(name: "gru-batched-state-rank", message: "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
        Misuse(name: "rnn-hidden-size", message: "Expected hidden size (1, 4, 3), got [1, 2, 3]"),
        Misuse(name: "empty-sequence", message: "Expected sequence length to be larger than 0 in RNN"),
        Misuse(name: "hidden-size-zero", message: "hidden_size must be greater than zero"),
        Misuse(name: "num-layers-zero", message: "num_layers must be greater than zero"),
        Misuse(name: "dropout-range",
               message: "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"),
        Misuse(name: "cell-input-rank", message: "LSTMCell: Expected input to be 1D or 2D, got 3D instead"),
        Misuse(name: "cell-input-size", message: "input has inconsistent input_size: got 5 expected 2"),
        Misuse(name: "cell-batch", message: "Input batch size 4 doesn't match hidden1 batch size 5"),
        Misuse(name: "cell-hidden-size", message: "hidden0 has inconsistent hidden_size: got 4, expected 3"),
        Misuse(name: "cell-unbatched-hidden", message: "Expected 2D hidden0 (batch x hidden_size), but got 3D tensor"),
        Misuse(name: "layer-weight-shape",
               message: "recurrentLayer: a lstm layer with hidden size 3 needs weightHH of shape [12, 3], got [9, 3]"),
    ]

    @Test(arguments: cases)
    func misuseStopsWithPyTorchsMessage(_ misuse: Misuse) async {
        await expectStopsWithMessage(misuse, in: .recurrent)
    }

    /// Runs the misuse called `name`; each must stop the process.
    static func commit(_ name: String) {
        let lstm = LSTM(inputSize: 2, hiddenSize: 3)
        switch name {
        case "lstm-input-rank": _ = lstm(Tensor.zeros([2, 1, 2, 1]))
        case "lstm-input-size": _ = lstm(Tensor.zeros([2, 1, 5]))
        case "lstm-hidden-size": _ = lstm(Tensor.zeros([2, 1, 2]), (Tensor.zeros([1, 2, 3]), Tensor.zeros([1, 2, 3])))
        case "lstm-cell-state-size": _ = lstm(Tensor.zeros([2, 1, 2]), (Tensor.zeros([1, 1, 3]), Tensor.zeros([1, 1, 4])))
        case "lstm-unbatched-state-rank": _ = lstm(Tensor.zeros([2, 2]), (Tensor.zeros([1, 1, 3]), Tensor.zeros([1, 1, 3])))
        case "gru-batched-state-rank": _ = GRU(inputSize: 2, hiddenSize: 3)(Tensor.zeros([5, 2, 2]), Tensor.zeros([1, 3]))
        case "rnn-hidden-size": _ = RNN(inputSize: 2, hiddenSize: 3)(Tensor.zeros([5, 4, 2]), Tensor.zeros([1, 2, 3]))
        case "empty-sequence": _ = lstm(Tensor.zeros([0, 1, 2]))
        case "hidden-size-zero": _ = LSTM(inputSize: 2, hiddenSize: 0)
        case "num-layers-zero": _ = GRU(inputSize: 2, hiddenSize: 3, numLayers: 0)
        case "dropout-range": _ = LSTM(inputSize: 2, hiddenSize: 3, dropout: 1.5)
        case "cell-input-rank": _ = LSTMCell(inputSize: 2, hiddenSize: 3)(Tensor.zeros([4, 2, 1]))
        case "cell-input-size": _ = GRUCell(inputSize: 2, hiddenSize: 3)(Tensor.zeros([4, 5]), nil)
        case "cell-batch":
            _ = LSTMCell(inputSize: 2, hiddenSize: 3)(Tensor.zeros([4, 2]), (Tensor.zeros([4, 3]), Tensor.zeros([5, 3])))
        case "cell-hidden-size": _ = GRUCell(inputSize: 2, hiddenSize: 3)(Tensor.zeros([4, 2]), Tensor.zeros([4, 4]))
        case "cell-unbatched-hidden": _ = GRUCell(inputSize: 2, hiddenSize: 3)(Tensor.zeros([2]), Tensor.zeros([4, 3]))
        case "layer-weight-shape":
            _ = Tensor.recurrentLayer(.lstm, projectedInput: Tensor.zeros([2, 1, 12]), weightHH: Tensor.zeros([9, 3]),
                                      hidden: Tensor.zeros([1, 3]), cell: Tensor.zeros([1, 3]))
        default: Issue.record("unknown misuse \(name)")
        }
    }
}
