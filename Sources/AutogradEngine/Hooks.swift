import AutogradCore

/// A function called with a gradient during backward; it may return a replacement.
public typealias GradientHook = (Tensor) -> Tensor?

/// A function called after a node's backward rule with the gradients it computed for its
/// inputs (nil where none) and the gradient of its output; it may return replacements for
/// the inputs' gradients (like the hooks of PyTorch's `grad_fn.register_hook`).
public typealias NodePostHook = (_ inputGradients: [Tensor?], _ outputGradient: Tensor) -> [Tensor?]?

/// Hooks in the order they were registered, each under an id unique to this list.
struct HookList<Hook> {
    private var entries: [(id: Int, hook: Hook)] = []
    private var lastID = 0

    /// Whether there are none.
    var isEmpty: Bool { entries.isEmpty }

    /// The hooks, oldest first.
    var values: [Hook] { entries.map(\.hook) }

    /// Adds a hook and returns the id that removes it.
    mutating func append(_ hook: Hook) -> Int {
        lastID += 1
        entries.append((lastID, hook))
        return lastID
    }

    /// Removes the hook registered under `id`, if it is still there.
    mutating func remove(id: Int) { entries.removeAll { $0.id == id } }
}

/// Functions applied to a gradient, in registration order.
typealias GradientHooks = HookList<GradientHook>

extension HookList where Hook == GradientHook {
    /// `gradient` passed through every hook in turn (a hook returning nil keeps it).
    func applied(to gradient: Tensor) -> Tensor {
        var gradient = gradient
        for hook in values { gradient = hook(gradient) ?? gradient }
        return gradient
    }
}

/// Removes the hook it was returned for (PyTorch's `RemovableHandle`).
public final class HookHandle {
    private var removal: (() -> Void)?

    /// A handle that runs `removal` the first time it is removed.
    public init(removal: @escaping () -> Void) { self.removal = removal }

    /// Removes the hook; calling it again does nothing.
    public func remove() {
        removal?()
        removal = nil
    }
}

extension Tensor {
    /// Registers a function called with this tensor's gradient every time backward
    /// computes it; if it returns a tensor, that tensor is used as the gradient instead
    /// (like `tensor.register_hook`).
    ///
    /// ```swift
    /// let handle = w.registerHook { grad in grad.clamp(min: -1, max: 1) }
    /// ...
    /// handle.remove()
    /// ```
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerHook(_ hook: @escaping GradientHook) -> HookHandle {
        checkUsage(requiresGrad, "cannot register a hook on a tensor that doesn't require gradient")
        if let node = gradFn {
            let id = node.gradientHooks.append(hook)
            return HookHandle { [weak node] in node?.gradientHooks.remove(id: id) }
        }
        let id = gradientHooks.append(hook)
        return HookHandle { [weak self] in self?.gradientHooks.remove(id: id) }
    }
}

extension Node {
    /// Registers a function called with the gradient of this node's output just before its
    /// backward rule runs (after the output tensor's own hooks); if it returns a tensor,
    /// the rule uses that instead (like `grad_fn.register_prehook`).
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerPrehook(_ hook: @escaping GradientHook) -> HookHandle {
        let id = prehooks.append(hook)
        return HookHandle { [weak self] in self?.prehooks.remove(id: id) }
    }

    /// Registers a function called after this node's backward rule with the gradients it
    /// computed for its inputs and its output's gradient; if it returns an array (one entry
    /// per input), those gradients are sent on instead (like `grad_fn.register_hook`).
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerHook(_ hook: @escaping NodePostHook) -> HookHandle {
        let id = posthooks.append(hook)
        return HookHandle { [weak self] in self?.posthooks.remove(id: id) }
    }
}

extension Node {
    /// `inputGradients` (summed to each input's shape) passed through the post-hooks in
    /// turn; a hook that returns replacements must return one per input.
    func applyPosthooks(_ inputGradients: [Tensor?], outputGradient: Tensor) throws(AutogradError) -> [Tensor?] {
        let hooks = posthooks
        if hooks.isEmpty { return inputGradients }
        var gradients = zip(inputGradients, nextEdges).map { gradient, edge in gradient.map { sumToShape($0, edge.shape) } }
        for hook in hooks.values {
            guard let replaced = hook(gradients, outputGradient) else { continue }
            guard replaced.count == gradients.count else {
                throw .hookGradientCount(returned: replaced.count, expected: gradients.count)
            }
            gradients = replaced
        }
        return gradients
    }
}
