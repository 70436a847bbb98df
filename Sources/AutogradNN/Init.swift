import AutogradCore
import AutogradEngine

/// Weight initialisers, like `torch.nn.init`, drawing from a ``RandomGenerator``.
public enum Init {
    /// The fan-in of a weight of `shape`: `shape[1]` times the product of the remaining
    /// (kernel) sizes, as PyTorch computes it (`[out, in]` → `in`, `[out, in, kh, kw]` →
    /// `in * kh * kw`).
    public static func fanIn(of shape: [Int]) -> Int {
        checkUsage(shape.count >= 2, "Fan in can not be computed for tensor with fewer than 2 dimensions (shape \(shape))")
        return shape[1] * shape.dropFirst(2).reduce(1, *)
    }

    /// He (Kaiming) uniform initialisation for a leaky-ReLU gain with negative slope `a`:
    /// values uniform in `±gain·√(3 / fanIn)` with `gain = √(2 / (1 + a²))`, like
    /// `kaiming_uniform_`. With PyTorch's layer default `a = √5` the bound is `1/√fanIn`.
    public static func kaimingUniform(_ shape: [Int], a: Float = 0, generator: RandomGenerator = .default) -> Tensor {
        let gain = (2 / (1 + a * a)).squareRoot()
        let bound = gain * (3 / Float(fanIn(of: shape))).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, generator: generator)
    }

    /// The default bias of a layer whose weight has `fanIn` inputs: uniform in
    /// `±1/√fanIn` (zeros when `fanIn` is 0), as `Linear` and `Conv2d` initialise it.
    public static func defaultBias(_ shape: [Int], fanIn: Int, generator: RandomGenerator = .default) -> Tensor {
        guard fanIn > 0 else { return Tensor.zeros(shape) }
        let bound = 1 / Float(fanIn).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, generator: generator)
    }
}
