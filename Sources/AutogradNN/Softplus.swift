import AutogradCore
import AutogradEngine
import Foundation

/// `log(1 + e^(β·x)) / β` elementwise, and `x` where `β·x > threshold`, like
/// `torch.nn.functional.softplus`; see ``Softplus``.
///
/// The value is computed with `log1p` in double precision, so it stays exact far into the
/// negative range (where `log(1 + tiny)` would round to 0); the gradient is `σ(β·x)`
/// (1 above the threshold), written with tensor operations so it can be differentiated again.
public func softplus(_ input: Tensor, beta: Float = 1, threshold: Float = 20) -> Tensor {
    checkUsage(input.dtype.isFloatingPoint,
               "\"softplus_cpu\" not implemented for '\(input.dtype.scalarTypeName)'")
    return FunctionKernels.Softplus.apply(input, Tensor(Double(beta)), Tensor(Double(threshold)))
}

extension FunctionKernels {
    /// Softplus as a custom function: an exact forward and a recorded backward (β and the
    /// threshold come as the second and third inputs, 0-d constants).
    enum Softplus: CustomFunction {
        static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            let x = inputs[0]
            let beta = Double(inputs[1].item()), threshold = Double(inputs[2].item())
            context.saveForBackward(x)
            context.userInfo["beta"] = beta
            context.userInfo["threshold"] = threshold
            let values = x.asArray(Double.self).map { value -> Double in
                let scaled = value * beta
                return scaled > threshold ? value : Foundation.log1p(Foundation.exp(scaled)) / beta
            }
            return Tensor(NDArray(shape: x.shape, doubles: values, dtype: x.dtype))
        }

        static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
            let x = context.savedTensors[0]
            let beta = context.userInfo["beta"] as! Double, threshold = context.userInfo["threshold"] as! Double
            let scaled = x * beta
            let slope = Tensor.where(scaled .> threshold, Tensor.ones([], dtype: x.dtype), scaled.sigmoid())
            return [gradient * slope, nil, nil]
        }
    }
}
