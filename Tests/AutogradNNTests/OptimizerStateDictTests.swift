import Foundation
import XCTest
import Autograd

/// Saving and loading optimizer and scheduler state: training resumed from a saved state
/// gives bit for bit the parameters of training that never stopped, and a state that does
/// not fit is refused with the optimizer left as it was.
final class OptimizerStateDictTests: XCTestCase {
    /// A tiny model: a 3×4 weight, a bias and a 2-element scale, with fixed values.
    private func makeParameters() -> [Parameter] {
        [Parameter(Tensor(shape: [3, 4], scalars: (0..<12).map { Float(Foundation.sin(Double($0) + 1)) / 2 })),
         Parameter(Tensor(shape: [4], scalars: [0.1, -0.2, 0.3, -0.4])),
         Parameter(Tensor(shape: [2], scalars: [1.5, -0.5]))]
    }

    /// Backward through a squared error of the model on batch `step`.
    private func computeGradients(_ parameters: [Parameter], step: Int) {
        let x = Tensor(shape: [5, 3], scalars: (0..<15).map { Float(Foundation.cos(Double($0 * (step + 2)))) })
        let target = Tensor(shape: [5, 4], scalars: (0..<20).map { Float(Foundation.sin(Double($0 + step))) })
        let prediction = x.matmul(parameters[0]) + parameters[1]
        let loss = ((prediction - target) ** 2).mean() + (parameters[2] * parameters[2]).sum() * 0.1
        loss.backward()
    }

    /// An optimizer and a scheduler of one kind over `parameters`, grouped in two.
    private typealias Setup = (name: String, make: ([Parameter]) -> (any Optimizer, Scheduling))

    /// An epoch scheduler or a plateau scheduler.
    private enum Scheduling {
        case epochs(any LRScheduler), plateau(ReduceLROnPlateau), none

        func step(_ number: Int) {
            switch self {
            case .epochs(let scheduler): scheduler.step()
            case .plateau(let scheduler): scheduler.step(metric: [1.0, 0.9, 0.95, 0.97, 0.96, 0.99, 0.98, 1.1, 1.2, 1.0][number % 10])
            case .none: break
            }
        }

        func stateDict() -> StateDict {
            switch self {
            case .epochs(let scheduler): return scheduler.stateDict()
            case .plateau(let scheduler): return scheduler.stateDict()
            case .none: return StateDict()
            }
        }

        func load(_ state: StateDict) throws {
            switch self {
            case .epochs(let scheduler): try scheduler.load(stateDict: state)
            case .plateau(let scheduler): try scheduler.load(stateDict: state)
            case .none: break
            }
        }
    }

    private func twoGroups(_ parameters: [Parameter], decay: Float = 0.1) -> [ParameterGroup] {
        [ParameterGroup(parameters: [parameters[0]], weightDecay: decay),
         ParameterGroup(parameters: Array(parameters[1...]), learningRate: 0.02, weightDecay: 0)]
    }

    private var setups: [Setup] {
        [
            ("AdamW + SequentialLR", { p in
                let optimizer = AdamW(groups: self.twoGroups(p), learningRate: 0.01, betas: (0.9, 0.95))
                let warmup = LinearLR(optimizer: optimizer, startFactor: 0.2, totalIters: 3)
                let decay = CosineAnnealingLR(optimizer: optimizer, tMax: 6, etaMin: 1e-3)
                return (optimizer, .epochs(SequentialLR(optimizer: optimizer, schedulers: [warmup, decay], milestones: [3])))
            }),
            ("Adam amsgrad + OneCycleLR", { p in
                let optimizer = Adam(groups: self.twoGroups(p), learningRate: 0.01, weightDecay: 0.01, amsgrad: true)
                return (optimizer, .epochs(OneCycleLR(optimizer: optimizer, maxLR: 0.05, totalSteps: 12)))
            }),
            ("SGD nesterov + OneCycleLR", { p in
                let optimizer = SGD(groups: self.twoGroups(p), learningRate: 0.05, momentum: 0.9, nesterov: true)
                return (optimizer, .epochs(OneCycleLR(optimizer: optimizer, maxLR: 0.1, totalSteps: 12, annealStrategy: .linear,
                                                      threePhase: true)))
            }),
            ("RMSprop centered + StepLR", { p in
                let optimizer = RMSprop(groups: self.twoGroups(p), momentum: 0.5, centered: true)
                return (optimizer, .epochs(StepLR(optimizer: optimizer, stepSize: 2, gamma: 0.5)))
            }),
            ("Adagrad + MultiStepLR", { p in
                let optimizer = Adagrad(groups: self.twoGroups(p), learningRate: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1)
                return (optimizer, .epochs(MultiStepLR(optimizer: optimizer, milestones: [2, 5, 5])))
            }),
            ("Adadelta + ExponentialLR", { p in
                let optimizer = Adadelta(groups: self.twoGroups(p))
                return (optimizer, .epochs(ExponentialLR(optimizer: optimizer, gamma: 0.9)))
            }),
            ("SGD + LambdaLR", { p in
                let optimizer = SGD(groups: self.twoGroups(p), learningRate: 0.05, momentum: 0.5, dampening: 0.1)
                return (optimizer, .epochs(LambdaLR(optimizer: optimizer) { epoch in 1 / Double(epoch + 1) }))
            }),
            ("Adam + ReduceLROnPlateau", { p in
                let optimizer = Adam(groups: self.twoGroups(p), learningRate: 0.02)
                return (optimizer, .plateau(ReduceLROnPlateau(optimizer: optimizer, factor: 0.5, patience: 1, cooldown: 1)))
            }),
            ("AdamW maximize alone", { p in
                (AdamW(groups: self.twoGroups(p), maximize: true), .none)
            }),
        ]
    }

    /// Takes `count` steps from step number `first`: gradients, optimizer step, scheduler step.
    private func train(_ parameters: [Parameter], _ optimizer: any Optimizer, _ scheduling: Scheduling, from first: Int, count: Int) {
        for step in first..<(first + count) {
            optimizer.zeroGrad()
            computeGradients(parameters, step: step)
            optimizer.step()
            scheduling.step(step)
        }
    }

    func testResumingFromASavedStateIsBitIdentical() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("optim-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for setup in setups {
            let parameters = makeParameters()
            let (optimizer, scheduling) = setup.make(parameters)
            train(parameters, optimizer, scheduling, from: 0, count: 4)
            let saved = optimizer.stateDict().prefixed("optimizer").merging(scheduling.stateDict().prefixed("scheduler"))
                .merging(StateDict(tensors: Dictionary(uniqueKeysWithValues: parameters.enumerated().map {
                    ("model.\($0.offset)", Tensor(shape: $0.element.shape, scalars: $0.element.scalars))
                })))
            let url = directory.appendingPathComponent("checkpoint.safetensors")
            try saved.save(to: url)
            train(parameters, optimizer, scheduling, from: 4, count: 5)

            let restoredParameters = makeParameters()
            let (restored, restoredScheduling) = setup.make(restoredParameters)
            let file = try StateDict(contentsOf: url)
            XCTAssertEqual(file.keys, saved.keys, setup.name)
            for (index, parameter) in restoredParameters.enumerated() {
                noGrad { parameter.copy(from: file.tensors["model.\(index)"]!) }
            }
            try restored.load(stateDict: file.scoped(to: "optimizer"))
            try restoredScheduling.load(file.scoped(to: "scheduler"))
            train(restoredParameters, restored, restoredScheduling, from: 4, count: 5)
            for (index, (resumed, original)) in zip(restoredParameters, parameters).enumerated() {
                XCTAssertEqual(resumed.scalars, original.scalars, "\(setup.name): parameter \(index) after resuming")
            }
            XCTAssertEqual(restored.groups.map(\.learningRate), optimizer.groups.map(\.learningRate), setup.name)
            let final = optimizer.stateDict(), restoredFinal = restored.stateDict()
            XCTAssertEqual(restoredFinal.scalars, final.scalars, setup.name)
            XCTAssertEqual(restoredFinal.keys, final.keys, setup.name)
            for (key, tensor) in final.tensors { XCTAssertEqual(restoredFinal.tensors[key]?.scalars, tensor.scalars, "\(setup.name) \(key)") }
        }
    }

    func testStateDictNamesFollowPyTorch() {
        let parameters = makeParameters()
        let optimizer = AdamW(groups: twoGroups(parameters), learningRate: 0.01)
        XCTAssertTrue(optimizer.stateDict().tensors.isEmpty, "no state before the first step")
        _ = StepLR(optimizer: optimizer, stepSize: 3)
        computeGradients(parameters, step: 0)
        parameters[2].grad = nil
        optimizer.step()
        let state = optimizer.stateDict()
        XCTAssertEqual(state.tensors.keys.sorted(), ["state.0.exp_avg", "state.0.exp_avg_sq", "state.1.exp_avg", "state.1.exp_avg_sq"])
        XCTAssertEqual(state.scalars["state.0.step"], 1)
        XCTAssertNil(state.scalars["state.2.step"])
        XCTAssertEqual(state.scalars["param_groups.0.weight_decay"], 0.1)
        XCTAssertEqual(state.scalars["param_groups.1.lr"], 0.02)
        XCTAssertEqual(state.scalars["param_groups.1.initial_lr"], 0.02)
        XCTAssertEqual(state.scalars["param_groups.1.num_params"], 2)
        XCTAssertEqual(state.scalars["betas.1"], 0.999)
        XCTAssertEqual(state.scalars["decoupled_weight_decay"], 1)
        // The returned tensors are copies.
        let before = state.tensors["state.0.exp_avg"]!.scalars
        computeGradients(parameters, step: 1)
        optimizer.step()
        XCTAssertEqual(state.tensors["state.0.exp_avg"]!.scalars, before)
    }

    func testStateThatDoesNotFitIsRefusedAndNothingChanges() {
        let parameters = makeParameters()
        let optimizer = Adam(groups: twoGroups(parameters), learningRate: 0.01)
        computeGradients(parameters, step: 0)
        optimizer.step()
        let good = optimizer.stateDict()
        let other = makeParameters()
        computeGradients(other, step: 1)
        let target = Adam(groups: twoGroups(other), learningRate: 0.5)
        target.step()
        let untouched = target.stateDict()

        func refuses(_ dict: StateDict, into optimizer: any Optimizer, _ expected: StateDictError, _ message: String) {
            let before = optimizer.stateDict()
            XCTAssertThrowsError(try optimizer.load(stateDict: dict), message) { error in
                XCTAssertEqual(error as? StateDictError, expected, message)
                XCTAssertFalse("\(error)".isEmpty)
            }
            let after = optimizer.stateDict()
            XCTAssertEqual(after.scalars, before.scalars, message)
            XCTAssertEqual(after.tensors.mapValues(\.scalars), before.tensors.mapValues(\.scalars), message)
        }

        let oneGroup = Adam(parameters: other, learningRate: 0.01)
        refuses(good, into: oneGroup, .groupCountMismatch(stateDict: 2, optimizer: 1), "one group")
        let regrouped = Adam(groups: [ParameterGroup(parameters: Array(other[..<2])), ParameterGroup(parameters: [other[2]])])
        refuses(good, into: regrouped, .groupSizeMismatch(group: 0, stateDict: 1, optimizer: 2), "other sizes")
        var wrongShape = good
        wrongShape.tensors["state.1.exp_avg"] = Tensor.zeros([5])
        refuses(wrongShape, into: target, .shapeMismatch(name: "state.1.exp_avg", stateDict: [5], parameter: [4]), "shape")
        var missing = good
        missing.scalars["eps"] = nil
        refuses(missing, into: target, .missingKeys(["eps"]), "missing")
        var extra = good
        extra.tensors["state.0.momentum_buffer"] = Tensor.zeros([3, 4])
        refuses(extra, into: target, .unexpectedKeys(["state.0.momentum_buffer"]), "unexpected")
        var fractional = good
        fractional.scalars["state.0.step"] = 1.5
        refuses(fractional, into: target,
                .invalidValue(name: "state.0.step", reason: "expected a whole number of at least 0, got 1.5"), "fractional step")
        let adamW = AdamW(groups: twoGroups(makeParameters()))
        refuses(good, into: adamW, .configurationMismatch(name: "optimizer", stateDict: "Adam", current: "AdamW (decoupled weight decay)"),
                "Adam into AdamW")
        let sgd = SGD(groups: twoGroups(makeParameters()), momentum: 0.9)
        XCTAssertThrowsError(try sgd.load(stateDict: good)) { error in
            guard case .missingKeys(let keys) = error as? StateDictError else { return XCTFail("\(error)") }
            XCTAssertEqual(keys, ["dampening", "momentum", "nesterov"])
        }
        XCTAssertEqual(target.stateDict().scalars, untouched.scalars)
        XCTAssertNoThrow(try target.load(stateDict: good))
        XCTAssertEqual(target.groups.map(\.learningRate), [0.01, 0.02])
    }

    func testSchedulerStateThatDoesNotFitIsRefused() {
        let optimizer = SGD(groups: twoGroups(makeParameters()), learningRate: 0.1)
        let scheduler = StepLR(optimizer: optimizer, stepSize: 2, gamma: 0.5)
        scheduler.step()
        let saved = scheduler.stateDict()
        XCTAssertEqual(saved.scalars["last_epoch"], 1)
        XCTAssertEqual(saved.scalars["base_lrs.1"], 0.02)
        let otherOptimizer = SGD(groups: twoGroups(makeParameters()), learningRate: 0.1)
        let otherGamma = StepLR(optimizer: otherOptimizer, stepSize: 2, gamma: 0.1)
        XCTAssertThrowsError(try otherGamma.load(stateDict: saved)) { error in
            XCTAssertEqual(error as? StateDictError, .configurationMismatch(name: "gamma", stateDict: "0.5", current: "0.1"))
        }
        XCTAssertEqual(otherGamma.epoch, 0)
        let oneGroup = StepLR(optimizer: SGD(parameters: makeParameters(), learningRate: 0.1), stepSize: 2, gamma: 0.5)
        XCTAssertThrowsError(try oneGroup.load(stateDict: saved)) { error in
            XCTAssertEqual(error as? StateDictError, .groupCountMismatch(stateDict: 2, optimizer: 1))
        }
        let plateau = ReduceLROnPlateau(optimizer: optimizer)
        XCTAssertThrowsError(try plateau.load(stateDict: saved))
        let plateauState = plateau.stateDict()
        XCTAssertEqual(plateauState.scalars["best"], .infinity)
        let sequence = SequentialLR(optimizer: otherOptimizer, schedulers: [StepLR(optimizer: otherOptimizer, stepSize: 2, gamma: 0.5),
                                                                             ExponentialLR(optimizer: otherOptimizer, gamma: 0.5)],
                                    milestones: [3])
        var broken = sequence.stateDict()
        broken.scalars["_schedulers.1.gamma"] = 0.7
        let before = sequence.stateDict()
        XCTAssertThrowsError(try sequence.load(stateDict: broken))
        XCTAssertEqual(sequence.stateDict().scalars, before.scalars)
    }

    func testStateDictFilesKeepEveryValueExactly() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let dict = StateDict(tensors: ["a.b": Tensor([1.5, -2.25]), "c": Tensor([[1, 2]], dtype: .float64)],
                             scalars: ["lr": 0.1, "best": -.infinity, "third": 1.0 / 3, "tiny": Double.leastNonzeroMagnitude, "step": 12])
        try dict.save(to: url)
        let read = try StateDict(contentsOf: url)
        XCTAssertEqual(read.scalars, dict.scalars)
        XCTAssertEqual(read.tensors["a.b"]?.scalars, [1.5, -2.25])
        XCTAssertEqual(read.tensors["c"]?.dtype, .float64)
        XCTAssertEqual(dict.prefixed("x").scoped(to: "x").keys, dict.keys)
        XCTAssertEqual(dict.prefixed("x").keys, ["x.a.b", "x.best", "x.c", "x.lr", "x.step", "x.third", "x.tiny"])
        let file = try Safetensors.decode(Safetensors.encode([], metadata: ["lr": "fast"]))
        XCTAssertThrowsError(try StateDict(file))
    }
}
