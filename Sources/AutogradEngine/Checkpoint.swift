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
