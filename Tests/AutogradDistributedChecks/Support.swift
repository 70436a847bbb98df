import Autograd
import Foundation

/// Aborts the job with `message` unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String, _ group: ProcessGroup) {
    if !condition { group.abort("rank \(group.rank): FAILED: \(message())") }
}

/// Aborts unless `actual` and `expected` agree within `tolerance` element by element.
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, _ what: String, _ group: ProcessGroup) {
    expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", group)
    let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
    expect(worst <= tolerance, "\(what): max |difference| \(worst) > \(tolerance)\n  got      \(actual.prefix(8))\n  expected \(expected.prefix(8))", group)
}

/// A small model whose parameters have uneven sizes: one unused by forward, one used twice.
final class UnevenModel: Module {
    let first = Linear(inFeatures: 5, outFeatures: 7)
    let second = Linear(inFeatures: 7, outFeatures: 3)
    let unused = Parameter(Tensor.randn([4]))
    let scale = Parameter(Tensor([1.5]))

    override func forward(_ input: Tensor) -> Tensor {
        second(first(input).tanh()) * scale + scale
    }
}

/// The global batch every test step uses: `count` rows of 5 features and class targets.
func globalBatch(step: Int, count: Int) -> (Tensor, Tensor) {
    let generator = RandomGenerator(seed: 1000 + UInt64(step))
    let inputs = Tensor(shape: [count, 5], scalars: generator.normal(count: count * 5))
    let targets = Tensor((0..<count).map { ($0 + step) % 3 })
    return (inputs, targets)
}

/// Rows `range` of `tensor`.
func rows(_ tensor: Tensor, _ range: Range<Int>) -> Tensor {
    tensor.indexSelect(dim: 0, indices: Array(range))
}

/// This process's contiguous share of `count` examples: sizes differ by at most one,
/// the first processes taking the extra ones.
func share(of count: Int, _ group: ProcessGroup) -> Range<Int> {
    let base = count / group.worldSize, extra = count % group.worldSize
    let start = group.rank * base + Swift.min(group.rank, extra)
    return start..<(start + base + (group.rank < extra ? 1 : 0))
}

/// Copies `source`'s parameters into `destination` (same architecture).
func copyParameters(from source: Module, to destination: Module) {
    for (from, to) in zip(source.parameters(), destination.parameters()) {
        to.array.assign(from: from.array)
    }
}
