import Foundation
import XCTest
import Autograd

/// A JSON value of a fixture's free-form settings.
enum JSONValue: Decodable {
    case number(Double), flag(Bool), text(String), list([JSONValue]), object([String: JSONValue]), null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let list = try? container.decode([JSONValue].self) {
            self = .list(list)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var double: Double? { if case .number(let x) = self { return x } else { return nil } }
    var float: Float? { double.map { Float($0) } }
    var int: Int? { double.map { Int($0) } }
    var bool: Bool? { if case .flag(let x) = self { return x } else { return nil } }
    var text: String? { if case .text(let x) = self { return x } else { return nil } }
    var list: [JSONValue]? { if case .list(let x) = self { return x } else { return nil } }
    var object: [String: JSONValue]? { if case .object(let x) = self { return x } else { return nil } }
    var floats: [Float]? { list?.compactMap(\.float) }
    var betas: (Float, Float)? { floats.map { ($0[0], $0[1]) } }
}

/// The contents of `Fixtures/optim.json`, written by `Scripts/fixtures/make_optim_fixtures.py`.
struct OptimFixtures: Decodable {
    struct Group: Decodable { let params: [Int], options: [String: Double] }
    struct OptimizerCase: Decodable {
        struct Step: Decodable { let setLRs: [Double]?, grads: [TensorFixture?], params: [TensorFixture] }
        let name: String, kind: String, config: [String: JSONValue], groups: [Group]
        let initial: [TensorFixture], steps: [Step], finalState: [String: [String: StateValue]]
    }
    /// An entry of a parameter's state in PyTorch's `state_dict()`: the step count or a buffer.
    enum StateValue: Decodable {
        case number(Double), tensor(TensorFixture)

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .tensor(try container.decode(TensorFixture.self))
            }
        }
    }
    struct SchedulerCase: Decodable {
        let name: String, kind: String, optimizer: String, groupLRs: [Double], optimizerConfig: [String: JSONValue]
        let config: [String: JSONValue], metrics: [Double]?, initialLRs: [Double], lrs: [[Double]], momentum: [Double]?
    }
    struct ClipValueCase: Decodable {
        let name: String, clipValue: Double, grads: [TensorFixture?], clippedGrads: [TensorFixture?]
    }

    let optimizers: [OptimizerCase], schedulers: [SchedulerCase], clipGradValue: [ClipValueCase]

    /// Loads the fixtures once per test run.
    static let shared: OptimFixtures = {
        let url = Bundle.module.url(forResource: "optim", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(OptimFixtures.self, from: Data(contentsOf: url))
    }()
}

/// Builds the optimizer a fixture names, from PyTorch's keyword arguments.
func makeOptimizer(_ kind: String, _ config: [String: JSONValue], groups: [ParameterGroup]) -> any Optimizer {
    let c = config
    let maximize = c["maximize"]?.bool ?? false
    switch kind {
    case "SGD":
        return SGD(groups: groups, learningRate: c["lr"]?.float ?? 1e-3, momentum: c["momentum"]?.float ?? 0,
                   dampening: c["dampening"]?.float ?? 0, weightDecay: c["weight_decay"]?.float ?? 0,
                   nesterov: c["nesterov"]?.bool ?? false, maximize: maximize)
    case "Adam":
        return Adam(groups: groups, learningRate: c["lr"]?.float ?? 1e-3, betas: c["betas"]?.betas ?? (0.9, 0.999),
                    eps: c["eps"]?.float ?? 1e-8, weightDecay: c["weight_decay"]?.float ?? 0,
                    amsgrad: c["amsgrad"]?.bool ?? false, maximize: maximize)
    case "AdamW":
        return AdamW(groups: groups, learningRate: c["lr"]?.float ?? 1e-3, betas: c["betas"]?.betas ?? (0.9, 0.999),
                     eps: c["eps"]?.float ?? 1e-8, weightDecay: c["weight_decay"]?.float ?? 1e-2,
                     amsgrad: c["amsgrad"]?.bool ?? false, maximize: maximize)
    case "RMSprop":
        return RMSprop(groups: groups, learningRate: c["lr"]?.float ?? 1e-2, alpha: c["alpha"]?.float ?? 0.99,
                       eps: c["eps"]?.float ?? 1e-8, weightDecay: c["weight_decay"]?.float ?? 0,
                       momentum: c["momentum"]?.float ?? 0, centered: c["centered"]?.bool ?? false, maximize: maximize)
    case "Adagrad":
        return Adagrad(groups: groups, learningRate: c["lr"]?.float ?? 1e-2, lrDecay: c["lr_decay"]?.float ?? 0,
                       weightDecay: c["weight_decay"]?.float ?? 0,
                       initialAccumulatorValue: c["initial_accumulator_value"]?.float ?? 0,
                       eps: c["eps"]?.float ?? 1e-10, maximize: maximize)
    case "Adadelta":
        return Adadelta(groups: groups, learningRate: c["lr"]?.float ?? 1, rho: c["rho"]?.float ?? 0.9,
                        eps: c["eps"]?.float ?? 1e-6, weightDecay: c["weight_decay"]?.float ?? 0, maximize: maximize)
    default: fatalError("unknown optimizer \(kind)")
    }
}

/// The learning-rate functions the fixture script names.
func fixtureLambda(_ name: String) -> (Int) -> Double {
    switch name {
    case "pow95": return { epoch in Foundation.pow(0.95, Double(epoch)) }
    case "warmup5": return { epoch in Swift.min(1.0, Double(epoch + 1) / 5) }
    default: fatalError("unknown lambda \(name)")
    }
}

/// Builds the epoch scheduler a fixture names, from PyTorch's keyword arguments.
func makeScheduler(_ kind: String, _ config: [String: JSONValue], optimizer: any Optimizer) -> any LRScheduler {
    let c = config
    switch kind {
    case "StepLR":
        return StepLR(optimizer: optimizer, stepSize: c["step_size"]!.int!, gamma: c["gamma"]?.float ?? 0.1)
    case "MultiStepLR":
        return MultiStepLR(optimizer: optimizer, milestones: c["milestones"]!.list!.map { $0.int! }, gamma: c["gamma"]?.float ?? 0.1)
    case "ExponentialLR":
        return ExponentialLR(optimizer: optimizer, gamma: c["gamma"]!.float!)
    case "CosineAnnealingLR":
        return CosineAnnealingLR(optimizer: optimizer, tMax: c["T_max"]!.int!, etaMin: c["eta_min"]?.float ?? 0)
    case "LambdaLR":
        if let names = c["lr_lambda"]!.list {
            return LambdaLR(optimizer: optimizer, lrLambdas: names.map { fixtureLambda($0.text!) })
        }
        return LambdaLR(optimizer: optimizer, lrLambda: fixtureLambda(c["lr_lambda"]!.text!))
    case "LinearLR":
        return LinearLR(optimizer: optimizer, startFactor: c["start_factor"]?.float ?? 1.0 / 3,
                        endFactor: c["end_factor"]?.float ?? 1, totalIters: c["total_iters"]?.int ?? 5)
    case "OneCycleLR":
        let strategy = OneCycleLR.AnnealStrategy(rawValue: c["anneal_strategy"]?.text ?? "cos")!
        let maxLRs = c["max_lr"]!.floats ?? Array(repeating: c["max_lr"]!.float!, count: optimizer.groups.count)
        return OneCycleLR(optimizer: optimizer, maxLRs: maxLRs, totalSteps: c["total_steps"]!.int!,
                          pctStart: c["pct_start"]?.float ?? 0.3, annealStrategy: strategy,
                          cycleMomentum: c["cycle_momentum"]?.bool ?? true, baseMomentum: c["base_momentum"]?.float ?? 0.85,
                          maxMomentum: c["max_momentum"]?.float ?? 0.95, divFactor: c["div_factor"]?.float ?? 25,
                          finalDivFactor: c["final_div_factor"]?.float ?? 1e4, threePhase: c["three_phase"]?.bool ?? false)
    case "SequentialLR":
        let schedulers = c["schedulers"]!.list!.map { entry in
            makeScheduler(entry.object!["kind"]!.text!, entry.object!["config"]!.object!, optimizer: optimizer)
        }
        return SequentialLR(optimizer: optimizer, schedulers: schedulers, milestones: c["milestones"]!.list!.map { $0.int! })
    default: fatalError("unknown scheduler \(kind)")
    }
}

/// Builds the plateau scheduler of a fixture.
func makePlateauScheduler(_ config: [String: JSONValue], optimizer: any Optimizer) -> ReduceLROnPlateau {
    let c = config
    let minLRs = c["min_lr"]?.floats ?? Array(repeating: c["min_lr"]?.float ?? 0, count: optimizer.groups.count)
    return ReduceLROnPlateau(
        optimizer: optimizer, mode: ReduceLROnPlateau.Mode(rawValue: c["mode"]?.text ?? "min")!,
        factor: c["factor"]?.float ?? 0.1, patience: c["patience"]?.int ?? 10, threshold: c["threshold"]?.float ?? 1e-4,
        thresholdMode: ReduceLROnPlateau.ThresholdMode(rawValue: c["threshold_mode"]?.text ?? "rel")!,
        cooldown: c["cooldown"]?.int ?? 0, minLRs: minLRs, eps: c["eps"]?.float ?? 1e-8)
}

/// Asserts `actual` is within a relative `tolerance` of `expected`.
func assertRelativelyClose(
    _ actual: Double, _ expected: Double, _ tolerance: Double, _ message: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let scale = Swift.max(Swift.abs(expected), 1e-30)
    XCTAssert(Swift.abs(actual - expected) <= tolerance * scale, "\(message): \(actual), PyTorch gives \(expected)",
              file: file, line: line)
}
