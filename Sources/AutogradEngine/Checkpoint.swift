import AutogradCore

/// Activation checkpointing, like `torch.utils.checkpoint.checkpoint` (its reentrant form):
/// runs `body` on `inputs` without keeping its intermediate values, and in backward runs it
/// again, with recording on, to get the gradients, trading compute for memory.
///
/// The result's node is `CheckpointFunctionBackward`. Parameters used inside `body` get
/// their gradients from the recomputation's own backward pass, so at least one input must
/// require grad (else nothing is recorded, as in PyTorch). `body` must compute the same
/// values when run again: random draws inside it (dropout) must not change between the two
/// runs. Gradients through the block are computed once; a backward pass with
/// `createGraph: true` does not record through it.
/// ```swift
/// let y = checkpoint([x]) { inputs in block(inputs[0]) }
/// ```
public func checkpoint(_ inputs: [Tensor], _ body: @escaping ([Tensor]) -> Tensor) -> Tensor {
    let context = FunctionContext()
    for input in inputs { context.saveForBackward(input) }
    let output = noGrad { body(inputs) }
    let rule = CustomFunctionRule(name: "CheckpointFunctionBackward", context: context) { context, gradient in
        let detached = context.savedTensors.map { saved -> Tensor in
            let copy = saved.detach()
            copy.requiresGrad = saved.requiresGrad && saved.dtype.isFloatingPoint
            return copy
        }
        enableGrad {
            let recomputed = body(detached)
            if recomputed.requiresGrad { recomputed.backward(gradient: gradient) }
        }
        return detached.map { $0.requiresGrad ? $0.grad : nil }
    }
    return Tensor.record(output.array, .custom(rule), inputs: inputs)
}

/// Activation checkpointing of a block that reads whatever tensors it captures, like
/// `torch.utils.checkpoint.checkpoint(fn, use_reentrant=False)`: the block's intermediate
/// values are not kept, and backward runs it again, with recording on, for its gradients.
/// ```swift
/// let y = checkpoint { block(x) }           // x, block's parameters: gradients as without it
/// ```
/// Forward runs `body` once with recording on, finds where its graph meets the rest (the
/// leaves and the earlier results it reads), and lets that graph go, keeping only the
/// result; the result's node, `CheckpointFunctionBackward`, takes those tensors as its
/// inputs, so gradients reach them (and whatever made them) through the ordinary backward
/// pass. `body` must compute the same values when run again: random draws inside it
/// (dropout) must not change between the two runs. A backward pass with
/// `createGraph: true` does not record through the block. A block that reads both a tensor
/// and something made from it outside the block keeps its recorded graph (no saving).
public func checkpoint(_ body: @escaping () -> Tensor) -> Tensor {
    let block = GraphScopeFrame(name: "checkpoint", parent: RecordingContext.current.scopeFrame)
    let traced = RecordingContext.with({ $0.scopeFrame = block }) { body() }
    guard let root = traced.gradFn, root.scopeFrame?.chain.contains(where: { $0 === block }) == true else {
        return traced
    }
    let inputs = blockInputs(from: root, block: block)
    // A nested pass for the block would also run the nodes between two of its inputs (the
    // block reads x and, made outside it, f(x)), and backward would count that path twice:
    // such a block keeps its recorded graph instead.
    if inputsDependOnEachOther(inputs) { return traced }
    let rule = CustomFunctionRule(name: "CheckpointFunctionBackward", context: FunctionContext()) { _, gradient in
        let recomputed = enableGrad { RecordingContext.with({ $0.scopeFrame = block }) { body() } }
        return grad(outputs: [recomputed], inputs: inputs, gradOutputs: [gradient], allowUnused: true)
    }
    return Tensor.record(traced.array, .custom(rule), inputs: inputs)
}

/// Whether some input of a block was made, through nodes outside it, from another input.
private func inputsDependOnEachOther(_ inputs: [Tensor]) -> Bool {
    let leaves = Set(inputs.filter { $0.gradFn == nil }.map(ObjectIdentifier.init))
    let nodes = Set(inputs.compactMap(\.gradFn).map(ObjectIdentifier.init))
    var visited: Set<ObjectIdentifier> = []
    var pending = inputs.compactMap(\.gradFn)
    while let node = pending.popLast() {
        for edge in node.nextEdges {
            switch edge {
            case .leaf(let leaf):
                if leaves.contains(ObjectIdentifier(leaf)) { return true }
            case .node(let next):
                if nodes.contains(ObjectIdentifier(next)) { return true }
                if visited.insert(ObjectIdentifier(next)).inserted { pending.append(next) }
            case .constant:
                break
            }
        }
    }
    return false
}

/// The tensors a block's graph reads from outside it, found from the block's result node
/// `root`: the leaves that require grad, and, for each node made before the block, a
/// tensor standing for that node's output. Each appears once.
private func blockInputs(from root: Node, block: GraphScopeFrame) -> [Tensor] {
    var inputs: [Tensor] = []
    var seen: Set<ObjectIdentifier> = []
    var pending = [root]
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    while let node = pending.popLast() {
        for edge in node.nextEdges {
            switch edge {
            case .leaf(let leaf):
                if seen.insert(ObjectIdentifier(leaf)).inserted { inputs.append(leaf) }
            case .node(let next):
                if next.scopeFrame?.chain.contains(where: { $0 === block }) == true {
                    if visited.insert(ObjectIdentifier(next)).inserted { pending.append(next) }
                } else if seen.insert(ObjectIdentifier(next)).inserted {
                    inputs.append(Tensor(standInValue(for: next), gradFn: next))
                }
            case .constant:
                break
            }
        }
    }
    return inputs
}

/// The values of a tensor standing for `node`'s output among a block's inputs. A node keeps
/// only its output's shape and dtype, and that is all the block's node and its nested
/// backward pass read of the tensor (besides the node itself), so one zero broadcast to the
/// shape stands in for the values: nothing is allocated or kept alive for them.
private func standInValue(for node: Node) -> NDArray {
    let shape = node.outputShape
    return NDArray(
        storage: Storage.zeros(1, dtype: node.outputDType),
        layout: Layout(shape: shape, strides: [Int](repeating: 0, count: shape.count), offset: 0))
}
