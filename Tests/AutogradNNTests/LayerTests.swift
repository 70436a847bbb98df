import XCTest
import Autograd

/// Every layer's output, input gradient, parameter gradients and (for batch norm) running
/// statistics against PyTorch, from `Fixtures/nn.json`.
final class LayerTests: XCTestCase {
    /// The layer a fixture case describes, with its state loaded from PyTorch's state_dict
    /// (which also checks that the parameter and buffer names match PyTorch's).
    private func makeLayer(_ fixture: NNFixtures.LayerCase) throws -> Module {
        let c = fixture.config
        let layer: Module
        switch fixture.kind {
        case "Linear": layer = Linear(inFeatures: c.in!, outFeatures: c.out!, bias: c.bias ?? true)
        case "Conv2d":
            layer = Conv2d(inChannels: c.in!, outChannels: c.out!, kernelSize: CaseConfig.pair(c.kernel)!,
                           stride: CaseConfig.pair(c.stride) ?? (1, 1), padding: CaseConfig.pair(c.padding) ?? (0, 0),
                           dilation: CaseConfig.pair(c.dilation) ?? (1, 1), groups: c.groups ?? 1, bias: c.bias ?? true)
        case "MaxPool2d":
            layer = MaxPool2d(kernelSize: CaseConfig.pair(c.kernel)!, stride: CaseConfig.pair(c.stride),
                              padding: CaseConfig.pair(c.padding) ?? (0, 0), dilation: CaseConfig.pair(c.dilation) ?? (1, 1))
        case "AvgPool2d":
            layer = AvgPool2d(kernelSize: CaseConfig.pair(c.kernel)!, stride: CaseConfig.pair(c.stride),
                              padding: CaseConfig.pair(c.padding) ?? (0, 0), countIncludePad: c.countIncludePad ?? true)
        case "AdaptiveAvgPool2d": layer = AdaptiveAvgPool2d(outputSize: CaseConfig.pair(c.output)!)
        case "BatchNorm1d": layer = BatchNorm1d(numFeatures: c.features!)
        case "BatchNorm2d": layer = BatchNorm2d(numFeatures: c.features!, momentum: c.cumulativeAverage == true ? nil : 0.1)
        case "LayerNorm": layer = LayerNorm(normalizedShape: c.shape!)
        case "Dropout": layer = Dropout(p: Float(c.p!))
        case "Embedding": layer = Embedding(numEmbeddings: c.num!, embeddingDim: c.dim!)
        case "Flatten": layer = Flatten()
        case "SequentialMLP":
            layer = Sequential(Linear(inFeatures: 4, outFeatures: 6), ReLU(), Linear(inFeatures: 6, outFeatures: 2))
        case "ReLU": layer = ReLU()
        case "GELU": layer = GELU()
        case "GELUTanh": layer = GELU(approximate: .tanh)
        case "Tanh": layer = Tanh()
        case "Sigmoid": layer = Sigmoid()
        case "Softmax": layer = Softmax(dim: c.dim!)
        case "LogSoftmax": layer = LogSoftmax(dim: c.dim!)
        default: throw XCTSkip("unknown layer kind \(fixture.kind)")
        }
        try layer.loadStateDict(fixture.state.mapValues { $0.tensor() })
        layer.train(fixture.training)
        return layer
    }

    func testLayersMatchPyTorch() throws {
        let cases = NNFixtures.shared.layers
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        for fixture in cases {
            let layer = try makeLayer(fixture)
            let input = fixture.input.tensor(requiresGrad: fixture.inputGrad != nil)
            let output = layer(input)
            assertClose(output, fixture.output, "\(fixture.name) output")
            output.backward(gradient: fixture.upstream.tensor())
            if fixture.inputGrad != nil { assertClose(input.grad, fixture.inputGrad, "\(fixture.name) input grad") }
            let parameters = Dictionary(uniqueKeysWithValues: layer.namedParameters().map { ($0.name, $0.parameter) })
            XCTAssertEqual(Set(parameters.keys), Set(fixture.grads.keys), "\(fixture.name) parameter names")
            for (name, grad) in fixture.grads {
                assertClose(parameters[name]?.grad, grad, "\(fixture.name) \(name).grad")
            }
            let state = Dictionary(uniqueKeysWithValues: layer.stateDict().map { ($0.name, $0.tensor) })
            for (name, expected) in fixture.stateAfter {
                assertClose(state[name], expected, "\(fixture.name) \(name) after the call")
            }
        }
    }

    func testConv2dDefaultInitialisationFollowsPyTorchsBounds() {
        let conv = Conv2d(inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2, generator: RandomGenerator(seed: 1))
        XCTAssertEqual(conv.weight.shape, [6, 2, 3, 3])
        let bound = 1 / Float(2 * 3 * 3).squareRoot()
        XCTAssertTrue(conv.weight.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(conv.bias!.scalars.allSatisfy { abs($0) <= bound })
        // Uniform in ±bound: the largest magnitude comes close to the bound.
        XCTAssertGreaterThan(conv.weight.scalars.map(abs).max()!, 0.8 * bound)
    }

    func testLinearDefaultInitialisationIsUniformInPlusMinusOneOverRootFanIn() {
        let layer = Linear(inFeatures: 100, outFeatures: 50, generator: RandomGenerator(seed: 3))
        let values = layer.weight.scalars
        let bound = Float(0.1)
        XCTAssertTrue(values.allSatisfy { abs($0) <= bound })
        // A uniform distribution on ±b has variance b²/3.
        let variance = values.map { $0 * $0 }.reduce(0, +) / Float(values.count)
        XCTAssertEqual(variance, bound * bound / 3, accuracy: 0.1 * bound * bound / 3)
    }

    func testDropoutZeroesAboutPAndScalesTheRestInTrainingOnly() {
        let dropout = Dropout(p: 0.25, generator: RandomGenerator(seed: 5))
        let input = Tensor.ones([4000])
        let output = dropout(input).scalars
        XCTAssertTrue(output.allSatisfy { $0 == 0 || abs($0 - 4 / 3) < 1e-6 })
        let dropped = Float(output.filter { $0 == 0 }.count) / 4000
        XCTAssertEqual(dropped, 0.25, accuracy: 0.03)
        dropout.eval()
        XCTAssertEqual(dropout(input).scalars, input.scalars)
    }

    func testDropoutGradientFollowsTheMask() {
        let dropout = Dropout(p: 0.5, generator: RandomGenerator(seed: 9))
        let input = Tensor.ones([64], requiresGrad: true)
        let output = dropout(input)
        output.sum().backward()
        XCTAssertEqual(input.grad?.scalars, output.scalars)
    }

    func testBatchNormInEvaluationModeLeavesRunningStatisticsAlone() throws {
        let norm = BatchNorm1d(numFeatures: 2)
        norm.eval()
        _ = norm(Tensor([[1, 2], [3, 5]], dtype: .float32))
        XCTAssertEqual(norm.runningMean?.value.scalars, [0, 0])
        XCTAssertEqual(norm.numBatchesTracked?.value.item(), 0)
        norm.train()
        _ = norm(Tensor([[1, 2], [3, 5]], dtype: .float32))
        XCTAssertEqual(norm.numBatchesTracked?.value.item(), 1)
        XCTAssertEqual(try XCTUnwrap(norm.runningMean).value.scalars, [0.2, 0.35])
    }

    func testPoolingShapes() {
        let image = Tensor.zeros([2, 3, 9, 7])
        XCTAssertEqual(MaxPool2d(kernelSize: 2)(image).shape, [2, 3, 4, 3])
        XCTAssertEqual(AvgPool2d(kernelSize: 3, stride: 2, padding: 1)(image).shape, [2, 3, 5, 4])
        XCTAssertEqual(AdaptiveAvgPool2d(outputSize: 1)(image).shape, [2, 3, 1, 1])
        XCTAssertEqual(AdaptiveAvgPool2d(outputSize: (4, 5))(image).shape, [2, 3, 4, 5])
    }

    func testMaxPoolWithPaddingNeverPicksThePadding() {
        let negative = Tensor(repeating: -5, shape: [1, 1, 2, 2])
        XCTAssertEqual(maxPool2d(negative, kernelSize: (2, 2), stride: (1, 1), padding: (1, 1)).scalars, [Float](repeating: -5, count: 9))
    }

    func testEmbeddingGradientsAddUpOverRepeatedIndices() throws {
        let embedding = Embedding(numEmbeddings: 3, embeddingDim: 2)
        let output = embedding(Tensor([2, 2, 0]))
        XCTAssertEqual(output.shape, [3, 2])
        output.sum().backward()
        XCTAssertEqual(try XCTUnwrap(embedding.weight.grad).scalars, [1, 1, 0, 0, 2, 2])
    }
}
