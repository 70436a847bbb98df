import Autograd
import XCTest

/// A model whose parameters have uneven sizes: one unused by forward, one used twice.
final class UnevenModel: Module {
    let first = Linear(inFeatures: 5, outFeatures: 7)
    let second = Linear(inFeatures: 7, outFeatures: 3)
    let unused = Parameter(Tensor.randn([4]))
    let scale = Parameter(Tensor([1.5]))

    override func forward(_ input: Tensor) -> Tensor {
        second(first(input).tanh()) * scale + scale
    }
}

/// `DistributedDataParallel` in one process: the whole bucket machinery runs (the
/// all-reduce of one process leaves the data), so its gradients must be the plain model's.
final class DataParallelTests: XCTestCase {
    /// A model and an identical copy, the first wrapped with buckets of a few bytes.
    private func makePair() -> (DistributedDataParallel, UnevenModel) {
        manualSeed(4)
        let model = UnevenModel()
        manualSeed(4)
        let reference = UnevenModel()
        return (DistributedDataParallel(model, group: .single(), bucketBytes: 64, firstBucketBytes: 32), reference)
    }

    private func batch(_ step: Int) -> (Tensor, Tensor) {
        let generator = RandomGenerator(seed: UInt64(step))
        return (Tensor(shape: [6, 5], scalars: generator.normal(count: 30)), Tensor((0..<6).map { ($0 + step) % 3 }))
    }

    private func assertSameGradients(_ model: DistributedDataParallel, _ reference: Module, file: StaticString = #filePath, line: UInt = #line) {
        for ((name, parameter), expected) in zip(model.module.namedParameters(), reference.parameters()) {
            XCTAssertEqual(parameter.grad == nil, expected.grad == nil, name, file: file, line: line)
            guard let grad = parameter.grad?.scalars, let expectedGrad = expected.grad?.scalars else { continue }
            XCTAssertEqual(grad.count, expectedGrad.count, name, file: file, line: line)
            for (a, b) in zip(grad, expectedGrad) { XCTAssertEqual(a, b, accuracy: 1e-6, name, file: file, line: line) }
        }
    }

    func testGradientsAreThePlainModelsAfterBackward() {
        let (model, reference) = makePair()
        XCTAssertGreaterThanOrEqual(model.bucketPlan.buckets.count, 3)
        XCTAssertEqual(model.namedParameters().map(\.name).first, "module.unused")
        for step in 0..<3 {
            let (x, y) = batch(step)
            model.zeroGrad()
            reference.zeroGrad()
            crossEntropy(model(x), y).backward()
            crossEntropy(reference(x), y).backward()
            assertSameGradients(model, reference)
            XCTAssertNil(model.module.namedParameters().first { $0.name == "unused" }?.parameter.grad, "an unused parameter keeps no gradient")
            model.finishGradientSynchronization()   // already finished by backward: nothing changes
            assertSameGradients(model, reference)
        }
    }

    func testGradientsAccumulateAcrossStepsLikeThePlainModel() {
        let (model, reference) = makePair()
        for step in 0..<2 {
            let (x, y) = batch(step)
            crossEntropy(model(x), y).backward()
            crossEntropy(reference(x), y).backward()
        }
        assertSameGradients(model, reference)
    }

    func testNoSyncAccumulatesAndTheNextBackwardIncludesIt() {
        let (model, reference) = makePair()
        for step in 0..<3 {
            let (x, y) = batch(step)
            if step < 2 {
                model.noSync { crossEntropy(model(x), y).backward() }
                XCTAssertTrue(model.synchronizesGradients)
            } else {
                crossEntropy(model(x), y).backward()
            }
            crossEntropy(reference(x), y).backward()
        }
        assertSameGradients(model, reference)
    }

    func testEvaluationAndBackwardWithoutForwardLeaveGradientsAlone() {
        let (model, reference) = makePair()
        let (x, y) = batch(0)
        _ = noGrad { model(x) }
        model.eval()
        _ = model(x)
        model.train()
        XCTAssertTrue(model.module.isTraining)
        // A backward through the wrapped module itself (not through the wrapper) is not averaged.
        crossEntropy(model.module(x), y).backward()
        crossEntropy(reference(x), y).backward()
        assertSameGradients(model, reference)
        model.finishGradientSynchronization()
        assertSameGradients(model, reference)
    }

    func testTwoForwardPassesBeforeOneBackward() {
        let (model, reference) = makePair()
        let (x, y) = batch(1)
        (crossEntropy(model(x), y) + crossEntropy(model(x * 2), y)).backward()
        (crossEntropy(reference(x), y) + crossEntropy(reference(x * 2), y)).backward()
        assertSameGradients(model, reference)
    }

    func testJoiningWithoutABatchKeepsTheGradients() {
        let (model, reference) = makePair()
        let (x, y) = batch(2)
        crossEntropy(model(x), y).backward()
        crossEntropy(reference(x), y).backward()
        model.joinGradientSynchronization()
        assertSameGradients(model, reference)
    }

    func testHooksRegisteredBeforeWrappingChangeWhatIsAveraged() {
        manualSeed(4)
        let plain = UnevenModel()
        manualSeed(4)
        let reference = UnevenModel()
        for parameter in plain.parameters() + reference.parameters() {
            parameter.registerHook { $0 * 0.5 }
        }
        let model = DistributedDataParallel(plain, group: .single(), bucketBytes: 64, firstBucketBytes: 32)
        let (x, y) = batch(3)
        crossEntropy(model(x), y).backward()
        crossEntropy(reference(x), y).backward()
        assertSameGradients(model, reference)
    }

    func testTheWrapperPrintsLikePyTorchs() {
        let model = DistributedDataParallel(Linear(inFeatures: 2, outFeatures: 1), group: .single())
        XCTAssertEqual(model.description, "DistributedDataParallel(\n  (module): Linear(in_features=2, out_features=1, bias=True)\n)")
    }
}
