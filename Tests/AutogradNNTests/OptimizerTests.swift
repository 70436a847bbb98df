import XCTest
import Autograd

/// Optimizers step for step, schedulers epoch by epoch, and gradient clipping, against
/// PyTorch (`Fixtures/nn.json`).
final class OptimizerTests: XCTestCase {
    private func makeOptimizer(_ fixture: NNFixtures.OptimizerCase, _ parameters: [Parameter]) -> any Optimizer {
        let c = fixture.config
        let lr = c["lr"]!.float!
        switch fixture.kind {
        case "SGD":
            return SGD(parameters: parameters, learningRate: lr, momentum: c["momentum"]?.float ?? 0,
                       dampening: c["dampening"]?.float ?? 0, weightDecay: c["weight_decay"]?.float ?? 0,
                       nesterov: c["nesterov"]?.bool ?? false, maximize: c["maximize"]?.bool ?? false)
        case "Adam":
            return Adam(parameters: parameters, learningRate: lr, betas: c["betas"]?.betas ?? (0.9, 0.999),
                        eps: c["eps"]?.float ?? 1e-8, weightDecay: c["weight_decay"]?.float ?? 0, amsgrad: c["amsgrad"]?.bool ?? false)
        case "AdamW":
            return AdamW(parameters: parameters, learningRate: lr, betas: c["betas"]?.betas ?? (0.9, 0.999),
                         eps: c["eps"]?.float ?? 1e-8, weightDecay: c["weight_decay"]?.float ?? 0.01)
        case "RMSprop":
            return RMSprop(parameters: parameters, learningRate: lr, alpha: c["alpha"]?.float ?? 0.99,
                           weightDecay: c["weight_decay"]?.float ?? 0, momentum: c["momentum"]?.float ?? 0,
                           centered: c["centered"]?.bool ?? false)
        default: fatalError("unknown optimizer \(fixture.kind)")
        }
    }

    func testOptimizersMatchPyTorchStepForStep() {
        let cases = NNFixtures.shared.optimizers
        XCTAssertEqual(Set(cases.map(\.kind)), ["SGD", "Adam", "AdamW", "RMSprop"])
        for fixture in cases {
            let parameters = fixture.initial.map { Parameter($0.tensor()) }
            let optimizer = makeOptimizer(fixture, parameters)
            for (number, step) in fixture.steps.enumerated() {
                for (parameter, grad) in zip(parameters, step.grads) { parameter.grad = grad?.tensor() }
                optimizer.step()
                for (index, (parameter, expected)) in zip(parameters, step.params).enumerated() {
                    assertClose(parameter, expected, atol: 1e-6, "\(fixture.name) step \(number + 1) parameter \(index)")
                }
            }
        }
    }

    func testZeroGradClearsEveryGradient() {
        let parameters = [Parameter(Tensor([1, 2], dtype: .float32)), Parameter(Tensor([3], dtype: .float32))]
        parameters.forEach { $0.grad = Tensor.ones($0.shape) }
        SGD(parameters: parameters, learningRate: 0.1).zeroGrad()
        XCTAssertTrue(parameters.allSatisfy { $0.grad == nil })
    }

    func testSchedulersMatchPyTorch() {
        for fixture in NNFixtures.shared.schedulers {
            let optimizer = SGD(parameters: [Parameter(Tensor([0], dtype: .float32))], learningRate: Float(fixture.baseLR))
            let scheduler: any LRScheduler
            switch fixture.kind {
            case "StepLR":
                scheduler = StepLR(optimizer: optimizer, stepSize: Int(fixture.config["step_size"]!), gamma: Float(fixture.config["gamma"]!))
            default:
                scheduler = CosineAnnealingLR(optimizer: optimizer, tMax: Int(fixture.config["T_max"]!),
                                              etaMin: Float(fixture.config["eta_min"] ?? 0))
            }
            for (epoch, expected) in fixture.lrs.enumerated() {
                scheduler.step()
                XCTAssertEqual(Double(optimizer.learningRate), expected, accuracy: 1e-7, "\(fixture.name) epoch \(epoch + 1)")
            }
        }
    }

    func testClipGradNormMatchesPyTorch() {
        for fixture in NNFixtures.shared.clipGradNorm {
            let parameters = fixture.grads.map { grad -> Parameter in
                let parameter = Parameter(Tensor.zeros(grad.shape))
                parameter.grad = grad.tensor()
                return parameter
            }
            let norm = clipGradNorm(parameters, maxNorm: Float(fixture.config.maxNorm), normType: fixture.config.normType.value)
            XCTAssertEqual(Double(norm), fixture.totalNorm, accuracy: 1e-5 * fixture.totalNorm, fixture.name)
            for (parameter, expected) in zip(parameters, fixture.clippedGrads) {
                assertClose(parameter.grad, expected, atol: 1e-6, "\(fixture.name) clipped gradient")
            }
        }
    }

    func testFrozenParametersAreNotUpdated() {
        let model = Sequential(Linear(inFeatures: 3, outFeatures: 2), Linear(inFeatures: 2, outFeatures: 1))
        let frozen = (model[0] as! Linear).weight
        frozen.requiresGrad = false
        let before = frozen.scalars
        let optimizer = Adam(parameters: model.parameters(), learningRate: 0.1)
        model(Tensor([[1, 2, 3]], dtype: .float32)).sum().backward()
        optimizer.step()
        XCTAssertNil(frozen.grad)
        XCTAssertEqual(frozen.scalars, before)
        XCTAssertNotNil((model[1] as! Linear).weight.grad)
    }
}
