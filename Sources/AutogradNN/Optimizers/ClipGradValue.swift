import AutogradCore
import AutogradEngine

/// Limits every element of the gradients of `parameters` to `[-clipValue, clipValue]`, in
/// place, like `torch.nn.utils.clip_grad_value_`. Parameters without a gradient are ignored.
/// ```swift
/// loss.backward()
/// clipGradValue(model.parameters(), clipValue: 0.5)
/// optimizer.step()
/// ```
public func clipGradValue(_ parameters: [Parameter], clipValue: Float) {
    let bound = Double(clipValue)
    noGrad {
        for gradient in parameters.compactMap(\.grad) { gradient.clampInPlace(min: -bound, max: bound) }
    }
}
