import XCTest
import Autograd

/// Optimizers built from parameter groups, Adagrad and Adadelta, step for step against
/// PyTorch (`Fixtures/optim.json`), with the state PyTorch's `state_dict()` holds after the
/// last step; and `clipGradValue` against `clip_grad_value_`.
final class ParameterGroupTests: XCTestCase {
    func testGroupedOptimizersMatchPyTorchStepForStep() {
        let cases = OptimFixtures.shared.optimizers
        XCTAssertEqual(Set(cases.map(\.kind)), ["Adagrad", "Adadelta", "AdamW", "Adam", "SGD", "RMSprop"])
        for fixture in cases {
            let parameters = fixture.initial.map { Parameter($0.tensor()) }
            let groups = fixture.groups.map { group in
                ParameterGroup(parameters: group.params.map { parameters[$0] }, learningRate: group.options["lr"].map { Float($0) },
                               weightDecay: group.options["weight_decay"].map { Float($0) })
            }
            let optimizer = makeOptimizer(fixture.kind, fixture.config, groups: groups)
            XCTAssertEqual(optimizer.groups.count, fixture.groups.count, fixture.name)
            for (number, step) in fixture.steps.enumerated() {
                if let rates = step.setLRs {
                    for (index, rate) in rates.enumerated() { optimizer.groups[index].learningRate = Float(rate) }
                }
                for (parameter, grad) in zip(parameters, step.grads) { parameter.grad = grad?.tensor() }
                optimizer.step()
                for (index, (parameter, expected)) in zip(parameters, step.params).enumerated() {
                    assertClose(parameter, expected, atol: 1e-7, rtol: 1e-5, "\(fixture.name) step \(number + 1) parameter \(index)")
                }
            }
            let state = optimizer.stateDict()
            for (index, entries) in fixture.finalState {
                for (name, value) in entries {
                    switch value {
                    case .number(let step):
                        XCTAssertEqual(state.scalars["state.\(index).\(name)"], step, "\(fixture.name) state \(index) \(name)")
                    case .tensor(let expected):
                        assertClose(state.tensors["state.\(index).\(name)"], expected, atol: 1e-7, rtol: 1e-5,
                                    "\(fixture.name) state \(index) \(name)")
                    }
                }
            }
        }
    }

    func testGroupsTakeTheOptimizersDefaultsForOptionsTheyLeaveOut() {
        let decay = [Parameter(Tensor.ones([2, 2]))], noDecay = [Parameter(Tensor.ones([2]))]
        let optimizer = AdamW(groups: [ParameterGroup(parameters: decay, weightDecay: 0.1),
                                       ParameterGroup(parameters: noDecay, learningRate: 0.5, weightDecay: 0)],
                              learningRate: 6e-4, betas: (0.9, 0.95))
        XCTAssertEqual(optimizer.groups.map(\.learningRate), [6e-4, 0.5])
        XCTAssertEqual(optimizer.groups.map(\.weightDecay), [0.1, 0])
        XCTAssertEqual(optimizer.learningRate, 6e-4)
        XCTAssertEqual(optimizer.parameters.count, 2)
        XCTAssertTrue(optimizer.parameters[0] === decay[0] && optimizer.parameters[1] === noDecay[0])
        optimizer.learningRate = 1e-3
        XCTAssertEqual(optimizer.groups.map(\.learningRate), [1e-3, 1e-3])
        optimizer.groups[1].weightDecay = 0.2
        XCTAssertEqual(optimizer.groups[1].weightDecay, 0.2)
        XCTAssertEqual(AdamW(parameters: decay).groups[0].weightDecay, 0.01)
        XCTAssertEqual(Adadelta(parameters: decay).learningRate, 1)
        XCTAssertEqual(Adagrad(parameters: decay).learningRate, 0.01)
    }

    func testSchedulersScaleEachGroupFromItsOwnBaseRate() {
        let optimizer = SGD(groups: [ParameterGroup(parameters: [Parameter(Tensor.zeros([1]))], learningRate: 0.1),
                                     ParameterGroup(parameters: [Parameter(Tensor.zeros([1]))], learningRate: 0.01)])
        let scheduler = StepLR(optimizer: optimizer, stepSize: 1, gamma: 0.5)
        XCTAssertEqual(optimizer.groups.map(\.initialLearningRate), [0.1, 0.01])
        scheduler.step()
        XCTAssertEqual(optimizer.groups.map(\.learningRate), [0.05, 0.005])
        XCTAssertEqual(scheduler.lastLearningRates, [0.05, 0.005])
        XCTAssertEqual(scheduler.baseLearningRate, 0.1)
    }

    func testClipGradValueMatchesPyTorch() {
        for fixture in OptimFixtures.shared.clipGradValue {
            let parameters = fixture.grads.map { grad -> Parameter in
                let parameter = Parameter(Tensor.zeros(grad?.shape ?? [2]))
                parameter.grad = grad?.tensor()
                return parameter
            }
            clipGradValue(parameters, clipValue: Float(fixture.clipValue))
            for (index, (parameter, expected)) in zip(parameters, fixture.clippedGrads).enumerated() {
                assertClose(parameter.grad, expected, atol: 0, rtol: 0, "\(fixture.name) gradient \(index)")
            }
        }
    }
}
