import AutogradEngine

/// Called before a module's forward with its input; may return a replacement input.
public typealias ForwardPreHook = (Module, Tensor) -> Tensor?
/// Called after a module's forward with its input and output; may return a replacement output.
public typealias ForwardHook = (Module, Tensor, Tensor) -> Tensor?
/// Called during backward with the gradient of a module's output; may return a replacement.
public typealias ModuleBackwardHook = (Module, Tensor) -> Tensor?

/// A module's hooks, each list in registration order under ids unique to the module.
struct ModuleHooks {
    private var forwardPre: [(id: Int, hook: ForwardPreHook)] = []
    private var forward: [(id: Int, hook: ForwardHook)] = []
    private var backward: [(id: Int, hook: ModuleBackwardHook)] = []
    private var lastID = 0

    /// Whether no hook is registered.
    var isEmpty: Bool { forwardPre.isEmpty && forward.isEmpty && backward.isEmpty }

    /// A fresh id.
    mutating func nextID() -> Int {
        lastID += 1
        return lastID
    }

    mutating func addForwardPre(_ hook: @escaping ForwardPreHook, id: Int) { forwardPre.append((id, hook)) }
    mutating func addForward(_ hook: @escaping ForwardHook, id: Int) { forward.append((id, hook)) }
    mutating func addBackward(_ hook: @escaping ModuleBackwardHook, id: Int) { backward.append((id, hook)) }

    /// Removes the hook registered under `id`, whichever kind it is.
    mutating func remove(id: Int) {
        forwardPre.removeAll { $0.id == id }
        forward.removeAll { $0.id == id }
        backward.removeAll { $0.id == id }
    }

    /// The input after every pre-hook has seen (and possibly replaced) it.
    func runForwardPre(_ module: Module, _ input: Tensor) -> Tensor {
        forwardPre.reduce(input) { current, entry in entry.hook(module, current) ?? current }
    }

    /// The output after every forward hook has seen (and possibly replaced) it.
    func runForward(_ module: Module, _ input: Tensor, _ output: Tensor) -> Tensor {
        forward.reduce(output) { current, entry in entry.hook(module, input, current) ?? current }
    }

    /// Registers the backward hooks on `output`'s gradient, when it will have one.
    func attachBackward(_ module: Module, to output: Tensor) {
        guard !backward.isEmpty, output.requiresGrad else { return }
        let hooks = backward.map(\.hook)
        output.registerHook { [weak module] gradient in
            guard let module else { return nil }
            return hooks.reduce(gradient) { current, hook in hook(module, current) ?? current }
        }
    }
}

extension Module {
    /// Registers a function called with the input before every forward pass, like
    /// `register_forward_pre_hook`; returning a tensor replaces the input.
    @discardableResult
    public func registerForwardPreHook(_ hook: @escaping ForwardPreHook) -> HookHandle {
        let id = hooks.nextID()
        hooks.addForwardPre(hook, id: id)
        return HookHandle { [weak self] in self?.hooks.remove(id: id) }
    }

    /// Registers a function called with the input and output after every forward pass, like
    /// `register_forward_hook`; returning a tensor replaces the output.
    /// ```swift
    /// var activations: [Tensor] = []
    /// let handle = model.registerForwardHook { _, _, output in activations.append(output.detach()); return nil }
    /// ```
    @discardableResult
    public func registerForwardHook(_ hook: @escaping ForwardHook) -> HookHandle {
        let id = hooks.nextID()
        hooks.addForward(hook, id: id)
        return HookHandle { [weak self] in self?.hooks.remove(id: id) }
    }

    /// Registers a function called during backward with the gradient of this module's
    /// output (for calls made after registering), like the `grad_output` of
    /// `register_full_backward_hook`; returning a tensor replaces that gradient.
    @discardableResult
    public func registerBackwardHook(_ hook: @escaping ModuleBackwardHook) -> HookHandle {
        let id = hooks.nextID()
        hooks.addBackward(hook, id: id)
        return HookHandle { [weak self] in self?.hooks.remove(id: id) }
    }
}
