import AutogradCore
import AutogradEngine

/// Batches of a dataset, like `torch.utils.data.DataLoader`: iterate it once per epoch.
///
/// With `shuffle`, each iteration visits the examples in a new random order drawn from
/// `generator`, so a seeded generator gives the same batches on every run. The last batch
/// holds the examples left over (fewer than `batchSize`) unless `dropLast`.
/// ```swift
/// let loader = DataLoader(train, batchSize: 32, shuffle: true)
/// for epoch in 1...10 {
///     for (images, labels) in loader { ... }
/// }
/// ```
public struct DataLoader<Source: Dataset>: Sequence {
    /// The examples batched.
    public let dataset: Source
    /// The number of examples per batch.
    public let batchSize: Int
    /// Whether each pass visits the examples in a new random order.
    public let shuffle: Bool
    /// Whether a last batch smaller than `batchSize` is left out.
    public let dropLast: Bool
    /// Where the random orders come from.
    public let generator: RandomGenerator

    /// A loader of `dataset` in batches of `batchSize`.
    public init(_ dataset: Source, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false,
                generator: RandomGenerator = .default) {
        checkUsage(batchSize > 0, "DataLoader: batch_size should be a positive integer value, but got batch_size=\(batchSize)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.generator = generator
    }

    /// The number of batches in one pass, like `len(loader)`.
    public var count: Int {
        // Written so a batch size near Int.max cannot overflow.
        dataset.count / batchSize + (dropLast || dataset.count % batchSize == 0 ? 0 : 1)
    }

    /// Starts a pass over the dataset (drawing a new order when shuffling).
    public func makeIterator() -> Iterator {
        let order = shuffle ? generator.permutation(dataset.count) : Array(0..<dataset.count)
        return Iterator(dataset: dataset, order: order, batchSize: batchSize, batches: count)
    }

    /// One pass over the dataset.
    public struct Iterator: IteratorProtocol {
        let dataset: Source
        let order: [Int]
        let batchSize: Int
        let batches: Int
        var nextBatch = 0

        /// The next batch, or nil at the end of the pass.
        public mutating func next() -> (input: Tensor, target: Tensor)? {
            guard nextBatch < batches else { return nil }
            let start = nextBatch * batchSize
            nextBatch += 1
            return dataset.batch(Array(order[start..<Swift.min(start + batchSize, order.count)]))
        }
    }
}
