import AutogradCore
import AutogradEngine

/// An optimizer's own hyperparameters (those not in ``ParameterGroup``), as they go into
/// and come out of a state dict.
protocol OptimizerOptions {
    /// The hyperparameters under PyTorch's names; flags are 0 or 1, pairs `name.0`, `name.1`.
    var scalars: [String: Double] { get }
    /// Reads the hyperparameters back; absent keys are noted as missing in `reader`.
    init?(reading reader: inout StateDictReader) throws(StateDictError)
    /// Whether a state saved with `saved` may be loaded into an optimizer with these
    /// options; throws when they belong to different kinds of optimizer.
    func checkLoadable(_ saved: Self) throws(StateDictError)
    /// The names of the per-parameter state tensors, as PyTorch names them.
    static var stateNames: Set<String> { get }
}

extension OptimizerOptions {
    func checkLoadable(_ saved: Self) throws(StateDictError) {}
}

/// One parameter's state: its step count and its buffers under PyTorch's names
/// (`exp_avg`, `momentum_buffer`, ...), made on its first step.
struct ParameterState {
    /// The number of steps this parameter has taken.
    var step = 0
    /// The buffers by name.
    var tensors: [String: Tensor] = [:]

    /// The buffer `name`, made like `parameter` and filled with `value` if it does not exist yet.
    mutating func buffer(_ name: String, like parameter: Tensor, filledWith value: Float = 0) -> Tensor {
        if let existing = tensors[name] { return existing }
        let made = Tensor(repeating: value, shape: parameter.shape, dtype: parameter.dtype)
        tensors[name] = made
        return made
    }
}

/// What every optimizer keeps: its groups, its hyperparameters, and each parameter's state
/// (by position over all groups); and how these become a state dict and come back.
struct OptimizerCore<Options: OptimizerOptions> {
    /// The optimizer's hyperparameters.
    var options: Options
    /// The groups, every option filled in.
    private(set) var groups: [ParameterGroup]
    /// Each parameter's state, nil before its first step.
    private var states: [ParameterState?]

    /// Groups resolved against the optimizer's arguments, checked as `torch.optim.Optimizer`
    /// checks them.
    init(groups: [ParameterGroup], learningRate: Float, weightDecay: Float, options: Options) {
        checkUsage(learningRate >= 0, "Invalid learning rate: \(learningRate)")
        checkUsage(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        let resolved = groups.map {
            $0.resolved(learningRate: Double(decimal: learningRate), weightDecay: Double(decimal: weightDecay), checked: true)
        }
        let parameters = resolved.flatMap(\.parameters)
        checkUsage(!parameters.isEmpty, "optimizer got an empty parameter list")
        checkUsage(Set(parameters.map(ObjectIdentifier.init)).count == parameters.count,
                   "some parameters appear in more than one parameter group")
        self.options = options
        self.groups = resolved
        states = Array(repeating: nil, count: parameters.count)
    }

    /// Replaces the groups' options; the parameters must stay as they are.
    mutating func setGroups(_ newGroups: [ParameterGroup]) {
        checkUsage(newGroups.count == groups.count && zip(newGroups, groups).allSatisfy { new, old in
            new.parameters.count == old.parameters.count && zip(new.parameters, old.parameters).allSatisfy { $0 === $1 }
        }, "optimizer groups: the parameters of a group cannot be changed, only its options")
        groups = zip(newGroups, groups).map { new, old in
            new.resolved(learningRate: old.lr!, weightDecay: old.decay!, checked: false)
        }
    }

    /// Runs `update` for every parameter that has a gradient, with its group, its gradient
    /// (negated when `maximize`) and its state, inside `noGrad`.
    mutating func forEachGradient(
        maximize: Bool, _ update: (ParameterGroup, Parameter, Tensor, inout ParameterState) -> Void
    ) {
        noGrad {
            var index = 0
            for group in groups {
                for parameter in group.parameters {
                    defer { index += 1 }
                    guard let grad = parameter.grad else { continue }
                    var state = states[index] ?? ParameterState()
                    update(group, parameter, maximize ? -grad : grad, &state)
                    states[index] = state
                }
            }
        }
    }

    /// The state dict: hyperparameters, `param_groups.G.{lr, weight_decay, initial_lr, num_params}`,
    /// and `state.I.step` and `state.I.<buffer>` for each parameter that has state.
    func stateDict() -> StateDict {
        var dict = StateDict(scalars: options.scalars)
        for (number, group) in groups.enumerated() {
            dict.scalars["param_groups.\(number).lr"] = group.lr
            dict.scalars["param_groups.\(number).weight_decay"] = group.decay
            dict.scalars["param_groups.\(number).initial_lr"] = group.initialLR
            dict.scalars["param_groups.\(number).num_params"] = Double(group.parameters.count)
        }
        for (index, state) in states.enumerated() {
            guard let state else { continue }
            dict.scalars["state.\(index).step"] = Double(state.step)
            for (name, tensor) in state.tensors { dict.tensors["state.\(index).\(name)"] = stateCopy(tensor) }
        }
        return dict
    }

    /// Loads `dict` after checking all of it; on error nothing changes.
    mutating func load(_ dict: StateDict) throws(StateDictError) {
        let groupNumbers = Set(dict.keys.compactMap { key -> Int? in
            let parts = key.split(separator: ".")
            return parts.count == 3 && parts[0] == "param_groups" ? Int(parts[1]) : nil
        })
        if groupNumbers.count != groups.count || groupNumbers != Set(groups.indices) {
            throw .groupCountMismatch(stateDict: groupNumbers.count, optimizer: groups.count)
        }
        var reader = StateDictReader(dict)
        var loadedGroups = groups
        for (number, group) in groups.enumerated() {
            let prefix = "param_groups.\(number)."
            if let count = try reader.integer(prefix + "num_params"), count != group.parameters.count {
                throw .groupSizeMismatch(group: number, stateDict: count, optimizer: group.parameters.count)
            }
            loadedGroups[number].lr = reader.scalar(prefix + "lr")
            loadedGroups[number].decay = reader.scalar(prefix + "weight_decay")
            loadedGroups[number].initialLR = reader.optionalScalar(prefix + "initial_lr")
        }
        let loadedOptions = try Options(reading: &reader)
        var loadedStates = states
        let parameters = groups.flatMap(\.parameters)
        for (index, parameter) in parameters.enumerated() {
            let prefix = "state.\(index)."
            guard dict.scalars[prefix + "step"] != nil else {
                loadedStates[index] = nil
                continue
            }
            var state = ParameterState(step: try reader.integer(prefix + "step") ?? 0)
            for name in Options.stateNames {
                guard let tensor = reader.tensor(prefix + name) else { continue }
                guard tensor.shape == parameter.shape else {
                    throw .shapeMismatch(name: prefix + name, stateDict: tensor.shape, parameter: parameter.shape)
                }
                state.tensors[name] = stateCopy(tensor, dtype: parameter.dtype)
            }
            loadedStates[index] = state
        }
        try reader.finish()
        guard let loadedOptions else { throw .missingKeys([]) }
        try options.checkLoadable(loadedOptions)
        options = loadedOptions
        groups = loadedGroups
        states = loadedStates
    }
}
