import Autograd
import XCTest

/// How gradients are grouped into buckets: reverse parameter order, a small first bucket,
/// closed once at least the limit, parameters never split, one element kind per bucket.
final class GradientBucketPlanTests: XCTestCase {
    func testUnevenParametersFillBucketsInReverseOrderWithPyTorchsLimits() {
        // Bytes: 4000, 40, 1.2 MB, 20, 280,000, 12.
        let plan = GradientBucketPlan(counts: [1000, 10, 300_000, 5, 70_000, 3])
        XCTAssertEqual(plan.buckets.map(\.parameters), [[5, 4, 3, 2], [1, 0]])
        XCTAssertEqual(plan.buckets[0].offsets, [0, 3, 70_003, 70_008])
        XCTAssertEqual(plan.buckets[0].count, 370_008)
        XCTAssertEqual(plan.buckets[1].offsets, [0, 10])
        XCTAssertEqual(plan.buckets[1].byteCount, 4040)
    }

    func testABucketClosesOnceItReachesItsLimitAndLargeParametersGoAlone() {
        let plan = GradientBucketPlan(counts: [3, 50, 2, 2, 2, 9], bucketBytes: 16, firstBucketBytes: 8)
        // Reversed: 9 (36 B ≥ 8, closes the first bucket), then 2+2 (16 B), then 2 + 50, then 3.
        XCTAssertEqual(plan.buckets.map(\.parameters), [[5], [4, 3], [2, 1], [0]])
        XCTAssertEqual(plan.buckets.map(\.count), [9, 4, 52, 3])
        XCTAssertEqual(plan.parameterCount, 6)
        let locations = plan.locations
        XCTAssertEqual(locations[1]?.bucket, 2)
        XCTAssertEqual(locations[1]?.slot, 1)
        XCTAssertEqual(locations[5]?.bucket, 0)
    }

    func testEachBucketHoldsOneKind() {
        let plan = GradientBucketPlan(counts: [4, 4, 4, 4], kinds: [.float32, .float64, .float32, .float64], bucketBytes: 1000, firstBucketBytes: 1000)
        XCTAssertEqual(plan.buckets.map(\.parameters), [[3, 1], [2, 0]])
        XCTAssertEqual(plan.buckets.map(\.kind), [.float64, .float32])
        XCTAssertEqual(plan.buckets[0].byteCount, 64)
    }

    func testEmptyAndZeroSizedParameters() {
        XCTAssertEqual(GradientBucketPlan(counts: []).buckets, [])
        let plan = GradientBucketPlan(counts: [0, 5])
        XCTAssertEqual(plan.buckets.map(\.parameters), [[1, 0]])
        XCTAssertEqual(plan.buckets[0].offsets, [0, 5])
    }

    func testDataParallelPlansItsParametersThatRequireGrad() {
        let model = Sequential(Linear(inFeatures: 300, outFeatures: 1000), ReLU(), Linear(inFeatures: 1000, outFeatures: 10))
        model.parameters()[1].requiresGrad = false
        let wrapped = DistributedDataParallel(model, group: .single())
        XCTAssertEqual(wrapped.bucketedParameterNames, ["0.weight", "2.weight", "2.bias"])
        XCTAssertEqual(wrapped.bucketPlan, GradientBucketPlan(counts: [300_000, 10_000, 10]))
        XCTAssertEqual(wrapped.bucketPlan.buckets.map(\.parameters), [[2, 1, 0]])
    }
}
