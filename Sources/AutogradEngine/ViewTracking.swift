import AutogradCore

/// What a view knows about where it came from (PyTorch's `ViewInfo`): the tensor whose
/// storage it shares and how to cut it out of that tensor again.
///
/// A view and its base share one storage, so they share its version counter: an in-place
/// write through either bumps it, and a view whose history was recorded at an older
/// version remakes its history from the base's current one before it is used.
final class ViewOrigin {
    /// The tensor the view was cut from, followed back through views of views: never
    /// itself a view.
    let base: Tensor
    /// Cuts the view out of `base`, or out of any tensor of `base`'s shape (such as the
    /// gradient of `base`), with the same view operations that made it.
    let replay: (Tensor) -> Tensor
    /// The storage version when the view's history was last recorded.
    @exclusivity(unchecked) var version: Int
    /// Whether the view was made with grad mode off (inside `noGrad`).
    let madeWithoutGrad: Bool
    /// Set when the view is an output of a function that returns several views (`split`,
    /// `chunk`), or a view of one: which output it is (0 for a view of one). PyTorch
    /// refuses in-place writes into such views.
    var multipleViewsOutput: Int?

    /// The origin of a view made by `replay` from `source`, which may itself be a view.
    init(source: Tensor, replay: @escaping (Tensor) -> Tensor, version: Int, madeWithoutGrad: Bool) {
        if let parent = source.viewOrigin {
            base = parent.base
            let cutParent = parent.replay
            self.replay = { replay(cutParent($0)) }
            if parent.multipleViewsOutput != nil { multipleViewsOutput = 0 }
        } else {
            base = source
            self.replay = replay
        }
        self.version = version
        self.madeWithoutGrad = madeWithoutGrad
    }
}

/// The view operations a `copySlices` node (PyTorch's CopySlices) replays on its gradient.
final class ViewReplay {
    /// Cuts the written view out of a tensor of the base's shape.
    let cut: (Tensor) -> Tensor

    /// Replays `cut`.
    init(_ cut: @escaping (Tensor) -> Tensor) { self.cut = cut }

    /// The gradients of CopySlices: the base's old values get `grad` with the written
    /// positions zeroed, the written values get the gradient at those positions.
    func gradients(_ grad: Tensor) -> [Tensor?] {
        let untouched = grad.clone()
        cut(untouched).fill(0)
        return [untouched, cut(grad)]
    }
}

extension Tensor {
    /// Records `op`, whose result `value` views this tensor's storage, and remembers how
    /// to make the view again (`replay` applied to this tensor gives the same view).
    func recordView(_ value: NDArray, _ op: Op, replay: @escaping (Tensor) -> Tensor) -> Tensor {
        let result = Tensor.record(value, op, input: self)
        result.viewOrigin = ViewOrigin(
            source: self, replay: replay, version: value.storage.version, madeWithoutGrad: !GradMode.isEnabled)
        return result
    }

    /// Remakes a view's history from its base's current history (PyTorch regenerates a
    /// view's `grad_fn` the same way once the version counter it shares has moved on).
    @inline(never)
    func refreshViewHistory() {
        guard let origin = viewOrigin else { return }
        origin.version = array.storage.version
        let remade = enableGrad { origin.replay(origin.base) }
        setHistory(remade.history)
    }

    /// Makes `result`, this tensor's new values computed out of place by a recorded
    /// in-place op, the source of its history. For a view the write is recorded on its
    /// base instead (``recordWrite(through:values:)``), and the view's own history then
    /// follows from the base's.
    func adoptHistory(of result: Tensor) {
        if let origin = viewOrigin {
            origin.base.recordWrite(through: origin.replay, values: result)
        } else {
            setHistory(result.gradFn)
        }
    }

    /// Records that `values` were written into the view `replay(self)` of this tensor:
    /// its history becomes PyTorch's CopySlices, whose gradient flows to its old history
    /// everywhere but the written positions, and to `values` at those positions.
    private func recordWrite(through replay: @escaping (Tensor) -> Tensor, values: Tensor) {
        // A constant is kept as a fresh tensor over the same values, so this tensor's
        // history does not hold the tensor itself.
        let old: Edge = requiresGrad ? gradientEdge : .constant(Tensor(array))
        let node = Node(op: .copySlices(ViewReplay(replay)), edges: EdgeList(old, values.gradientEdge), output: array)
        setHistory(node)
    }

    /// Replaces this tensor's history. The retain-grad hook moves to the new node, as in
    /// PyTorch, so ``grad`` keeps receiving the gradient of the current values.
    func setHistory(_ node: Node?) {
        let old = history
        history = node
        if retainsGradient {
            if old?.retainedOutput === self { old?.retainedOutput = nil }
            node?.retainedOutput = self
        }
        if let label { node?.outputLabel = label }
    }

    /// Stops with PyTorch's message when an in-place op would write one element twice
    /// (an expanded tensor), or, outside ``noGrad(_:)``, would change a tensor backward
    /// cannot follow: a leaf that requires grad, a view of one, or a view made inside
    /// `noGrad` of a tensor that requires grad.
    func checkInPlaceAllowed(_ name: String) {
        if !array.layout.isContiguous && zip(shape, array.layout.strides).contains(where: { $0 > 1 && $1 == 0 }) {
            usageFailure(
                "\(name): unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.")
        }
        guard GradMode.isEnabled else { return }
        if let origin = viewOrigin, origin.base.requiresGrad {
            if origin.madeWithoutGrad {
                usageFailure(
                    "\(name): A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
            }
            if origin.base.isLeaf {
                usageFailure("\(name): a view of a leaf Variable that requires grad is being used in an in-place operation.")
            }
        }
        if isLeaf && requiresGrad {
            usageFailure("\(name): a leaf Variable that requires grad is being used in an in-place operation.")
        }
        if let output = viewOrigin?.multipleViewsOutput, requiresGrad {
            // PyTorch names the function without its node suffix: `Split` for `SplitBackward0`.
            var function = gradFn?.name ?? ""
            while function.last?.isNumber == true { function.removeLast() }
            if function.hasSuffix("Backward") { function.removeLast("Backward".count) }
            usageFailure(
                "\(name): Output \(output) of \(function) is a view and is being modified inplace. This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.")
        }
    }
}
