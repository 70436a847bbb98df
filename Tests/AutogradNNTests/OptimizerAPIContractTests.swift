import Foundation
import XCTest
import Autograd

/// The optimizer and scheduler API as its contract spells it, written as a port of nanoGPT's,
/// word_language_model's and mnist's training code would write it. If any of these names
/// change, this file stops compiling.
final class OptimizerAPIContractTests: XCTestCase {
    func testTheOptimizerAPICompilesAndBehaves() throws {
        let model = Sequential(Linear(inFeatures: 4, outFeatures: 8), ReLU(), Linear(inFeatures: 8, outFeatures: 2))
        let decay = model.parameters().filter { $0.shape.count >= 2 }
        let noDecay = model.parameters().filter { $0.shape.count < 2 }
        // nanoGPT's configure_optimizers and its learning-rate loop.
        let optimizer = AdamW(groups: [ParameterGroup(parameters: decay, weightDecay: 0.1),
                                       ParameterGroup(parameters: noDecay, weightDecay: 0.0)],
                              learningRate: 1e-3, betas: (0.9, 0.99))
        for index in optimizer.groups.indices { optimizer.groups[index].learningRate = 5e-4 }
        XCTAssertEqual(optimizer.learningRate, 5e-4)
        optimizer.learningRate = 1e-3
        XCTAssertEqual(optimizer.groups[1].learningRate, 1e-3)
        XCTAssertEqual(optimizer.groups[0].weightDecay, 0.1)

        let x = Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0) / 12 })
        optimizer.zeroGrad()
        model(x).sum().backward()
        clipGradNorm(model.parameters(), maxNorm: 1.0)
        clipGradValue(model.parameters(), clipValue: 0.5)
        optimizer.step()

        // mnist/main.py: Adadelta with StepLR.
        let adadelta = Adadelta(parameters: model.parameters(), learningRate: 1.0)
        let stepLR = StepLR(optimizer: adadelta, stepSize: 1, gamma: 0.7)
        stepLR.step()
        XCTAssertEqual(adadelta.learningRate, 0.7, accuracy: 1e-7)

        let adagrad = Adagrad(groups: [ParameterGroup(parameters: decay, learningRate: 0.1)], learningRate: 0.01, lrDecay: 0,
                              weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10)
        let schedulers: [any LRScheduler] = [
            LambdaLR(optimizer: adagrad, lrLambda: { epoch in 1.0 / Double(epoch + 1) }),
            MultiStepLR(optimizer: adagrad, milestones: [2, 4], gamma: 0.1),
            ExponentialLR(optimizer: adagrad, gamma: 0.9),
            LinearLR(optimizer: adagrad, startFactor: 1.0 / 3, endFactor: 1.0, totalIters: 5),
            CosineAnnealingLR(optimizer: adagrad, tMax: 10, etaMin: 0),
        ]
        let sequential = SequentialLR(optimizer: adagrad, schedulers: [schedulers[3], schedulers[4]], milestones: [5])
        sequential.step()
        XCTAssertEqual(sequential.epoch, 1)
        let sgd = SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9)
        let oneCycle = OneCycleLR(optimizer: sgd, maxLR: 0.1, totalSteps: 10, pctStart: 0.3, annealStrategy: .cos,
                                  cycleMomentum: true, divFactor: 25, finalDivFactor: 1e4)
        oneCycle.step()
        let plateau = ReduceLROnPlateau(optimizer: sgd, mode: .min, factor: 0.1, patience: 10, threshold: 1e-4,
                                        cooldown: 0, minLR: 0)
        plateau.step(metric: 0.5)

        let state: StateDict = optimizer.stateDict().prefixed("optimizer")
            .merging(oneCycle.stateDict().prefixed("scheduler"))
        try optimizer.load(stateDict: state.scoped(to: "optimizer"))
        try oneCycle.load(stateDict: state.scoped(to: "scheduler"))
        XCTAssertThrowsError(try sgd.load(stateDict: state.scoped(to: "optimizer"))) { error in
            XCTAssertNotNil(error as? StateDictError)
        }
        XCTAssertEqual(Set(plateau.stateDict().keys).isSuperset(of: ["best", "num_bad_epochs", "cooldown_counter"]), true)
        _ = RMSprop(groups: [ParameterGroup(parameters: decay)], learningRate: 0.01)
        _ = Adam(groups: [ParameterGroup(parameters: decay)], learningRate: 0.01)
        _ = SGD(groups: [ParameterGroup(parameters: decay)], learningRate: 0.01)
    }
}
