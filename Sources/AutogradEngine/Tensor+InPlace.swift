import AutogradCore

/// In-place operations: they write into this tensor's storage (so every view of it sees
/// the change) and bump the storage's version counter, so a value saved for backward that
/// was overwritten is detected when backward reads it.
///
/// As in PyTorch, a leaf that requires grad can be changed in place only inside
/// ``noGrad(_:)`` (the optimizer's update), and a tensor in the graph takes the in-place
/// op as its new history.
extension Tensor {
    /// Computes `update(self)` out of place, then writes it into this tensor's storage and,
    /// when the update was recorded, takes over its history.
    ///
    /// When recording, the op reads a copy of the old values, so rules that saved `self`
    /// still see what they multiplied by.
    func updateInPlace(_ name: String, involving other: Tensor? = nil, _ update: (Tensor) -> Tensor) {
        refuseInPlaceOnLeafRequiringGrad(name)
        let recording = recordsInPlace(involving: other)
        let source = recording ? Tensor(array.copy(), history: gradFn) : Tensor(array)
        let result = update(source)
        guard result.shape == shape else {
            usageFailure("\(name): output with shape \(shape) doesn't match the broadcast shape \(result.shape)")
        }
        array.assign(from: result.array)
        bumpVersion()
        if let history = result.gradFn {
            gradFn = history
            history.outputLabel = label
        }
    }

    /// Stops, as PyTorch does, when a leaf that requires grad would change outside `noGrad`.
    private func refuseInPlaceOnLeafRequiringGrad(_ name: String) {
        if GradMode.isEnabled && isLeaf && requiresGrad {
            usageFailure("\(name): a leaf Variable that requires grad is being used in an in-place operation.")
        }
    }

    /// Whether an in-place op on this tensor (with `other`) is recorded on the graph.
    private func recordsInPlace(involving other: Tensor? = nil) -> Bool {
        GradMode.isEnabled && (requiresGrad || other?.requiresGrad == true)
    }

    /// Marks this tensor's storage as changed in place (for saved-tensor checks).
    private func bumpVersion() { array.storage.version += 1 }

    /// `self += alpha * other`, like `add_`.
    public func addInPlace(_ other: Tensor, alpha: Float = 1) {
        if !recordsInPlace(involving: other) && array.addScaledInPlace(other.array, scale: alpha) {
            return bumpVersion()
        }
        updateInPlace("add_", involving: other) { alpha == 1 ? $0 + other : $0 + other * alpha }
    }
    /// `self -= alpha * other`, like `sub_`.
    public func subtractInPlace(_ other: Tensor, alpha: Float = 1) {
        if !recordsInPlace(involving: other) && array.addScaledInPlace(other.array, scale: -alpha) {
            return bumpVersion()
        }
        updateInPlace("sub_", involving: other) { alpha == 1 ? $0 - other : $0 - other * alpha }
    }
    /// `self *= other`, like `mul_`.
    public func multiplyInPlace(_ other: Tensor) { updateInPlace("mul_", involving: other) { $0 * other } }
    /// `self /= other`, like `div_`.
    public func divideInPlace(_ other: Tensor) { updateInPlace("div_", involving: other) { $0 / other } }
    /// Limits every element to `[min, max]` in place, like `clamp_`.
    public func clampInPlace(min: Double? = nil, max: Double? = nil) {
        updateInPlace("clamp_") { $0.clamp(min: min, max: max) }
    }
    /// Copies `source` (broadcast to this shape) into this tensor, like `copy_`. Gradients
    /// then flow to `source`, and no longer to this tensor's earlier history.
    public func copy(from source: Tensor) {
        updateInPlace("copy_", involving: source) { old in
            let expanded = source.expand(old.shape)
            return Tensor.record(expanded.array.copy(), .clone, input: expanded)
        }
    }
    /// Sets every element to `value`, like `fill_`. The values then depend on nothing, so
    /// the tensor leaves the graph.
    public func fill(_ value: Float) {
        refuseInPlaceOnLeafRequiringGrad("fill_")
        array.assign(from: NDArray(repeating: value, shape: []))
        array.storage.version += 1
        if GradMode.isEnabled { gradFn = nil }
    }
    /// Sets every element to zero, like `zero_`.
    public func zero() { fill(0) }

    /// `lhs = lhs + rhs`, in place.
    public static func += (lhs: Tensor, rhs: Tensor) { lhs.addInPlace(rhs) }
    /// `lhs = lhs - rhs`, in place.
    public static func -= (lhs: Tensor, rhs: Tensor) { lhs.subtractInPlace(rhs) }
    /// `lhs = lhs * rhs`, in place.
    public static func *= (lhs: Tensor, rhs: Tensor) { lhs.multiplyInPlace(rhs) }
    /// `lhs = lhs / rhs`, in place.
    public static func /= (lhs: Tensor, rhs: Tensor) { lhs.divideInPlace(rhs) }
    /// Adds a scalar to every element, in place.
    public static func += (lhs: Tensor, rhs: Float) { lhs.updateInPlace("add_") { $0 + rhs } }
    /// Subtracts a scalar from every element, in place.
    public static func -= (lhs: Tensor, rhs: Float) { lhs.updateInPlace("sub_") { $0 - rhs } }
    /// Multiplies every element by a scalar, in place.
    public static func *= (lhs: Tensor, rhs: Float) {
        if !lhs.recordsInPlace() && lhs.array.scaleInPlace(by: rhs) { return lhs.bumpVersion() }
        lhs.updateInPlace("mul_") { $0 * rhs }
    }
    /// Divides every element by a scalar, in place.
    public static func /= (lhs: Tensor, rhs: Float) { lhs.updateInPlace("div_") { $0 / rhs } }
}
