import AutogradCore
import AutogradEngine

/// The base class of every layer and model, like `torch.nn.Module`.
///
/// A module's parameters, buffers and submodules are found by reflection on its stored
/// properties, so a model is written as in PyTorch, by assigning layers to properties:
/// ```swift
/// final class Classifier: Module {
///     let features = Sequential(Flatten(), Linear(inFeatures: 64, outFeatures: 32), ReLU())
///     let head = Linear(inFeatures: 32, outFeatures: 10)
///     override func forward(_ input: Tensor) -> Tensor { head(features(input)) }
/// }
/// let model = Classifier()
/// model.namedParameters().map(\.name)
/// // ["features.1.weight", "features.1.bias", "head.weight", "head.bias"]
/// ```
/// Properties of type ``Parameter``, ``Buffer``, `Module` (optionals too) and arrays of
/// them are found; names are the property names converted to PyTorch's snake_case
/// (`runningMean` becomes `running_mean`), with array elements numbered (`blocks.0`), so
/// the keys of ``stateDict()`` are the keys PyTorch's `state_dict()` has for the same model.
open class Module: CustomStringConvertible {
    /// Whether the module is in training mode (the default) rather than evaluation mode;
    /// ``Dropout`` and ``BatchNorm2d`` behave differently in the two.
    public private(set) var isTraining = true
    /// Functions run around ``forward(_:)`` (see `registerForwardHook` and friends).
    var hooks = ModuleHooks()

    /// A module in training mode.
    public init() {}

    /// The computation, like PyTorch's `forward`; subclasses override it and callers use
    /// ``callAsFunction(_:)``.
    open func forward(_ input: Tensor) -> Tensor {
        usageFailure("\(typeName): a subclass of Module must override forward(_:) or define its own callAsFunction")
    }

    /// Runs ``forward(_:)``, grouping the operations it records under the module's type name
    /// so graph drawings can show the layer as one cluster, with the module's hooks around it.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        callWithHooks(input) { (forward($0), ()) }.0
    }

    /// The module's type name, such as `Linear`.
    public var typeName: String { String(describing: type(of: self)) }

    // MARK: - Discovery

    /// This module's direct submodules with their names, in declaration order.
    ///
    /// Found by reflection; a container such as ``Sequential`` overrides it to name its
    /// layers `0`, `1`, ...
    open func namedChildren() -> [(name: String, module: Module)] {
        reflectedMembers().children
    }

    /// The parameters this module holds itself (not those of its submodules), with names.
    ///
    /// Found by reflection; a layer whose parameter names depend on its configuration
    /// (``LSTM``'s `weight_ih_l0`, `weight_hh_l1_reverse`, ...) overrides it.
    open func ownParameters() -> [(name: String, parameter: Parameter)] { reflectedMembers().parameters }

    /// The buffers this module holds itself (not those of its submodules), with names.
    public func ownBuffers() -> [(name: String, buffer: Buffer)] { reflectedMembers().buffers }

    /// This module and every submodule below it, depth first, with dotted names
    /// (the module itself is named `""`), like `named_modules()`.
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = [("", self)]
        for (name, child) in namedChildren() {
            result += child.namedModules().map { (qualified(name, $0.name), $0.module) }
        }
        return result
    }

    /// Every parameter with its dotted name (`"0.weight"`, `"features.conv1.bias"`), in
    /// PyTorch's order: a module's own parameters, then its submodules'. A parameter
    /// shared by several layers is listed once.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var seen = Set<ObjectIdentifier>()
        return namedModules().flatMap { prefix, module in
            module.ownParameters().compactMap { name, parameter in
                seen.insert(ObjectIdentifier(parameter)).inserted ? (qualified(prefix, name), parameter) : nil
            }
        }
    }

    /// Every parameter, in the order of ``namedParameters()``: what an optimizer is given.
    public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

    /// Every buffer with its dotted name, such as `"1.running_mean"`.
    public func namedBuffers() -> [(name: String, buffer: Buffer)] {
        namedModules().flatMap { prefix, module in
            module.ownBuffers().map { (qualified(prefix, $0.name), $0.buffer) }
        }
    }

    /// The number of scalars in all parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Calls `fn` on every submodule (each child's subtree first, children in order) and
    /// then on this module, like PyTorch's `apply`; returns the module. The usual use is
    /// custom initialisation:
    /// ```swift
    /// model.apply { module in
    ///     if let linear = module as? Linear {
    ///         Init.normal(linear.weight, mean: 0, std: 0.02)
    ///         if let bias = linear.bias { Init.zeros(bias) }
    ///     }
    /// }
    /// ```
    /// A module listed twice among one module's children is visited once there.
    @discardableResult
    public func apply(_ fn: (Module) throws -> Void) rethrows -> Self {
        var seen = Set<ObjectIdentifier>()
        for (_, child) in namedChildren() where seen.insert(ObjectIdentifier(child)).inserted {
            try child.apply(fn)
        }
        try fn(self)
        return self
    }

    // MARK: - Modes and gradients

    /// Puts this module and all its submodules in training mode (`true`) or evaluation
    /// mode (`false`), like `train(mode)`.
    public func train(_ mode: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = mode }
    }

    /// Puts this module and all its submodules in evaluation mode, like `eval()`.
    public func eval() { train(false) }

    /// Clears the gradient of every parameter (sets it to nil), like `zero_grad()`.
    public func zeroGrad() {
        for parameter in parameters() { parameter.zeroGrad() }
    }

    // MARK: - Printing

    /// The layer's settings as PyTorch prints them between the parentheses, such as
    /// `in_features=64, out_features=10, bias=True`; empty by default.
    open var extraDescription: String { "" }

    /// PyTorch's `repr` of the module: its type, settings and submodules, indented.
    public var description: String {
        let children = namedChildren()
        if children.isEmpty { return "\(typeName)(\(extraDescription))" }
        var lines = ["\(typeName)("]
        if !extraDescription.isEmpty { lines.append("  " + extraDescription) }
        for (name, child) in children {
            let body = child.description.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 ? String($0.element) : "  " + $0.element }
                .joined(separator: "\n")
            lines.append("  (\(name)): \(body)")
        }
        lines.append(")")
        return lines.joined(separator: "\n")
    }

    // MARK: - Reflection

    /// The parameters, buffers and submodules held in this module's stored properties,
    /// base-class properties first.
    private func reflectedMembers() -> ReflectedMembers {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror, current.subjectType != Module.self {
            mirrors.append(current)
            mirror = current.superclassMirror
        }
        var members = ReflectedMembers()
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard let label = child.label else { continue }
                members.add(child.value, name: pytorchName(forProperty: label))
            }
        }
        return members
    }
}

/// What reflection found in one module's stored properties.
private struct ReflectedMembers {
    var parameters: [(name: String, parameter: Parameter)] = []
    var buffers: [(name: String, buffer: Buffer)] = []
    var children: [(name: String, module: Module)] = []

    /// Files `value` under `name` if it is a parameter, buffer, module or an array of them.
    mutating func add(_ value: Any, name: String) {
        switch value {
        case let parameter as Parameter: parameters.append((name, parameter))
        case let buffer as Buffer: buffers.append((name, buffer))
        case let module as Module: children.append((name, module))
        case let list as [Parameter]: parameters += list.enumerated().map { ("\(name).\($0.offset)", $0.element) }
        case let list as [Buffer]: buffers += list.enumerated().map { ("\(name).\($0.offset)", $0.element) }
        case let list as [Module]: children += list.enumerated().map { ("\(name).\($0.offset)", $0.element) }
        default: break
        }
    }
}

/// `prefix.name`, or `name` alone when the prefix is empty.
private func qualified(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : name.isEmpty ? prefix : "\(prefix).\(name)"
}

/// The name PyTorch would give a Swift property: the storage prefixes of `lazy` and
/// property-wrapper properties removed, then camelCase turned into snake_case
/// (`runningMean` → `running_mean`, `convQKV` → `conv_qkv`, `conv1` → `conv1`).
func pytorchName(forProperty label: String) -> String {
    var name = Substring(label)
    if name.hasPrefix("$__lazy_storage_$_") { name = name.dropFirst("$__lazy_storage_$_".count) }
    if name.hasPrefix("_") { name = name.dropFirst() }
    let characters = Array(name)
    var result = ""
    for (i, character) in characters.enumerated() {
        if character.isUppercase && i > 0 {
            let previous = characters[i - 1]
            let nextIsLower = i + 1 < characters.count && characters[i + 1].isLowercase
            if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { result.append("_") }
        }
        result += character.lowercased()
    }
    return result
}
