import XCTest
import Autograd

/// SiLU, Softplus, Identity, GroupNorm, RMSNorm, LayerNorm without bias, Conv1d,
/// ConvTranspose2d (float32 only, as the convolution kernels), Upsample,
/// `pad` and `interpolate` against PyTorch (`Fixtures/layers.json`), in float32 and
/// float64: outputs, input and parameter gradients, names and printing.
final class SequenceLayerTests: XCTestCase {
    private let fixtures = LayerFixtures.shared

    /// The module a fixture case describes, with PyTorch's parameters loaded into it (which
    /// also checks that the parameter names match PyTorch's).
    private func makeLayer(_ fixture: LayerFixtures.LayerCase) throws -> Module {
        let c = fixture.config
        let dtype = DType(rawValue: fixture.dtype)!
        let layer: Module
        switch fixture.kind {
        case "SiLU": layer = SiLU()
        case "Softplus": layer = Softplus(beta: c["beta"]?.float ?? 1, threshold: c["threshold"]?.float ?? 20)
        case "Identity": layer = Identity()
        case "GroupNorm":
            layer = GroupNorm(numGroups: c["groups"]!.int!, numChannels: c["channels"]!.int!, eps: c["eps"]?.float ?? 1e-5,
                              affine: c["affine"]?.bool ?? true, dtype: dtype)
        case "RMSNorm":
            layer = RMSNorm(normalizedShape: c["shape"]!.ints!, eps: c["eps"]?.float,
                            elementwiseAffine: c["affine"]?.bool ?? true, dtype: dtype)
        case "LayerNorm":
            layer = LayerNorm(normalizedShape: c["shape"]!.ints!, bias: c["bias"]?.bool ?? true, dtype: dtype)
        case "Conv1d":
            layer = Conv1d(inChannels: c["in"]!.int!, outChannels: c["out"]!.int!, kernelSize: c["kernel"]!.int!,
                           stride: c["stride"]?.int ?? 1, padding: c["padding"]?.int ?? 0, dilation: c["dilation"]?.int ?? 1,
                           groups: c["groups"]?.int ?? 1, bias: c["bias"]?.bool ?? true, dtype: dtype)
        case "ConvTranspose2d":
            layer = ConvTranspose2d(
                inChannels: c["in"]!.int!, outChannels: c["out"]!.int!, kernelSize: c["kernel"]!.int!,
                stride: c["stride"]?.int ?? 1, padding: c["padding"]?.int ?? 0, outputPadding: c["outputPadding"]?.int ?? 0,
                groups: c["groups"]?.int ?? 1, bias: c["bias"]?.bool ?? true, dilation: c["dilation"]?.int ?? 1)
        case "Upsample":
            let mode = InterpolationMode(rawValue: c["mode"]!.string!)!
            if let size = c["size"]?.ints {
                layer = Upsample(size: size, mode: mode, alignCorners: c["alignCorners"]?.bool)
            } else {
                layer = Upsample(scaleFactor: c["scaleFactor"]!.double!, mode: mode, alignCorners: c["alignCorners"]?.bool)
            }
        default: throw XCTSkip("unknown layer kind \(fixture.kind)")
        }
        try layer.loadStateDict(fixture.state.mapValues { $0.tensor() })
        return layer
    }

    func testLayersMatchPyTorch() throws {
        let cases = fixtures.layers
        XCTAssertEqual(cases.count, 44)
        for fixture in cases {
            let layer = try makeLayer(fixture)
            XCTAssertEqual(layer.description, fixture.repr, "\(fixture.name) repr")
            XCTAssertTrue(layer.parameters().allSatisfy { $0.dtype.rawValue == fixture.dtype }, "\(fixture.name) parameter dtype")
            let input = fixture.input.tensor(requiresGrad: true)
            let output = layer(input)
            // Float32 composites round differently from PyTorch's fused kernels where terms cancel.
            let atol = fixture.dtype == "float64" ? 1e-10 : 1e-5
            assertMatches(output, fixture.output, atol: atol, "\(fixture.name) output")
            output.backward(gradient: fixture.upstream.tensor())
            assertMatches(input.grad, fixture.inputGrad, atol: atol, "\(fixture.name) input grad")
            let parameters = Dictionary(uniqueKeysWithValues: layer.namedParameters().map { ($0.name, $0.parameter) })
            XCTAssertEqual(Set(parameters.keys), Set(fixture.grads.keys), "\(fixture.name) parameter names")
            for (name, grad) in fixture.grads {
                assertMatches(parameters[name]?.grad, grad, atol: atol, "\(fixture.name) \(name).grad")
            }
        }
    }

    func testPadAndInterpolateMatchPyTorch() {
        let cases = fixtures.functions
        XCTAssertEqual(cases.count, 44)
        for fixture in cases {
            let c = fixture.config
            let input = fixture.input.tensor(requiresGrad: true)
            let output: Tensor
            switch fixture.kind {
            case "pad":
                output = pad(input, c["pad"]!.ints!, mode: PaddingMode(rawValue: c["mode"]!.string!)!, value: c["value"]?.double)
            default:
                let mode = InterpolationMode(rawValue: c["mode"]!.string!)!
                if let size = c["size"]?.ints {
                    output = interpolate(input, size: size, mode: mode, alignCorners: c["alignCorners"]?.bool)
                } else {
                    output = interpolate(input, scaleFactor: c["scaleFactor"]!.double!, mode: mode, alignCorners: c["alignCorners"]?.bool)
                }
            }
            assertMatches(output, fixture.output, "\(fixture.name) output")
            output.backward(gradient: fixture.upstream.tensor())
            assertMatches(input.grad, fixture.inputGrad, "\(fixture.name) input grad")
        }
    }

    // MARK: - Finite differences in float64

    /// A float64 tensor of `shape` with values spread over `range`, requiring grad.
    private func sample(_ shape: [Int], seed: UInt64, in range: ClosedRange<Double> = -2...2) -> Tensor {
        let generator = RandomGenerator(seed: seed)
        let values = generator.uniform(count: shape.reduce(1, *)).map { range.lowerBound + Double($0) * (range.upperBound - range.lowerBound) }
        return Tensor(NDArray(shape: shape, doubles: values, dtype: .float64), requiresGrad: true)
    }

    private func assertGradcheck(
        _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor
    ) {
        let result = gradcheck(inputs: inputs, f)
        XCTAssertTrue(result.passed, result.description, file: file, line: line)
    }

    func testActivationGradientsMatchFiniteDifferences() {
        let x = sample([2, 5], seed: 1, in: -4...4)
        assertGradcheck([x]) { silu($0[0]) }
        assertGradcheck([x]) { softplus($0[0]) }
        assertGradcheck([x]) { softplus($0[0], beta: 2, threshold: 3) }
        // The backward of softplus is itself differentiable (σ(βx) recorded with tensor ops).
        assertGradcheck([x]) { grad(outputs: [softplus($0[0], beta: 0.5).sum()], inputs: [$0[0]], createGraph: true)[0]! }
    }

    func testNormalizationGradientsMatchFiniteDifferences() {
        let group = GroupNorm(numGroups: 2, numChannels: 4, dtype: .float64)
        Init.normal(group.weight!)
        Init.normal(group.bias!)
        let x = sample([2, 4, 3], seed: 2)
        assertGradcheck([x, group.weight!, group.bias!]) { group($0[0]) }
        let rms = RMSNorm(normalizedShape: [3], eps: 1e-6, dtype: .float64)
        Init.normal(rms.weight!)
        assertGradcheck([x, rms.weight!]) { rms($0[0]) }
        let layer = LayerNorm(normalizedShape: [3], bias: false, dtype: .float64)
        Init.normal(layer.weight!)
        assertGradcheck([x, layer.weight!]) { layer($0[0]) }
    }

    func testConv1dGradientsMatchFiniteDifferences() {
        let conv = Conv1d(inChannels: 4, outChannels: 2, kernelSize: 3, stride: 2, padding: 1, dilation: 1, groups: 2,
                          dtype: .float64, generator: RandomGenerator(seed: 3))
        let x = sample([1, 4, 6], seed: 4)
        assertGradcheck([x, conv.weight, conv.bias!]) { conv($0[0]) }
    }

    /// The transposed convolution in float32 (its fold kernel takes no other dtype), with
    /// float32's finite-difference step and tolerances.
    func testConvTranspose2dGradientsMatchFiniteDifferences() {
        let conv = ConvTranspose2d(inChannels: 2, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1,
                                   groups: 2, generator: RandomGenerator(seed: 6))
        let x = Tensor(Tensor.randn([1, 2, 3, 2], generator: RandomGenerator(seed: 7)).array, requiresGrad: true)
        assertGradcheck([x, conv.weight, conv.bias!]) { conv($0[0]) }
        XCTAssertEqual(conv(x).shape, [1, 4, 6, 4])
    }

    func testPadGradientsMatchFiniteDifferences() {
        let x = sample([1, 2, 3, 4], seed: 5)
        assertGradcheck([x]) { pad($0[0], [2, -1, 1, 1], value: 0.5) }
        assertGradcheck([x]) { pad($0[0], [3, 2, 2, 1], mode: .reflect) }
        assertGradcheck([x]) { pad($0[0], [3, 4, 0, 2], mode: .replicate) }
        assertGradcheck([x]) { pad($0[0], [4, 1, 0, 3], mode: .circular) }
    }

    func testInterpolateGradientsMatchFiniteDifferences() {
        let x = sample([1, 2, 3, 4], seed: 6)
        assertGradcheck([x]) { interpolate($0[0], scaleFactor: 1.5, mode: .nearest) }
        assertGradcheck([x]) { interpolate($0[0], scaleFactor: 1.7, mode: .bilinear) }
        assertGradcheck([x]) { interpolate($0[0], size: [2, 7], mode: .bilinear, alignCorners: true) }
    }

    // MARK: - Behaviour

    func testPadExamples() {
        let x = Tensor([[[1, 2, 3]]], dtype: .float32)
        XCTAssertEqual(pad(x, [2, 1]).scalars, [0, 0, 1, 2, 3, 0])
        XCTAssertEqual(pad(x, [2, 1], mode: .reflect).scalars, [3, 2, 1, 2, 3, 2])
        XCTAssertEqual(pad(x, [2, 1], mode: .replicate).scalars, [1, 1, 1, 2, 3, 3])
        XCTAssertEqual(pad(x, [2, 1], mode: .circular).scalars, [2, 3, 1, 2, 3, 1])
        XCTAssertEqual(pad(x, [-1, -1]).scalars, [2])
        let counts = Tensor([[1, 2], [3, 4]])
        let padded = pad(counts, [1, 0], value: 9)
        XCTAssertEqual(padded.dtype, .int64)
        XCTAssertEqual(padded.asArray(Int.self), [9, 1, 2, 9, 3, 4])
    }

    func testUpsampleShapesAndNearestValues() {
        let x = Tensor([[[[1, 2], [3, 4]]]], dtype: .float32)
        let nearest = Upsample(scaleFactor: 2)(x)
        XCTAssertEqual(nearest.shape, [1, 1, 4, 4])
        XCTAssertEqual(nearest.scalars, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        XCTAssertEqual(Upsample(scaleFactors: [1, 3], mode: .bilinear)(x).shape, [1, 1, 2, 6])
        XCTAssertEqual(Upsample(size: [3, 5]).description, "Upsample(size=(3, 5), mode='nearest')")
        XCTAssertEqual(Upsample(scaleFactor: 2, mode: .bilinear).description, "Upsample(scale_factor=2.0, mode='bilinear')")
    }

    func testGroupNormAndRMSNormDefaults() {
        let group = GroupNorm(numGroups: 3, numChannels: 6)
        XCTAssertEqual(group.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(group.weight?.scalars, [Float](repeating: 1, count: 6))
        XCTAssertEqual(group.bias?.scalars, [Float](repeating: 0, count: 6))
        XCTAssertNil(GroupNorm(numGroups: 3, numChannels: 6, bias: false).bias)
        let rms = RMSNorm(normalizedShape: [4])
        XCTAssertEqual(rms.namedParameters().map(\.name), ["weight"])
        // eps nil is the input dtype's machine epsilon: a zero row stays finite.
        let zeros = rms(Tensor.zeros([2, 4]))
        XCTAssertEqual(zeros.scalars, [Float](repeating: 0, count: 8))
        XCTAssertEqual(LayerNorm(normalizedShape: [8], bias: false).namedParameters().map(\.name), ["weight"])
    }

    func testConv1dDefaultInitialisationAndUnbatchedInput() {
        let conv = Conv1d(inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2, generator: RandomGenerator(seed: 1))
        XCTAssertEqual(conv.weight.shape, [6, 2, 3])
        let bound = 1 / Float(2 * 3).squareRoot()
        XCTAssertTrue(conv.weight.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(conv.bias!.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(conv.weight.scalars.map(abs).max()!, 0.7 * bound)
        XCTAssertEqual(conv(Tensor.zeros([4, 7])).shape, [6, 5])
        XCTAssertEqual(conv(Tensor.zeros([2, 4, 7])).shape, [2, 6, 5])
    }

    func testSoftplusStaysExactFarBelowZero() {
        let x = Tensor([-30.0, -100.0, 30.0], dtype: .float64)
        let y = softplus(x).asArray(Double.self)
        // PyTorch: F.softplus(torch.tensor([-30.0, -100.0], dtype=torch.float64)).
        XCTAssertEqual(y[0], 9.357622968839737e-14, accuracy: 1e-27)
        XCTAssertEqual(y[1], 3.720075976020836e-44, accuracy: 1e-57)
        XCTAssertEqual(y[2], 30)
        XCTAssertEqual(softplus(Tensor([0.5], requiresGrad: true)).gradFn?.name, "SoftplusBackward")
    }
}
