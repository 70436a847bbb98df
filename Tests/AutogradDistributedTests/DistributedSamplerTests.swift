import Autograd
import XCTest

/// `DistributedSampler` against PyTorch's semantics: padding by repeating the start,
/// `dropLast`, every `worldSize`-th index from the rank, a new order per epoch.
final class DistributedSamplerTests: XCTestCase {
    /// The shares of every rank of `worldSize`.
    private func shares(_ count: Int, worldSize: Int, shuffle: Bool = false, dropLast: Bool = false, epoch: Int = 0) -> [[Int]] {
        (0..<worldSize).map { rank in
            var sampler = DistributedSampler(datasetCount: count, rank: rank, worldSize: worldSize, shuffle: shuffle, seed: 3, dropLast: dropLast)
            sampler.setEpoch(epoch)
            return sampler.indices()
        }
    }

    func testWithoutShufflingTheSharesAreWhatPyTorchGives() {
        // list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False))
        XCTAssertEqual(shares(10, worldSize: 3), [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]])
        // ... with drop_last=True
        XCTAssertEqual(shares(10, worldSize: 3, dropLast: true), [[0, 3, 6], [1, 4, 7], [2, 5, 8]])
        XCTAssertEqual(shares(2, worldSize: 4), [[0], [1], [0], [1]])
        XCTAssertEqual(shares(2, worldSize: 3, dropLast: true), [[], [], []])
        XCTAssertEqual(shares(0, worldSize: 2), [[], []])
    }

    func testCountsMatchPyTorch() {
        for (count, worldSize, dropLast, expected) in [(10, 3, false, 4), (10, 3, true, 3), (9, 3, true, 3), (7, 2, true, 3), (1, 2, false, 1), (1, 2, true, 0)] {
            let sampler = DistributedSampler(datasetCount: count, rank: 0, worldSize: worldSize, dropLast: dropLast)
            XCTAssertEqual(sampler.count, expected, "n=\(count) world=\(worldSize) dropLast=\(dropLast)")
            XCTAssertEqual(sampler.totalCount, expected * worldSize)
            XCTAssertEqual(sampler.indices().count, expected)
        }
    }

    func testShuffledSharesAreDisjointCoverTheDataAndChangeWithTheEpoch() {
        let epoch0 = shares(101, worldSize: 4, shuffle: true)
        XCTAssertEqual(Set(epoch0.flatMap { $0 }), Set(0..<101))
        XCTAssertEqual(epoch0.map(\.count), [26, 26, 26, 26])
        XCTAssertEqual(epoch0.flatMap { $0 }.count - 101, 3, "three indices repeat as padding")
        XCTAssertEqual(shares(101, worldSize: 4, shuffle: true), epoch0, "the same seed and epoch give the same order")
        let epoch1 = shares(101, worldSize: 4, shuffle: true, epoch: 1)
        XCTAssertNotEqual(epoch1, epoch0)
        XCTAssertEqual(Set(epoch1.flatMap { $0 }), Set(0..<101))
        XCTAssertNotEqual(shares(101, worldSize: 4, shuffle: true), shares(101, worldSize: 4).map { $0 }, "shuffled differs from in order")
        let dropped = shares(101, worldSize: 4, shuffle: true, dropLast: true).flatMap { $0 }
        XCTAssertEqual(dropped.count, 100)
        XCTAssertEqual(Set(dropped).count, 100, "no index repeats with dropLast")
    }

    func testTheSubsetHoldsTheSharedExamples() {
        let data = TensorDataset(inputs: Tensor((0..<6).map(Float.init)).reshape([6, 1]), targets: Tensor((0..<6).map(Float.init)))
        let sampler = DistributedSampler(datasetCount: 6, rank: 1, worldSize: 2, shuffle: false)
        let subset = sampler.subset(of: data)
        XCTAssertEqual(subset.indices, [1, 3, 5])
        XCTAssertEqual(subset.batch([0, 1, 2]).target.scalars, [1, 3, 5])
        XCTAssertEqual(Array(sampler), [1, 3, 5])
    }
}
