import AutogradCore
import AutogradNN

/// The indices of a dataset one process visits in an epoch, like PyTorch's
/// `DistributedSampler`: every process draws the same order (shuffled with `seed + epoch`)
/// and takes every `worldSize`-th index from its rank on, so the processes' shares are
/// disjoint and together cover the dataset.
///
/// Unless `dropLast`, the order is padded by repeating its start so every process gets
/// the same number of indices, ``count`` = ⌈n / worldSize⌉; with `dropLast`, the tail
/// that does not divide evenly is left out. Call ``setEpoch(_:)`` before each epoch for a
/// new order.
/// ```swift
/// var sampler = DistributedSampler(datasetCount: train.count, group: group, seed: 0)
/// for epoch in 0..<epochs {
///     sampler.setEpoch(epoch)
///     for (x, y) in DataLoader(sampler.subset(of: train), batchSize: 32) { ... }
/// }
/// ```
public struct DistributedSampler: Sequence, Sendable {
    /// The number of examples in the dataset.
    public let datasetCount: Int
    /// The process whose share this is.
    public let rank: Int
    /// The number of processes sharing the dataset.
    public let worldSize: Int
    /// Whether each epoch visits the examples in a new random order.
    public let shuffle: Bool
    /// The seed of the order, the same on every process.
    public let seed: UInt64
    /// Whether the tail that does not divide evenly among the processes is left out
    /// (instead of padding).
    public let dropLast: Bool
    /// The epoch whose order is drawn; set by ``setEpoch(_:)``.
    public private(set) var epoch = 0

    /// The sampler of `datasetCount` examples for process `rank` of `worldSize`.
    public init(datasetCount: Int, rank: Int, worldSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false) {
        checkUsage(worldSize >= 1, "DistributedSampler: the world size must be at least 1, got \(worldSize)")
        checkUsage((0..<worldSize).contains(rank), "DistributedSampler: invalid rank \(rank), rank should be in the interval [0, \(worldSize - 1)]")
        checkUsage(datasetCount >= 0, "DistributedSampler: the dataset size must not be negative, got \(datasetCount)")
        self.datasetCount = datasetCount
        self.rank = rank
        self.worldSize = worldSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
    }

    /// The sampler of `datasetCount` examples for this process of `group`.
    public init(datasetCount: Int, group: ProcessGroup, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false) {
        self.init(datasetCount: datasetCount, rank: group.rank, worldSize: group.worldSize, shuffle: shuffle, seed: seed, dropLast: dropLast)
    }

    /// Chooses the epoch whose order the next ``indices()`` draws (`set_epoch`).
    public mutating func setEpoch(_ epoch: Int) { self.epoch = epoch }

    /// The number of indices each process gets in an epoch (`len(sampler)`).
    public var count: Int {
        if dropLast && datasetCount % worldSize != 0 {
            // ⌈(n - worldSize) / worldSize⌉, as PyTorch computes it.
            let remainder = datasetCount - worldSize
            return remainder <= 0 ? 0 : (remainder + worldSize - 1) / worldSize
        }
        return (datasetCount + worldSize - 1) / worldSize
    }

    /// The number of indices all processes get together, `count * worldSize`.
    public var totalCount: Int { count * worldSize }

    /// This process's indices for the current epoch, in the order to visit them.
    public func indices() -> [Int] {
        guard datasetCount > 0, count > 0 else { return [] }
        var order = shuffle
            ? RandomGenerator(seed: seed &+ UInt64(truncatingIfNeeded: epoch)).permutation(datasetCount)
            : Array(0..<datasetCount)
        if order.count < totalCount {
            let original = order
            while order.count < totalCount { order += original.prefix(totalCount - order.count) }
        } else {
            order = Array(order.prefix(totalCount))
        }
        return Array(stride(from: rank, to: totalCount, by: worldSize).map { order[$0] })
    }

    /// Iterates over ``indices()``.
    public func makeIterator() -> IndexingIterator<[Int]> { indices().makeIterator() }

    /// This process's examples of `dataset` for the current epoch, in order; give it to a
    /// `DataLoader` without `shuffle`.
    public func subset<Base: Dataset>(of dataset: Base) -> Subset<Base> {
        checkUsage(dataset.count == datasetCount, "DistributedSampler: made for \(datasetCount) examples, but the dataset has \(dataset.count)")
        return Subset(dataset, indices: indices())
    }
}
