import AutogradCore
import AutogradEngine

/// Random tensors drawn from a ``RandomGenerator`` (the default one unless given):
/// `rand`, `randint` and `multinomial`, beside `randn` and `uniform`.
extension Tensor {
    /// A tensor of `shape` with values uniform in [0, 1), like `torch.rand(shape)`; drawn
    /// in float32 and converted to a floating `dtype`.
    public static func rand(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false, generator: RandomGenerator = .default) -> Tensor {
        checkUsage(dtype.isFloatingPoint, "\"check_uniform_bounds\" not implemented for '\(dtype.scalarTypeName)'")
        let values = Tensor(shape: shape, scalars: generator.uniform(count: shape.reduce(1, *))).to(dtype)
        return requiresGrad ? Tensor(values.array, requiresGrad: true) : values
    }

    /// A tensor of `shape` with integers uniform in `low..<high`, int64 by default, like
    /// `torch.randint(low, high, shape)`.
    public static func randint(low: Int = 0, high: Int, shape: [Int], dtype: DType = .int64, generator: RandomGenerator = .default) -> Tensor {
        let values = generator.integers(count: shape.reduce(1, *), low: Int64(low), high: Int64(high))
        return Tensor(NDArray(shape: shape, integers: values, dtype: dtype))
    }

    /// `numSamples` category indices (int64) drawn from each row of `probs` (1-D, or 2-D
    /// with one distribution per row; weights need not sum to 1), like
    /// `torch.multinomial`: without `replacement` each category is drawn at most once.
    public static func multinomial(
        _ probs: Tensor, numSamples: Int, replacement: Bool = false, generator: RandomGenerator = .default
    ) -> Tensor {
        checkUsage(probs.rank == 1 || probs.rank == 2, "multinomial: prob_dist must be 1 or 2 dim")
        checkUsage(probs.dtype.isFloatingPoint, "multinomial only supports floating-point dtypes for input, got: \(probs.dtype.scalarTypeName)")
        checkUsage(numSamples > 0, "multinomial: cannot sample n_sample <= 0 samples")
        let categories = probs.shape[probs.rank - 1]
        checkUsage(replacement || numSamples <= categories, "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        let rows = probs.rank == 1 ? 1 : probs.shape[0]
        let weights = probs.array.doubles
        var samples: [Int64] = []
        samples.reserveCapacity(rows * numSamples)
        for r in 0..<rows {
            var row = Array(weights[r * categories..<(r + 1) * categories])
            checkUsage(row.allSatisfy { $0.isFinite && $0 >= 0 }, "multinomial: probability tensor contains either `inf`, `nan` or element < 0")
            checkUsage(row.reduce(0, +) > 0, "multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
            let draws = generator.uniform(count: numSamples)
            for draw in draws {
                let total = row.reduce(0, +)
                var target = Double(draw) * total, chosen = categories - 1
                for (i, w) in row.enumerated() where w > 0 {
                    chosen = i
                    if target < w { break }
                    target -= w
                }
                samples.append(Int64(chosen))
                if !replacement { row[chosen] = 0 }
            }
        }
        let shape = probs.rank == 1 ? [numSamples] : [rows, numSamples]
        return Tensor(NDArray(shape: shape, integers: samples, dtype: .int64))
    }
}
