import AutogradCore

/// The collectives on Swift arrays, for values that are not tensors: losses and counts to
/// add up, a shuffled order to share.
extension ProcessGroup {
    /// Combines `values` across every process with `op`, in place; every process must
    /// pass the same count.
    /// ```swift
    /// var totals = [lossSum, Double(examples)]
    /// group.allReduce(&totals)
    /// ```
    public func allReduce<Scalar: DistributedScalar>(_ values: inout [Scalar], op: ReduceOp = .sum) {
        let count = values.count
        values.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            allReduce(base, count: count, kind: Scalar.collectiveKind, op: op)
        }
    }

    /// Replaces `values` on every process with process `root`'s; every process must pass
    /// the same count.
    public func broadcast<Scalar: DistributedScalar>(_ values: inout [Scalar], from root: Int = 0) {
        let count = values.count
        values.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            broadcast(base, count: count, kind: Scalar.collectiveKind, from: root)
        }
    }

    /// Every process's `values` concatenated in rank order; every process must pass the
    /// same count.
    public func allGather<Scalar: DistributedScalar>(_ values: [Scalar]) -> [Scalar] {
        guard let first = values.first else { return [] }
        var output = [Scalar](repeating: first, count: values.count * worldSize)
        values.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { gathered in
                guard let source = input.baseAddress, let destination = gathered.baseAddress else { return }
                allGather(source, into: destination, count: values.count, kind: Scalar.collectiveKind)
            }
        }
        return output
    }

    /// Combines `values` (`worldSize * n` of them) across processes with `op` and returns
    /// block `rank` of the result, `n` values.
    public func reduceScatter<Scalar: DistributedScalar>(_ values: [Scalar], op: ReduceOp = .sum) -> [Scalar] {
        checkUsage(values.count % worldSize == 0, "reduceScatter: the count must be a multiple of the world size \(worldSize), got \(values.count)")
        guard let first = values.first else { return [] }
        let count = values.count / worldSize
        var output = [Scalar](repeating: first, count: count)
        values.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { block in
                guard let source = input.baseAddress, let destination = block.baseAddress else { return }
                reduceScatter(source, into: destination, count: count, kind: Scalar.collectiveKind, op: op)
            }
        }
        return output
    }
}
