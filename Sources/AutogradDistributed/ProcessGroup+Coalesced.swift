import AutogradCore
import AutogradEngine

extension ProcessGroup {
    /// Broadcasts many tensors from `root` in few messages: the tensors of each element
    /// kind are copied into one flat buffer of at most `bucketBytes` (a tensor larger than
    /// that goes alone), broadcast, and copied back. Used to give every process rank 0's
    /// parameters and buffers.
    public func broadcastCoalesced(_ tensors: [Tensor], from root: Int = 0, bucketBytes: Int = GradientBucketPlan.defaultBucketBytes) {
        checkUsage((0..<worldSize).contains(root), "broadcast: the root rank \(root) is not in 0..<\(worldSize)")
        guard worldSize > 1, !tensors.isEmpty else { return }
        let layouts = tensors.map { collectiveLayout(of: $0.dtype, reducing: false, in: "broadcast") }
        let plan = GradientBucketPlan(counts: zip(tensors, layouts).map { $0.count * $1.perElement }, kinds: layouts.map(\.kind),
                                      bucketBytes: bucketBytes, firstBucketBytes: bucketBytes)
        for bucket in plan.buckets {
            let staging = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bucket.byteCount, 1), alignment: 16)
            defer { staging.deallocate() }
            for (slot, index) in bucket.parameters.enumerated() where rank == root {
                withElements(of: tensors[index], writing: false, reducing: false, in: "broadcast") { source, count, kind in
                    (staging + bucket.offsets[slot] * kind.byteCount).copyMemory(from: source, byteCount: count * kind.byteCount)
                }
            }
            broadcast(staging, count: bucket.count, kind: bucket.kind, from: root)
            guard rank != root else { continue }
            for (slot, index) in bucket.parameters.enumerated() {
                withElements(of: tensors[index], writing: true, reducing: false, in: "broadcast") { destination, count, kind in
                    destination.copyMemory(from: staging + bucket.offsets[slot] * kind.byteCount, byteCount: count * kind.byteCount)
                }
            }
        }
    }
}
