import AutogradCore

/// In-place operations: they write into this tensor's storage (so every view of it sees
/// the change) and bump the storage's version counter, so a value saved for backward that
/// was overwritten is detected when backward reads it.
///
/// As in PyTorch, a leaf that requires grad (or a view of one) can be changed in place
/// only inside ``noGrad(_:)`` (the optimizer's update), and a tensor in the graph takes the
/// in-place op as its new history. Writing into a view records the write on the view's
/// base (PyTorch's CopySlices), so the base, the view and every other view of the base
/// give the gradients of their current values.
extension Tensor {
    /// Computes `update(self)` out of place, then writes it into this tensor's storage and,
    /// when the update was recorded, takes over its history.
    ///
    /// When recording, the op reads a copy of the old values, so rules that saved `self`
    /// still see what they multiplied by. When not recording, `direct` may write the
    /// result straight into the storage instead, returning false where it cannot.
    func updateInPlace(
        _ name: String, involving other: Tensor? = nil, direct: () -> Bool = { false },
        _ update: (Tensor) -> Tensor
    ) {
        checkInPlaceAllowed(name)
        let recording = recordsInPlace(involving: other)
        if !recording && direct() { return bumpVersion() }
        let source = recording ? Tensor(array.copy(), history: gradFn) : Tensor(array)
        let result = update(source)
        guard result.shape == shape else {
            usageFailure("\(name): output with shape \(shape) doesn't match the broadcast shape \(result.shape)")
        }
        checkUsage(result.dtype.canCast(to: dtype),
                   "\(name): result type \(result.dtype.scalarTypeName) can't be cast to the desired output type \(dtype.scalarTypeName)")
        array.assign(from: result.array)
        bumpVersion()
        if recording { adoptHistory(of: result) }
    }

    /// Whether an in-place op on this tensor (with `other`) is recorded on the graph.
    private func recordsInPlace(involving other: Tensor? = nil) -> Bool {
        GradMode.isEnabled && (requiresGrad || other?.requiresGrad == true)
    }

    /// Marks this tensor's storage as changed in place (for saved-tensor checks).
    private func bumpVersion() { array.storage.version += 1 }

    /// `self += alpha * other`, like `add_`.
    public func addInPlace(_ other: Tensor, alpha: Float = 1) {
        updateInPlace("add_", involving: other, direct: { array.addScaledInPlace(other.array, scale: alpha) }) {
            alpha == 1 ? $0 + other : $0 + other * alpha
        }
    }
    /// `self -= alpha * other`, like `sub_`.
    public func subtractInPlace(_ other: Tensor, alpha: Float = 1) {
        updateInPlace("sub_", involving: other, direct: { array.addScaledInPlace(other.array, scale: -alpha) }) {
            alpha == 1 ? $0 - other : $0 - other * alpha
        }
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
        checkInPlaceAllowed("fill_")
        let recording = recordsInPlace()
        array.assign(from: NDArray(repeating: value, shape: []))
        bumpVersion()
        if recording { adoptHistory(of: Tensor(array)) }
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
        lhs.updateInPlace("mul_", direct: { lhs.array.scaleInPlace(by: rhs) }) { $0 * rhs }
    }
    /// Divides every element by a scalar, in place.
    public static func /= (lhs: Tensor, rhs: Float) { lhs.updateInPlace("div_") { $0 / rhs } }
    /// Adds an integer to every element, in place (an integer tensor stays integer).
    public static func += (lhs: Tensor, rhs: Int) { lhs.updateInPlace("add_") { $0 + rhs } }
    /// Subtracts an integer from every element, in place.
    public static func -= (lhs: Tensor, rhs: Int) { lhs.updateInPlace("sub_") { $0 - rhs } }
    /// Multiplies every element by an integer, in place.
    public static func *= (lhs: Tensor, rhs: Int) { lhs.updateInPlace("mul_") { $0 * rhs } }
}
