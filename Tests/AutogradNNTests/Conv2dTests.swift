import XCTest
import Autograd

final class Conv2dTests: XCTestCase {
    func testDefaultInitialisationIsWithinPyTorchsBound() {
        let conv = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3)
        XCTAssertEqual(conv.weight.shape, [3, 2, 3, 3])
        XCTAssertEqual(conv.bias?.shape, [3])
        let bound = 1 / Float(18).squareRoot()
        XCTAssertTrue(conv.weight.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(conv.weight.requiresGrad && conv.weight.isLeaf)
    }

    func testAssignedParametersAreUsedAndReceiveGradients() throws {
        let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 2, bias: false)
        XCTAssertNil(conv.bias)
        conv.weight = Parameter(Tensor([[[[1, 0], [0, -1]]]], dtype: .float32))
        let image = Tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], dtype: .float32)
        let y = conv(image)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.scalars, [-4, -4, -4, -4])
        y.sum().backward()
        XCTAssertEqual(try XCTUnwrap(conv.weight.grad).scalars, [12, 16, 24, 28])
    }
}
