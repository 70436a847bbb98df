import XCTest
import Autograd
@testable import AutogradNN

/// A model shaped like the fixture script's `Named`: a nested block, a list of layers and
/// camelCase property names that become PyTorch's snake_case.
private final class Block: Module {
    let conv = Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3)
    let norm = BatchNorm2d(numFeatures: 2)
}

private final class Named: Module {
    let featureExtractor = Sequential(Block(), ReLU())
    let blocks: [Module] = [Linear(inFeatures: 2, outFeatures: 2), Linear(inFeatures: 2, outFeatures: 2, bias: false)]
    let outputLayer = Linear(inFeatures: 2, outFeatures: 1)
}

/// Module discovery, names, modes, freezing and printing.
final class ModuleTests: XCTestCase {
    func testNamesAreTheOnesPyTorchGives() {
        let model = Named()
        let fixture = NNFixtures.shared.moduleNames
        XCTAssertEqual(model.namedParameters().map(\.name), fixture.namedParameters)
        XCTAssertEqual(model.stateDict().map(\.name), fixture.stateDict)
        XCTAssertEqual(model.namedBuffers().map(\.name),
                       ["feature_extractor.0.norm.running_mean", "feature_extractor.0.norm.running_var",
                        "feature_extractor.0.norm.num_batches_tracked"])
        XCTAssertEqual(model.namedModules().count, 9)
        XCTAssertEqual(model.parameterCount, 2 * 9 + 2 + 2 + 2 + 6 + 4 + 2 + 1)
    }

    func testPropertyNamesBecomeSnakeCase() {
        let labels = ["runningMean", "conv1", "outputLayer", "convQKV", "QKVProjection", "_wrapped", "$__lazy_storage_$_cache", "x"]
        XCTAssertEqual(labels.map(pytorchName(forProperty:)),
                       ["running_mean", "conv1", "output_layer", "conv_qkv", "qkv_projection", "wrapped", "cache", "x"])
    }

    func testSharedParametersAreListedOnce() {
        let shared = Linear(inFeatures: 2, outFeatures: 2)
        let model = Sequential(shared, ReLU(), shared)
        XCTAssertEqual(model.namedParameters().map(\.name), ["0.weight", "0.bias"])
        XCTAssertEqual(model.stateDict().map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])
    }

    func testTrainAndEvalReachEverySubmodule() {
        let model = Named()
        model.eval()
        XCTAssertTrue(model.namedModules().allSatisfy { !$0.module.isTraining })
        model.train()
        XCTAssertTrue(model.namedModules().allSatisfy { $0.module.isTraining })
    }

    func testZeroGradAndFreezing() throws {
        let model = Sequential(Linear(inFeatures: 3, outFeatures: 2), ReLU(), Linear(inFeatures: 2, outFeatures: 1))
        let first = try XCTUnwrap(model[0] as? Linear)
        first.bias?.requiresGrad = false
        model(Tensor([[1, 2, 3]], dtype: .float32)).sum().backward()
        XCTAssertNotNil(first.weight.grad)
        XCTAssertNil(first.bias?.grad)
        model.zeroGrad()
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad == nil })
    }

    func testReplacingAParameterIsSeenByDiscovery() {
        let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 2)
        let replacement = Parameter(Tensor([[[[1, 0], [0, 1]]]], dtype: .float32))
        conv.weight = replacement
        XCTAssertTrue(conv.namedParameters().first?.parameter === replacement)
    }

    func testPrintsLikePyTorch() {
        let model = Sequential(
            Conv2d(inChannels: 1, outChannels: 16, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 16), ReLU(),
            MaxPool2d(kernelSize: 2), Flatten(), Dropout(p: 0.25), Linear(inFeatures: 256, outFeatures: 10, bias: false),
            GELU(), LayerNorm(normalizedShape: [10]), AdaptiveAvgPool2d(outputSize: 1),
            Embedding(numEmbeddings: 5, embeddingDim: 3), LogSoftmax(dim: 1))
        XCTAssertEqual(model.description, NNFixtures.shared.moduleNames.repr)
    }

    func testSeededGeneratorsRepeat() {
        manualSeed(11)
        let a = Linear(inFeatures: 4, outFeatures: 3).weight.scalars
        manualSeed(11)
        let b = Linear(inFeatures: 4, outFeatures: 3).weight.scalars
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, Linear(inFeatures: 4, outFeatures: 3).weight.scalars)
        let permutation = RandomGenerator(seed: 2).permutation(50)
        XCTAssertEqual(permutation.sorted(), Array(0..<50))
        XCTAssertEqual(permutation, RandomGenerator(seed: 2).permutation(50))
    }
}
