import Autograd
import Foundation

/// Every collective, on tensors and on arrays of every element kind, with every reduction.
func checkCollectives(_ group: ProcessGroup) {
    let rank = group.rank, size = group.worldSize
    expect(size >= 2, "run with at least 2 processes, got \(size)", group)
    let ranks = (0..<size).map(Float.init)

    // Tensors, each reduction.
    for op in ReduceOp.allCases {
        let tensor = Tensor([Float(rank) + 1, 10 * Float(rank) - 3])
        group.allReduce(tensor, op: op)
        let firsts = ranks.map { $0 + 1 }, seconds = ranks.map { 10 * $0 - 3 }
        let expected: [Float]
        switch op {
        case .sum: expected = [firsts.reduce(0, +), seconds.reduce(0, +)]
        case .mean: expected = [firsts.reduce(0, +) / Float(size), seconds.reduce(0, +) / Float(size)]
        case .max: expected = [firsts.max() ?? 0, seconds.max() ?? 0]
        case .min: expected = [firsts.min() ?? 0, seconds.min() ?? 0]
        }
        expectClose(tensor.scalars, expected, tolerance: 0, "allReduce \(op) of a tensor", group)
    }

    // A view that is not contiguous is reduced and written back in place.
    let matrix = Tensor(shape: [2, 3], scalars: (0..<6).map { Float($0 + rank) })
    let transposed = matrix.transpose(0, 1)
    group.allReduce(transposed, op: .sum)
    let offset = Float((0..<size).reduce(0, +))
    expectClose(matrix.scalars, (0..<6).map { Float(size) * Float($0) + offset }, tolerance: 0, "allReduce of a transposed view", group)

    // Broadcast from the last rank.
    let root = size - 1
    let broadcast = Tensor([Float(rank), Float(rank) * 2])
    group.broadcast(broadcast, from: root)
    expectClose(broadcast.scalars, [Float(root), Float(root) * 2], tolerance: 0, "broadcast from rank \(root)", group)

    // allGather and reduceScatter on tensors.
    let gathered = group.allGather(Tensor(shape: [1, 2], scalars: [Float(rank), -Float(rank)]))
    expect(gathered.shape == [size, 2], "allGather shape \(gathered.shape)", group)
    expectClose(gathered.scalars, ranks.flatMap { [$0, -$0] }, tolerance: 0, "allGather of a tensor", group)
    let scattered = group.reduceScatter(Tensor(shape: [size, 2], scalars: (0..<(2 * size)).map { Float($0 * (rank + 1)) }), op: .sum)
    let factor = Float((1...size).reduce(0, +))
    expectClose(scattered.scalars, [Float(2 * rank) * factor, Float(2 * rank + 1) * factor], tolerance: 0, "reduceScatter of a tensor", group)

    // Tensors of every dtype: reductions where MPI has the type, copies for all.
    for dtype in DType.allCases {
        func expected(_ values: [Float]) -> [Float] { Tensor(values, dtype: dtype).scalars }
        if CollectiveElementKind(dtype) != nil {
            let summed = Tensor([Float(rank) + 1, 2], dtype: dtype)
            group.allReduce(summed, op: .sum)
            expectClose(summed.scalars, expected([Float((1...size).reduce(0, +)), Float(2 * size)]), tolerance: 0, "allReduce sum of \(dtype)", group)
            let maximum = Tensor([Float(rank) + 1, 2], dtype: dtype)
            group.allReduce(maximum, op: .max)
            expectClose(maximum.scalars, expected([Float(size), 2]), tolerance: 0, "allReduce max of \(dtype)", group)
            let minimum = Tensor([Float(rank) + 1, 2], dtype: dtype)
            group.allReduce(minimum, op: .min)
            expectClose(minimum.scalars, expected([1, 2]), tolerance: 0, "allReduce min of \(dtype)", group)
            if dtype.isFloatingPoint {
                let mean = Tensor([Float(rank) + 1, 2], dtype: dtype)
                group.allReduce(mean, op: .mean)
                expectClose(mean.scalars, expected([Float((1...size).reduce(0, +)) / Float(size), 2]), tolerance: 0, "allReduce mean of \(dtype)", group)
            }
        }
        let copied = Tensor([Float(rank) + 1, 0.5], dtype: dtype)
        group.broadcast(copied, from: root)
        expectClose(copied.scalars, expected([Float(root) + 1, 0.5]), tolerance: 0, "broadcast of \(dtype)", group)
        let all = group.allGather(Tensor([Float(rank) + 1], dtype: dtype))
        expect(all.dtype == dtype, "allGather of \(dtype) gave \(all.dtype)", group)
        expectClose(all.scalars, expected(ranks.map { $0 + 1 }), tolerance: 0, "allGather of \(dtype)", group)
    }

    // Arrays of every kind and every reduction that applies.
    checkArrays(Float.self, group)
    checkArrays(Double.self, group)
    checkArrays(Int8.self, group)
    checkArrays(Int16.self, group)
    checkArrays(UInt8.self, group)
    checkArrays(Int32.self, group)
    checkArrays(Int64.self, group)
    checkArrays(Int.self, group)
    var flags = [rank == 0, false, true]
    group.allReduce(&flags, op: .max)
    expect(flags == [true, false, true], "allReduce max (or) of Bool gave \(flags)", group)
    flags = [rank == 0, false, true]
    group.allReduce(&flags, op: .min)
    expect(flags == [false, false, true], "allReduce min (and) of Bool gave \(flags)", group)
    group.barrier()
}

/// allReduce (sum, max, min, and mean for floating point), broadcast, allGather and
/// reduceScatter on arrays of `Scalar`, with small values every kind holds.
func checkArrays<Scalar: DistributedScalar & BinaryInteger>(_ type: Scalar.Type, _ group: ProcessGroup) {
    let rank = group.rank, size = group.worldSize
    func values() -> [Scalar] { [Scalar(rank), Scalar(2 * rank + 1)] }
    var sum = values(); group.allReduce(&sum, op: .sum)
    var maximum = values(); group.allReduce(&maximum, op: .max)
    var minimum = values(); group.allReduce(&minimum, op: .min)
    let all = (0..<size)
    expect(sum == [Scalar(all.reduce(0, +)), Scalar(all.map { 2 * $0 + 1 }.reduce(0, +))], "\(Scalar.self) sum \(sum)", group)
    expect(maximum == [Scalar(size - 1), Scalar(2 * size - 1)], "\(Scalar.self) max \(maximum)", group)
    expect(minimum == [0, 1], "\(Scalar.self) min \(minimum)", group)
    var shared = values(); group.broadcast(&shared, from: 1)
    expect(shared == [1, 3], "\(Scalar.self) broadcast \(shared)", group)
    let gathered = group.allGather([Scalar(rank)])
    expect(gathered == all.map { Scalar($0) }, "\(Scalar.self) allGather \(gathered)", group)
    let block = group.reduceScatter(all.map { _ in Scalar(rank) }, op: .max)
    expect(block == [Scalar(size - 1)], "\(Scalar.self) reduceScatter \(block)", group)
}

/// The floating-point kinds, with the mean as well.
func checkArrays<Scalar: DistributedScalar & BinaryFloatingPoint>(_ type: Scalar.Type, _ group: ProcessGroup) {
    let rank = group.rank, size = group.worldSize
    var values: [Scalar] = [Scalar(rank), 0.5]
    group.allReduce(&values, op: .mean)
    let mean = Scalar((0..<size).reduce(0, +)) / Scalar(size)
    expect(values == [mean, 0.5], "\(Scalar.self) mean \(values)", group)
    for op in [ReduceOp.sum, .max, .min] {
        var v: [Scalar] = [Scalar(rank) - 0.25]
        group.allReduce(&v, op: op)
        let all = (0..<size).map { Scalar($0) - 0.25 }
        let expected = op == .sum ? all.reduce(0, +) : op == .max ? all.max() ?? 0 : all.min() ?? 0
        expect(v == [expected], "\(Scalar.self) \(op) \(v)", group)
    }
    var shared: [Scalar] = [Scalar(rank) + 0.5]
    group.broadcast(&shared, from: 1)
    expect(shared == [1.5], "\(Scalar.self) broadcast \(shared)", group)
    let gathered = group.allGather([Scalar(rank) * 0.5])
    expect(gathered == (0..<size).map { Scalar($0) * 0.5 }, "\(Scalar.self) allGather \(gathered)", group)
    let block = group.reduceScatter((0..<size).map { _ in Scalar(rank) }, op: .mean)
    expect(block == [mean], "\(Scalar.self) reduceScatter mean \(block)", group)
}

/// The ranks' sampler shares are disjoint, equally long and cover the dataset, and the
/// order is the same on every rank.
func checkSampler(_ group: ProcessGroup) {
    for (count, dropLast) in [(10, false), (11, false), (11, true), (1, false)] {
        var sampler = DistributedSampler(datasetCount: count, group: group, shuffle: true, seed: 7, dropLast: dropLast)
        sampler.setEpoch(3)
        let mine = sampler.indices()
        expect(mine.count == sampler.count, "sampler of \(count): \(mine.count) indices, count says \(sampler.count)", group)
        let all = group.allGather(mine)
        expect(all.count == sampler.totalCount, "sampler of \(count): gathered \(all.count)", group)
        let distinct = Set(all)
        if dropLast {
            expect(distinct.count == all.count, "sampler of \(count) with dropLast repeats an index: \(all)", group)
        } else {
            expect(distinct == Set(0..<count), "sampler of \(count) does not cover the dataset: \(all)", group)
        }
    }
}
