import XCTest
import Autograd

/// Each line of the indexing part of the public API contract (issue 11), written exactly
/// as the contract spells it, with the values, node names and gradients PyTorch 2.15
/// gives for the same inputs (x = arange(20).reshape(4, 5), p = arange(24).reshape(2, 3, 4)).
final class IndexingContractTests: XCTestCase {
    private var x = Tensor(shape: [4, 5], scalars: (0..<20).map(Float.init), requiresGrad: true)
    private let p = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
    private let v = Tensor([1.0, 2.0, 3.0])
    private var mask: Tensor { x .> 10.5 }
    /// The weights 0..<20 that reduce an output of x's shape to a scalar for backward.
    private let weights = Tensor(shape: [4, 5], scalars: (0..<20).map(Float.init))

    func testBasicIndexingGivesViewsWithPyTorchsNodes() {
        XCTAssertEqual(x[.all, 1].scalars, [1, 6, 11, 16])
        XCTAssertEqual(x[.all, 1].gradFn?.name, "SelectBackward0")
        XCTAssertEqual(x[1..<3].scalars, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
        XCTAssertEqual(x[1..<3].gradFn?.name, "SliceBackward0")
        XCTAssertEqual(x[.all, .stride(from: 1, to: 4, by: 2)].scalars, [1, 3, 6, 8, 11, 13, 16, 18])
        XCTAssertEqual(x[.all, .stride(from: 1, to: 4, by: 2)].shape, [4, 2])
        XCTAssertEqual(x[.all, .stride(from: 1, to: 4, by: 2)].gradFn?.name, "SliceBackward0")
        XCTAssertEqual(p[.ellipsis, 0].scalars, [0, 4, 8, 12, 16, 20])
        XCTAssertEqual(p[.ellipsis, 0].shape, [2, 3])
        XCTAssertEqual(v[.newAxis].shape, [1, 3])
        XCTAssertEqual(Tensor([1.0, 2.0, 3.0], requiresGrad: true)[.newAxis].gradFn?.name, "UnsqueezeBackward0")
        XCTAssertEqual(x[-1].scalars, [15, 16, 17, 18, 19])
        XCTAssertEqual(x[-1].gradFn?.name, "SelectBackward0")
        // Views share storage: a write through the base shows in them.
        let base = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let column = base[.all, .stride(from: 0, to: nil, by: 2)]
        base.fill(7)
        XCTAssertEqual(column.scalars, [7, 7, 7, 7])
    }

    func testAdvancedIndexingGivesIndexBackward0() {
        XCTAssertEqual(x[Tensor([2, 0, 2])].scalars, [10, 11, 12, 13, 14, 0, 1, 2, 3, 4, 10, 11, 12, 13, 14])
        XCTAssertEqual(x[Tensor([2, 0, 2])].gradFn?.name, "IndexBackward0")
        XCTAssertEqual(x[mask].scalars, [11, 12, 13, 14, 15, 16, 17, 18, 19])
        XCTAssertEqual(x[mask].gradFn?.name, "IndexBackward0")
        x[Tensor([2, 0, 2])].sum().backward()
        XCTAssertEqual(x.grad?.scalars, [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0])
    }

    func testAssignmentRecordsIndexPutAndCopySlices() {
        let y = x * 1
        let z = Tensor([7.0, 8.0, 9.0, 10.0], requiresGrad: true)
        y[mask] = Tensor(0.0)
        XCTAssertEqual(y.gradFn?.name, "IndexPutBackward0")
        y[.all, 0] = z
        XCTAssertEqual(y.gradFn?.name, "CopySlices")
        XCTAssertEqual(y.scalars, [7, 1, 2, 3, 4, 8, 6, 7, 8, 9, 9, 0, 0, 0, 0, 10, 0, 0, 0, 0])
        (y * weights).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(z.grad?.scalars, [0, 5, 10, 15])
    }

    func testGatherScatterAndIndexOps() {
        let i = Tensor([[0, 1], [2, 3], [4, 0], [1, 2]])
        let s = Tensor(shape: [4, 2], scalars: (100..<108).map(Float.init), requiresGrad: true)
        XCTAssertEqual(x.gather(dim: 1, index: i).scalars, [0, 1, 7, 8, 14, 10, 16, 17])
        XCTAssertEqual(x.gather(dim: 1, index: i).gradFn?.name, "GatherBackward0")
        let scattered = x.scatter(dim: 1, index: i, source: s)
        XCTAssertEqual(scattered.scalars, [100, 101, 2, 3, 4, 5, 6, 102, 103, 9, 105, 11, 12, 13, 104, 15, 106, 107, 18, 19])
        XCTAssertEqual(scattered.gradFn?.name, "ScatterBackward0")
        (scattered * weights).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0, 2, 3, 4, 5, 6, 0, 0, 9, 0, 11, 12, 13, 0, 15, 0, 0, 18, 19])
        XCTAssertEqual(s.grad?.scalars, [0, 1, 7, 8, 14, 10, 16, 17])
        let added = x.scatterAdd(dim: 1, index: i, source: s)
        XCTAssertEqual(added.scalars, [100, 102, 2, 3, 4, 5, 6, 109, 111, 9, 115, 11, 12, 13, 118, 15, 122, 124, 18, 19])
        XCTAssertEqual(added.gradFn?.name, "ScatterAddBackward0")
        XCTAssertEqual(x.indexSelect(dim: 1, index: Tensor([3, 0])).scalars, [3, 0, 8, 5, 13, 10, 18, 15])
        XCTAssertEqual(x.indexSelect(dim: 1, index: Tensor([3, 0])).gradFn?.name, "IndexSelectBackward0")
        do {
            let i = Tensor([0, 2, 0]), s = Tensor.ones([3, 5])
            let sum = x.indexAdd(dim: 0, index: i, source: s)
            XCTAssertEqual(sum.scalars, [2, 3, 4, 5, 6, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 15, 16, 17, 18, 19])
            XCTAssertEqual(sum.gradFn?.name, "IndexAddBackward0")
        }
        XCTAssertEqual(x.maskedSelect(mask).scalars, [11, 12, 13, 14, 15, 16, 17, 18, 19])
        XCTAssertEqual(x.maskedSelect(mask).gradFn?.name, "MaskedSelectBackward0")
    }

    /// Bool, two-byte float and narrow integer tensors, as PyTorch 2.15 computes them: sums
    /// into bool are logical ors, int8 sums wrap, and the last of repeated writes wins.
    func testOtherDTypesFollowPyTorch() {
        let i = Tensor([0, 0, 2])
        let flags = Tensor.zeros([3], dtype: .bool)
        XCTAssertEqual(flags.scatterAdd(dim: 0, index: i, source: Tensor([true, false, true])).asArray(Bool.self),
                       [true, false, true])
        XCTAssertEqual(flags.indexAdd(dim: 0, index: i, source: Tensor.ones([3], dtype: .bool)).asArray(Bool.self),
                       [true, false, true])
        let halves = Tensor.zeros([3], dtype: .float16).scatterAdd(dim: 0, index: i, source: Tensor.ones([3], dtype: .float16))
        XCTAssertEqual(halves.dtype, .float16)
        XCTAssertEqual(halves.scalars, [2, 0, 1])
        let small = Tensor.zeros([3], dtype: .int8).indexAdd(dim: 0, index: i, source: Tensor([100, 100, 100], dtype: .int8))
        XCTAssertEqual(small.asArray(Int.self), [-56, 0, 100])
        XCTAssertEqual(Tensor([true, false, true])[Tensor([2, 1])].asArray(Bool.self), [true, false])
        let bytes = Tensor.zeros([3], dtype: .uint8)
        bytes[Tensor([0, 0])] = Tensor([5, 6], dtype: .uint8)
        XCTAssertEqual(bytes.asArray(Int.self), [6, 0, 0])
    }

    /// The other spellings of an index: Swift's ranges, arrays, `.int`, `.range`, `.tensor`.
    func testOtherIndexSpellings() {
        let m = Tensor(shape: [3, 4], scalars: (0..<12).map(Float.init))
        XCTAssertEqual(m[1...2].shape, [2, 4])
        XCTAssertEqual(m[.all, 2...].scalars, [2, 3, 6, 7, 10, 11])
        XCTAssertEqual(m[..<1, ...1].scalars, [0, 1])
        XCTAssertEqual(m[0, ...(-1)].scalars, [0, 1, 2, 3])
        XCTAssertEqual(m[[2, 0]].scalars, [8, 9, 10, 11, 0, 1, 2, 3])
        XCTAssertEqual(m[.int(1), .range(1..<3)].scalars, [5, 6])
        XCTAssertEqual(m[.tensor(Tensor([true, false, true])), .stride(by: 3)].scalars, [0, 3, 8, 11])
        XCTAssertEqual(m[.stride(from: -2)].shape, [2, 4])
        XCTAssertEqual(m[.ellipsis].shape, [3, 4])
    }
}
