import AutogradCore
import AutogradEngine
import Foundation

/// A seedable source of random numbers (xoshiro256**, seeded through SplitMix64), shared
/// by initialisers, ``Dropout`` and ``DataLoader`` so that one seed fixes a whole run.
///
/// ```swift
/// manualSeed(42)                       // like torch.manual_seed(42)
/// let layer = Linear(inFeatures: 4, outFeatures: 2)   // the same weights every run
/// let own = RandomGenerator(seed: 7)   // an independent stream
/// ```
/// The generator is a reference type and safe to share between threads (each draw
/// takes a lock); draws of many values take the lock once.
public final class RandomGenerator: RandomNumberGenerator, @unchecked Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private let lock = NSLock()

    /// The generator that layers, dropout and data loaders use unless given another.
    /// It starts from PyTorch's default seed, 67280421310721.
    public static let `default` = RandomGenerator(seed: 67_280_421_310_721)

    /// A generator started from `seed`.
    public init(seed: UInt64) { reseed(seed) }

    /// Restarts the sequence from `seed`, like `torch.Generator.manual_seed`.
    public func manualSeed(_ seed: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        reseed(seed)
    }

    /// The next 64 random bits.
    public func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return nextUnlocked()
    }

    /// `count` values drawn uniformly from `[low, high)`, like `torch.empty(n).uniform_(low, high)`.
    public func uniform(count: Int, low: Float = 0, high: Float = 1) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        return (0..<count).map { _ in low + (high - low) * unitFloat() }
    }

    /// `count` values from the normal distribution with the given mean and standard
    /// deviation (Box–Muller), like `torch.empty(n).normal_(mean, std)`.
    public func normal(count: Int, mean: Float = 0, standardDeviation: Float = 1) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        var values: [Float] = []
        values.reserveCapacity(count + 1)
        while values.count < count {
            let u1 = 1 - Double(unitFloat()), u2 = Double(unitFloat())
            let radius = (-2 * Foundation.log(u1)).squareRoot()
            values.append(mean + standardDeviation * Float(radius * Foundation.cos(2 * Double.pi * u2)))
            values.append(mean + standardDeviation * Float(radius * Foundation.sin(2 * Double.pi * u2)))
        }
        return Array(values.prefix(count))
    }

    /// `count` values that are 1 with probability `probability` and 0 otherwise.
    public func bernoulli(count: Int, probability: Float) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        return (0..<count).map { _ in unitFloat() < probability ? 1 : 0 }
    }

    /// A random ordering of `0..<count` (Fisher–Yates), like `torch.randperm(count)`.
    public func permutation(_ count: Int) -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(boundedUnlocked(UInt64(i + 1))))
        }
        return order
    }

    /// `count` integers drawn uniformly from `low..<high` (without modulo bias), like
    /// `torch.randint(low, high, (count,))`.
    public func integers(count: Int, low: Int64, high: Int64) -> [Int64] {
        checkUsage(low < high, "random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)")
        lock.lock()
        defer { lock.unlock() }
        let span = UInt64(bitPattern: high &- low)
        return (0..<count).map { _ in low &+ Int64(bitPattern: boundedUnlocked(span)) }
    }

    // MARK: - The generator proper (callers hold the lock)

    private func reseed(_ seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    }

    private func nextUnlocked() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    /// A float in `[0, 1)` with 24 random bits.
    private func unitFloat() -> Float { Float(nextUnlocked() >> 40) * 0x1p-24 }

    /// An integer in `0..<bound` without modulo bias (Lemire's method).
    private func boundedUnlocked(_ bound: UInt64) -> UInt64 {
        var product = nextUnlocked().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = nextUnlocked().multipliedFullWidth(by: bound) }
        }
        return product.high
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// Seeds ``RandomGenerator/default``, like `torch.manual_seed`: layers created, dropout
/// masks drawn and batches shuffled afterwards are the same on every run.
public func manualSeed(_ seed: UInt64) { RandomGenerator.default.manualSeed(seed) }

extension Tensor {
    /// A tensor of `shape` with values uniform in `[low, high)`, like
    /// `torch.empty(shape).uniform_(low, high)`.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, dtype: DType = .float32, generator: RandomGenerator = .default
    ) -> Tensor {
        Tensor(shape: shape, scalars: generator.uniform(count: shape.reduce(1, *), low: low, high: high)).to(dtype)
    }

    /// A tensor of `shape` with standard normal values, like `torch.randn(shape)`; the
    /// values are drawn in float32 and converted to a floating `dtype`.
    public static func randn(_ shape: [Int], dtype: DType = .float32, generator: RandomGenerator = .default) -> Tensor {
        Tensor(shape: shape, scalars: generator.normal(count: shape.reduce(1, *))).to(dtype)
    }
}
