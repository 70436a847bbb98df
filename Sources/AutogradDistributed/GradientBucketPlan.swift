import AutogradCore

/// How ``DistributedDataParallel`` groups gradients into buckets, each all-reduced as one
/// message, computed as PyTorch's `compute_bucket_assignment_by_size` does.
///
/// Parameters are taken in reverse order (backward produces the last layer's gradients
/// first), each bucket holds one element kind, and a bucket is closed once it holds at
/// least its byte limit: ``firstBucketBytes`` for the first (so communication starts
/// early), ``bucketBytes`` after. A parameter is never split, so a bucket may exceed its
/// limit by one parameter, and a parameter larger than the limit has a bucket to itself.
public struct GradientBucketPlan: Equatable, Sendable {
    /// One bucket: which parameters it holds and where each sits in its flat buffer.
    public struct Bucket: Equatable, Sendable {
        /// Indices into the parameter list, in the order they sit in the buffer.
        public let parameters: [Int]
        /// The element offset of each parameter in the buffer, in the same order.
        public let offsets: [Int]
        /// The number of elements in the buffer.
        public let count: Int
        /// The element kind of every parameter in the bucket.
        public let kind: CollectiveElementKind

        /// The bucket's size in bytes.
        public var byteCount: Int { count * kind.byteCount }
    }

    /// PyTorch's `bucket_cap_mb` default, 25 MiB.
    public static let defaultBucketBytes = 25 * 1024 * 1024
    /// PyTorch's `first_bucket_bytes_cap` default, 1 MiB.
    public static let defaultFirstBucketBytes = 1024 * 1024

    /// The buckets, in the order they are all-reduced.
    public let buckets: [Bucket]
    /// The byte limit of the first bucket of each kind.
    public let firstBucketBytes: Int
    /// The byte limit of every later bucket.
    public let bucketBytes: Int

    /// The plan for parameters of `counts` elements of `kinds` (all ``CollectiveElementKind/float32``
    /// when omitted), in the module's parameter order.
    public init(counts: [Int], kinds: [CollectiveElementKind]? = nil,
                bucketBytes: Int = defaultBucketBytes, firstBucketBytes: Int = defaultFirstBucketBytes) {
        let kinds = kinds ?? Array(repeating: .float32, count: counts.count)
        checkUsage(kinds.count == counts.count, "GradientBucketPlan: \(counts.count) counts but \(kinds.count) kinds")
        checkUsage(bucketBytes > 0 && firstBucketBytes > 0, "GradientBucketPlan: bucket sizes must be positive, got \(firstBucketBytes) and \(bucketBytes) bytes")
        checkUsage(counts.allSatisfy { $0 >= 0 }, "GradientBucketPlan: element counts must not be negative")
        self.bucketBytes = bucketBytes
        self.firstBucketBytes = firstBucketBytes
        var buckets: [Bucket] = []
        // The open bucket of each kind, and the kinds in the order they first appear.
        var open: [CollectiveElementKind: OpenBucket] = [:]
        var order: [CollectiveElementKind] = []
        for index in counts.indices.reversed() {
            let kind = kinds[index]
            var bucket = open[kind] ?? OpenBucket(isFirst: true)
            if open[kind] == nil { order.append(kind) }
            bucket.parameters.append(index)
            bucket.count += counts[index]
            if bucket.count * kind.byteCount >= (bucket.isFirst ? firstBucketBytes : bucketBytes) {
                buckets.append(bucket.closed(kind: kind, counts: counts))
                bucket = OpenBucket(isFirst: false)
            }
            open[kind] = bucket
        }
        for kind in order {
            if let bucket = open[kind], !bucket.parameters.isEmpty { buckets.append(bucket.closed(kind: kind, counts: counts)) }
        }
        self.buckets = buckets
        self.parameterCount = counts.count
    }

    /// The number of parameters planned for.
    public let parameterCount: Int

    /// The bucket and position in it of each parameter: `locations[i]` is
    /// `(bucket, slot)` with `buckets[bucket].parameters[slot] == i`; nil for a parameter
    /// in no bucket.
    public var locations: [(bucket: Int, slot: Int)?] {
        var result = [(bucket: Int, slot: Int)?](repeating: nil, count: parameterCount)
        for (b, bucket) in buckets.enumerated() {
            for (slot, index) in bucket.parameters.enumerated() { result[index] = (b, slot) }
        }
        return result
    }
}

/// A bucket being filled while the plan is made.
private struct OpenBucket {
    var parameters: [Int] = []
    var count = 0
    let isFirst: Bool

    init(isFirst: Bool) { self.isFirst = isFirst }

    /// The finished bucket, with each parameter's offset.
    func closed(kind: CollectiveElementKind, counts: [Int]) -> GradientBucketPlan.Bucket {
        var offsets: [Int] = [], offset = 0
        for index in parameters {
            offsets.append(offset)
            offset += counts[index]
        }
        return GradientBucketPlan.Bucket(parameters: parameters, offsets: offsets, count: count, kind: kind)
    }
}
