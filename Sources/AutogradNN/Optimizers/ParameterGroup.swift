import AutogradCore
import AutogradEngine

/// A set of parameters with its own learning rate and weight decay, like an entry of a
/// PyTorch optimizer's `param_groups`.
///
/// An option left out (nil) takes the value the optimizer's initializer is given, as a key
/// missing from a PyTorch group takes the optimizer's default. nanoGPT's split, decay for
/// matrices and none for biases and norms:
/// ```swift
/// let decay = model.parameters().filter { $0.shape.count >= 2 }
/// let noDecay = model.parameters().filter { $0.shape.count < 2 }
/// let optimizer = AdamW(groups: [
///     ParameterGroup(parameters: decay, weightDecay: 0.1),
///     ParameterGroup(parameters: noDecay, weightDecay: 0),
/// ], learningRate: 6e-4, betas: (0.9, 0.95))
/// for index in optimizer.groups.indices { optimizer.groups[index].learningRate = lr }
/// ```
/// In ``Optimizer/groups`` every option is filled in. Reading an option that neither the
/// group nor an optimizer has set stops the program (PyTorch's `KeyError`).
public struct ParameterGroup {
    /// The parameters, in order.
    public let parameters: [Parameter]
    /// The learning rate as the optimizer uses it: a `Double`, as Python's float is.
    var lr: Double?
    /// The weight decay, likewise.
    var decay: Double?
    /// PyTorch's `initial_lr`: the learning rate the first scheduler on this group found
    /// (or, for ``OneCycleLR``, set), from which schedulers scale.
    var initialLR: Double?

    /// A group of `parameters` with the options given; the others come from the optimizer.
    public init(parameters: [Parameter], learningRate: Float? = nil, weightDecay: Float? = nil) {
        self.parameters = parameters
        lr = learningRate.map(Double.init(decimal:))
        decay = weightDecay.map(Double.init(decimal:))
    }

    /// The group's learning rate (PyTorch's `lr`); schedulers change it.
    public var learningRate: Float {
        get {
            guard let lr else { usageFailure("ParameterGroup: 'lr' is not set until the group is given to an optimizer") }
            return Float(lr)
        }
        set { lr = Double(decimal: newValue) }
    }

    /// The group's weight decay (PyTorch's `weight_decay`).
    public var weightDecay: Float {
        get {
            guard let decay else { usageFailure("ParameterGroup: 'weight_decay' is not set until the group is given to an optimizer") }
            return Float(decay)
        }
        set { decay = Double(decimal: newValue) }
    }

    /// The learning rate schedulers scale from (PyTorch's `initial_lr`), nil until a scheduler
    /// is made for the optimizer.
    public var initialLearningRate: Float? { initialLR.map(Float.init) }

    /// This group with the options it lacks taken from `learningRate` and `weightDecay`;
    /// with `checked`, refused as PyTorch refuses such optimizer arguments when negative.
    func resolved(learningRate: Double, weightDecay: Double, checked: Bool) -> ParameterGroup {
        var group = self
        group.lr = lr ?? learningRate
        group.decay = decay ?? weightDecay
        if checked {
            checkUsage(group.lr! >= 0, "Invalid learning rate: \(Float(group.lr!))")
            checkUsage(group.decay! >= 0, "Invalid weight_decay value: \(Float(group.decay!))")
        }
        return group
    }
}
