import AutogradCore
import AutogradEngine
import Foundation

/// Scales the gradients of `parameters` so that their combined norm is at most `maxNorm`,
/// like `torch.nn.utils.clip_grad_norm_`, and returns the norm before clipping.
///
/// The norm is taken over all gradients together as if concatenated (`normType` 2 is the
/// Euclidean norm, `.infinity` the largest magnitude). Each gradient is multiplied by
/// `min(1, maxNorm / (norm + 1e-6))`. Parameters without a gradient are ignored.
/// ```swift
/// loss.backward()
/// let norm = clipGradNorm(model.parameters(), maxNorm: 1)
/// optimizer.step()
/// ```
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Float, normType: Float = 2) -> Float {
    checkUsage(normType > 0, "clip_grad_norm_: norm_type must be positive, got \(normType)")
    let gradients = parameters.compactMap(\.grad)
    guard !gradients.isEmpty else { return 0 }
    let totalNorm: Float
    if normType == .infinity {
        totalNorm = gradients.map { $0.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) } }.max()!
    } else {
        let p = Double(normType)
        let sum = gradients.reduce(0.0) { total, gradient in
            let values = gradient.scalars
            // x² is exact in Double for a float x, so the Euclidean norm skips pow.
            if p == 2 { return total + values.reduce(0.0) { $0 + Double($1) * Double($1) } }
            return total + values.reduce(0.0) { $0 + Foundation.pow(Double(Swift.abs($1)), p) }
        }
        totalNorm = Float(Foundation.pow(sum, 1 / p))
    }
    let coefficient = Swift.min(maxNorm / (totalNorm + 1e-6), 1)
    noGrad {
        for gradient in gradients { gradient *= coefficient }
    }
    return totalNorm
}
