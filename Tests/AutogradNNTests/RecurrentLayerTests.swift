import Foundation
import XCTest
import Autograd

/// The recurrent layers' Swift surface (the call forms, states, dropout, graph node names)
/// and properties that hold whatever the weights: a sequence run in two halves with the
/// state carried over equals the whole run, and so on. Values against PyTorch are in
/// ``RecurrentFixtureTests``.
final class RecurrentLayerTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64) -> Tensor {
        Tensor.randn(shape, generator: RandomGenerator(seed: seed))
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, accuracy: Float = 1e-6, _ message: String = "",
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
        for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: accuracy, message, file: file, line: line) }
    }

    func testCallForms() {
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2)
        let x = random([5, 2, 3], seed: 1)
        let (output, (h, c)) = lstm(x)
        XCTAssertEqual(output.shape, [5, 2, 4])
        XCTAssertEqual(h.shape, [2, 2, 4])
        XCTAssertEqual(c.shape, [2, 2, 4])
        let alone: Tensor = lstm(x)        // Module's call: forward(_:), the output only
        assertClose(alone, output)
        let continued = lstm(x, (h, c))
        XCTAssertEqual(continued.state.h.shape, [2, 2, 4])
        XCTAssertEqual(lstm(x).output.shape, [5, 2, 4])

        let gru = GRU(inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true)
        let (gruOutput, gruHidden) = gru(random([2, 5, 3], seed: 2))
        XCTAssertEqual(gruOutput.shape, [2, 5, 8])
        XCTAssertEqual(gruHidden.shape, [2, 2, 4])

        let rnn = RNN(inputSize: 3, hiddenSize: 4, nonlinearity: .relu)
        let (rnnOutput, rnnHidden) = rnn(random([5, 3], seed: 3))     // unbatched
        XCTAssertEqual(rnnOutput.shape, [5, 4])
        XCTAssertEqual(rnnHidden.shape, [1, 4])
        XCTAssertEqual(rnn.nonlinearity, .relu)

        let cell = LSTMCell(inputSize: 3, hiddenSize: 4)
        let (h1, c1) = cell(random([2, 3], seed: 4))
        let (h2, _) = cell(random([2, 3], seed: 5), (h1, c1))
        XCTAssertEqual(h2.shape, [2, 4])
        let gruCell = GRUCell(inputSize: 3, hiddenSize: 4)
        XCTAssertEqual(gruCell(random([3], seed: 6), nil).shape, [4])
        XCTAssertEqual(gruCell(random([2, 3], seed: 6)).shape, [2, 4])
    }

    /// Module hooks run once per call, in the tuple-returning calls as in the one-tensor
    /// call: a pre-hook may replace the input, a forward hook sees the output.
    func testHooksRunOncePerCall() {
        let lstm = LSTM(inputSize: 3, hiddenSize: 4)
        let cell = GRUCell(inputSize: 3, hiddenSize: 4)
        var seen: [[Int]] = []
        for module: Module in [lstm, cell] {
            _ = module.registerForwardPreHook { _, input in input * 0 }
            _ = module.registerForwardHook { _, _, output in
                seen.append(output.shape)
                return nil
            }
        }
        let x = random([5, 2, 3], seed: 16)
        let (output, _) = lstm(x)
        let alone: Tensor = lstm(x)
        assertClose(output, alone)
        assertClose(output, lstm.forward(Tensor.zeros([5, 2, 3])))
        _ = cell(x.select(dim: 0, index: 0), nil)
        _ = cell(x.select(dim: 0, index: 0)) as Tensor
        XCTAssertEqual(seen, [[5, 2, 4], [5, 2, 4], [2, 4], [2, 4]])
    }

    /// The final states are the last step's hidden state (forward) and the first step's
    /// (the backward direction), and the LSTM's final cell state of the top layer.
    func testFinalStatesAreTheEndsOfTheOutput() {
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, bidirectional: true)
        let (output, (h, _)) = lstm(random([4, 2, 2], seed: 7))
        assertClose(h.select(dim: 0, index: 0), output.select(dim: 0, index: 3).slice(dim: 1, start: 0, end: 3))
        assertClose(h.select(dim: 0, index: 1), output.select(dim: 0, index: 0).slice(dim: 1, start: 3, end: 6))
    }

    /// A sequence run in two halves, the state carried over, gives the whole run's output.
    func testStateCarriesAcrossCalls() {
        let x = random([6, 2, 3], seed: 8)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2)
        let (whole, wholeState) = lstm(x)
        let (first, state) = lstm(x.slice(dim: 0, start: 0, end: 3))
        let (second, secondState) = lstm(x.slice(dim: 0, start: 3, end: 6), state)
        assertClose(cat([first, second], dim: 0), whole)
        assertClose(secondState.c, wholeState.c)
        let gru = GRU(inputSize: 3, hiddenSize: 4)
        let (gruWhole, _) = gru(x)
        let (gruFirst, h) = gru(x.slice(dim: 0, start: 0, end: 2))
        let (gruSecond, _) = gru(x.slice(dim: 0, start: 2, end: 6), h)
        assertClose(cat([gruFirst, gruSecond], dim: 0), gruWhole)
    }

    /// A cell stepped through a sequence gives the one-layer network's output when they
    /// share weights.
    func testCellsStepLikeTheLayers() throws {
        let x = random([4, 2, 3], seed: 9)
        let lstm = LSTM(inputSize: 3, hiddenSize: 5)
        let cell = LSTMCell(inputSize: 3, hiddenSize: 5)
        try cell.loadStateDict(Dictionary(uniqueKeysWithValues: lstm.namedParameters().map {
            (String($0.name.dropLast(3)), Tensor($0.parameter.array))
        }))
        var state: (h: Tensor, c: Tensor)?
        var steps: [Tensor] = []
        for t in 0..<4 {
            state = cell(x.select(dim: 0, index: t), state)
            steps.append(state!.h)
        }
        assertClose(stack(steps, dim: 0), lstm(x).output)
    }

    func testDropoutBetweenLayersOnlyWhileTraining() throws {
        let x = random([5, 2, 3], seed: 10)
        let dropped = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5, generator: RandomGenerator(seed: 1))
        let plain = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2)
        try plain.loadStateDict(Dictionary(uniqueKeysWithValues: dropped.stateDict().map { ($0.name, $0.tensor) }))
        let training: Tensor = dropped(x)
        XCTAssertNotEqual(training.scalars, plain(x).scalars)
        dropped.eval()
        assertClose(dropped(x), plain(x))
        XCTAssertEqual(dropped.description, "LSTM(3, 4, num_layers=2, dropout=0.5)")
    }

    func testParameterAccessorsAndNames() {
        let gru = GRU(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true)
        let named = Dictionary(uniqueKeysWithValues: gru.namedParameters().map { ($0.name, $0.parameter) })
        XCTAssertEqual(named.count, 16)
        XCTAssertTrue(named["weight_hh_l1_reverse"] === gru.weightHH(layer: 1, reverse: true))
        XCTAssertTrue(named["bias_ih_l0"] === gru.biasIH(layer: 0))
        XCTAssertEqual(gru.weightIH(layer: 1).shape, [12, 8])
        XCTAssertNil(LSTM(inputSize: 3, hiddenSize: 4, bias: false).biasHH(layer: 0))
        // PyTorch's initialisation: every value within ±1/√hiddenSize.
        let bound = 1 / Float(4).squareRoot()
        XCTAssertTrue(gru.parameters().allSatisfy { $0.scalars.allSatisfy { Swift.abs($0) <= bound } })
        XCTAssertEqual(LSTM(inputSize: 3, hiddenSize: 4, dtype: .float64).weightIH(layer: 0).dtype, .float64)
    }

    /// The graph: one fused node per layer and direction, PyTorch's names.
    func testGraphNodes() {
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true)
        let (output, (h, _)) = lstm(random([3, 1, 2], seed: 11))
        XCTAssertEqual(h.gradFn?.name, "StackBackward0")
        var names: [String] = [], pending = [output.gradFn!]
        var seen = Set<ObjectIdentifier>()
        while let node = pending.popLast() {
            guard seen.insert(ObjectIdentifier(node)).inserted else { continue }
            names.append(node.name)
            for case .node(let next) in node.nextEdges { pending.append(next) }
        }
        XCTAssertEqual(names.filter { $0 == "MkldnnRnnLayerBackward0" }.count, 4)
        let (cellH, _) = LSTMCell(inputSize: 2, hiddenSize: 3)(random([1, 2], seed: 12))
        let fused = cellH.gradFn?.nextEdges.compactMap { edge -> String? in
            if case .node(let node) = edge { return node.name }
            return nil
        }
        XCTAssertEqual(fused, ["ThnnFusedLstmCellBackward0"])
        XCTAssertEqual(RNNCell(inputSize: 2, hiddenSize: 3)(random([1, 2], seed: 13)).gradFn?.name, "TanhBackward0")
    }

    /// Large enough batches run as slices on several threads, each through the whole
    /// sequence: the outputs and the weights' gradients equal one thread's exactly; the
    /// biases' gradients, summed slice by slice, to rounding.
    func testBatchSlicesOnThreadsEqualOneThread() {
        defer { Kernels.threadCount = 0 }
        let x = random([3, 14, 5], seed: 15)
        for network: RNNBase in [LSTM(inputSize: 5, hiddenSize: 64, bidirectional: true), GRU(inputSize: 5, hiddenSize: 64),
                                 RNN(inputSize: 5, hiddenSize: 160)] {
            var outputs: [[Float]] = [], weights: [[Float]] = [], biases: [[Float]] = []
            for threads in [1, 2] {
                Kernels.threadCount = threads
                network.zeroGrad()
                let output: Tensor = network(x)
                (output * output).sum().backward()
                outputs.append(output.scalars)
                let named = network.namedParameters()
                weights.append(named.filter { $0.name.hasPrefix("weight") }.flatMap { $0.parameter.grad!.scalars })
                biases.append(named.filter { $0.name.hasPrefix("bias") }.flatMap { $0.parameter.grad!.scalars })
            }
            XCTAssertEqual(outputs[0], outputs[1], network.typeName)
            XCTAssertEqual(weights[0], weights[1], network.typeName)
            for (a, b) in zip(biases[0], biases[1]) { XCTAssertEqual(a, b, accuracy: 1e-5 * Swift.max(1, Swift.abs(a))) }
        }
    }

    /// An empty batch runs (as in PyTorch), and two-byte floats compute in float32.
    func testEmptyBatchAndHalfPrecision() throws {
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true)
        let (output, (h, c)) = lstm(Tensor.zeros([5, 0, 3]))
        XCTAssertEqual(output.shape, [5, 0, 8])
        XCTAssertEqual(h.shape, [4, 0, 4])
        XCTAssertEqual(c.shape, [4, 0, 4])
        let x = random([3, 2, 3], seed: 14)
        let half = GRU(inputSize: 3, hiddenSize: 4, dtype: .float16)
        let single = GRU(inputSize: 3, hiddenSize: 4)
        try single.loadStateDict(Dictionary(uniqueKeysWithValues: half.stateDict().map { ($0.name, $0.tensor.to(.float32)) }))
        let halfInput = x.to(.float16).detach()
        halfInput.requiresGrad = true
        let (halfOutput, _) = half(halfInput)
        XCTAssertEqual(halfOutput.dtype, .float16)
        assertClose(halfOutput.to(.float32), single(x.to(.float16).to(.float32)).output, accuracy: 2e-3)
        halfOutput.sum().backward()
        XCTAssertEqual(halfInput.grad?.dtype, .float16)
        XCTAssertEqual(half.weightHH(layer: 0).grad?.dtype, .float16)
    }

    /// The character model: logits for a whole sequence equal those of feeding it one token
    /// at a time with the state carried, and the state dict has `word_language_model`'s keys.
    func testCharLSTMStepsLikeTheWholeSequence() {
        let model = CharLSTM(vocabSize: 7, embeddingDim: 4, hiddenSize: 5)
        let tokens = Tensor([[1, 4, 0, 6, 2]])
        let whole = model(tokens)
        XCTAssertEqual(whole.shape, [1, 5, 7])
        var state: (h: Tensor, c: Tensor)?
        var steps: [Tensor] = []
        for t in 0..<5 {
            let (logits, next) = model(tokens.slice(dim: 1, start: t, end: t + 1), state)
            steps.append(logits)
            state = next
        }
        assertClose(cat(steps, dim: 1), whole, accuracy: 1e-5)
        XCTAssertEqual(model.parameterCount, 7 * 4 + 4 * 20 + 5 * 20 + 2 * 20 + 5 * 20 + 5 * 20 + 2 * 20 + 7 * 5 + 7)
    }
}
