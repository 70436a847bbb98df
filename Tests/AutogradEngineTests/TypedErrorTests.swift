import Testing
import Autograd

/// Engine and shape errors are enum cases carrying the op, the node and the shapes, and
/// their messages stay PyTorch's.
@Suite struct TypedErrorTests {
    @Test func backwardTwiceNamesTheNode() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = (x * x).sum()
        y.backward()
        let error = #expect(throws: AutogradError.self) { try y.backwardChecked() }
        #expect(error == .savedValuesFreed(node: "MulBackward0"))
        #expect(error?.message.hasPrefix("Trying to backward through the graph a second time") == true)
        #expect(error?.message.hasSuffix("(in MulBackward0)") == true)
    }

    @Test func inPlaceChangeOfASavedValueCarriesTheVersions() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let e = x.exp()
        let y = e.sin().sum()
        e.multiplyInPlace(Tensor(2.0))
        let error = #expect(throws: AutogradError.self) { try y.backwardChecked() }
        #expect(error == .savedValueModified(
            node: "SinBackward0", shape: [2], dtype: .float32, producer: "MulBackward0", version: 1, expectedVersion: 0))
        // PyTorch 2.15's words, with this package's spelling of anomaly mode.
        #expect(error?.message == "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]], which is output 0 of Mul, is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with detectAnomaly { ... }.")
    }

    @Test func seedGradientShapeIsChecked() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let error = #expect(throws: AutogradError.self) { try (x * 2).backwardChecked(gradient: Tensor([1.0, 2.0, 3.0])) }
        #expect(error == .gradOutputShape(given: [3], output: [2]))
        #expect(error?.message == "Mismatch in shape: grad_output[0] has a shape of [3] and output[0] has a shape of [2].")
    }

    @Test func shapeErrorsCarryTheOpAndShapes() {
        let a = NDArray(shape: [2, 3], scalars: Array(repeating: 1, count: 6))
        let b = NDArray(shape: [4, 5], scalars: Array(repeating: 1, count: 20))
        let error = #expect(throws: ShapeError.self) { try NDArray.matmul(a, b) }
        #expect(error == .matmulInnerSizes(lhs: [2, 3], rhs: [4, 5]))
        #expect(error?.message == "matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5); shapes [2, 3] and [4, 5]")
        let expand = #expect(throws: ShapeError.self) { try a.expanded([4, 3]) }
        #expect(expand == .expandSizeMismatch(sizes: [4, 3], shape: [2, 3], dim: 0))
        #expect(expand?.message == "expand: the expanded size of the tensor (4) must match the existing size (2) at non-singleton dimension 0. Target sizes: [4, 3]. Tensor sizes: [2, 3]")
        let dim = #expect(throws: ShapeError.self) { try normalizedDimension(2, rank: 2, op: "softmax") }
        #expect(dim == .dimensionOutOfRange(op: "softmax", dim: 2, rank: 2))
        #expect(dim?.message == "softmax: dimension out of range (expected to be in range of [-2, 1], but got 2)")
    }
}
