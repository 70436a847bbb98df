import Autograd
import XCTest
@testable import AutogradCLI

/// The size checks `train` and `evaluate` make before building a model agree with the
/// models `ModelKind.make` builds.
final class ModelKindTests: XCTestCase {
    func testParameterCountIsTheBuiltModelsCount() throws {
        for model in ModelKind.allCases {
            for (shape, classes) in [([1, 8, 8], 10), ([1, 2, 2], 2), ([3, 5, 7], 4), ([1, 28, 28], 10)] {
                let network = try model.make(imageShape: shape, classes: classes)
                XCTAssertEqual(model.parameterCount(imageShape: shape, classes: classes), network.parameterCount, "\(model) \(shape)")
            }
        }
    }

    func testTheOutputLayerIsTheLastOneInTheStateDict() throws {
        for model in ModelKind.allCases {
            let state = try model.make(imageShape: [1, 4, 4], classes: 3).stateDict()
            XCTAssertEqual(state.last?.name, "\(model.outputLayer).bias")
            XCTAssertEqual(state.last?.tensor.shape, [3])
        }
    }

    func testTheSmallestImagesRunForward() throws {
        for model in ModelKind.allCases {
            let side = model.minimumImageSide
            let network = try model.make(imageShape: [1, side, side], classes: 2)
            network.eval()
            XCTAssertEqual(network(Tensor.zeros([3, 1, side, side])).shape, [3, 2])
            XCTAssertThrowsError(try model.make(imageShape: [1, side - 1, side], classes: 2))
            XCTAssertThrowsError(try model.make(imageShape: [1, side, side - 1], classes: 2))
        }
    }

    func testOverflowingShapesAndClassCountsAreRejected() {
        for model in ModelKind.allCases {
            XCTAssertNil(model.parameterCount(imageShape: [1, Int.max, Int.max], classes: 2))
            XCTAssertThrowsError(try model.check(imageShape: [Int.max, Int.max, 3], classes: 2))
            XCTAssertThrowsError(try model.check(imageShape: [1, 8, 8], classes: Int.max))
            XCTAssertThrowsError(try model.check(imageShape: [1, 8, 8], classes: -1))
            XCTAssertThrowsError(try model.check(imageShape: [0, 8, 8], classes: 2))
            XCTAssertThrowsError(try model.check(imageShape: [8, 8], classes: 2))
        }
    }
}
