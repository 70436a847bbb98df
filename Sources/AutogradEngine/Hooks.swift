import AutogradCore

/// A function called with a gradient during backward; it may return a replacement.
public typealias GradientHook = (Tensor) -> Tensor?

/// Hooks in the order they were registered, each under an id unique to this list.
struct GradientHooks {
    private var entries: [(id: Int, hook: GradientHook)] = []
    private var lastID = 0

    /// Whether there are none.
    var isEmpty: Bool { entries.isEmpty }

    /// The hooks, oldest first.
    var values: [GradientHook] { entries.map(\.hook) }

    /// Adds a hook and returns the id that removes it.
    mutating func append(_ hook: @escaping GradientHook) -> Int {
        lastID += 1
        entries.append((lastID, hook))
        return lastID
    }

    /// Removes the hook registered under `id`, if it is still there.
    mutating func remove(id: Int) { entries.removeAll { $0.id == id } }
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
