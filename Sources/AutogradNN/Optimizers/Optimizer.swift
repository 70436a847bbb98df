import AutogradEngine

/// Updates parameters from their gradients, like `torch.optim.Optimizer`: call
/// ``step()`` after `backward()`, and ``zeroGrad()`` before the next one.
/// ```swift
/// let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
/// for (images, labels) in loader {
///     optimizer.zeroGrad()
///     let loss = crossEntropy(model(images), labels)
///     loss.backward()
///     optimizer.step()
/// }
/// ```
/// The parameters are in ``groups``, each with its own learning rate and weight decay
/// (one group when the optimizer is made from a plain parameter list). Parameters whose
/// `grad` is nil (frozen with `requiresGrad = false`, or unused) are skipped, as in PyTorch.
///
/// ``stateDict()`` and ``load(stateDict:)`` save and restore everything a step depends on
/// (the groups' options, each parameter's step count and buffers), so training resumes
/// exactly where it stopped.
public protocol Optimizer: AnyObject {
    /// The parameter groups with their options, like `param_groups`. Options can be changed
    /// (`optimizer.groups[0].learningRate = 1e-4`); the parameters of a group cannot.
    var groups: [ParameterGroup] { get set }
    /// Updates every parameter that has a gradient.
    func step()
    /// The optimizer's state: the groups' options, the hyperparameters, and for each
    /// parameter that has taken a step its step count and buffers (copies), keyed by the
    /// parameter's position over all groups, as in PyTorch.
    func stateDict() -> StateDict
    /// Restores a state that ``stateDict()`` returned from an optimizer of the same kind
    /// over parameters of the same shapes, grouped the same way.
    ///
    /// - Throws: ``StateDictError`` when the groups, keys or shapes do not match; the
    ///   optimizer is then unchanged.
    func load(stateDict: StateDict) throws(StateDictError)
}

extension Optimizer {
    /// The parameters being optimised: those of every group, in order.
    public var parameters: [Parameter] { groups.flatMap(\.parameters) }

    /// The learning rate of the first group; setting it sets every group's, as a loop over
    /// `param_groups` does. Schedulers change it between steps.
    public var learningRate: Float {
        get { groups[0].learningRate }
        set {
            for index in groups.indices { groups[index].learningRate = newValue }
        }
    }

    /// Clears the gradient of every parameter (sets it to nil), like `zero_grad()`.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}

/// An optimizer whose momentum ``OneCycleLR`` can cycle: SGD's and RMSprop's `momentum`,
/// the first beta of the Adam family (PyTorch's `use_beta1`).
protocol MomentumCyclable: Optimizer {
    /// The momentum or first beta.
    var cycledMomentum: Double { get set }
}
