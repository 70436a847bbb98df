import Testing
import Autograd

/// Assigning through subscripts follows PyTorch's in-place rules: writes through a view
/// are recorded on the base (CopySlices), every view sees them, saved values that were
/// overwritten are detected, and a leaf that requires grad is written only inside
/// `noGrad`. Values from PyTorch 2.15.
@Suite struct SubscriptAssignmentTests {
    let x = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5], requiresGrad: true)

    @Test func maskedWriteIntoAViewIsRecordedOnTheBase() {
        let y = x.clone()
        let row = y[0]
        row[Tensor([true, false, true])] = Tensor(5.0)
        #expect(y.gradFn?.name == "CopySlices")
        #expect(y.scalars == [5, 1, 5, 3, 4, 5])
        (y * Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])).sum().backward()
        #expect(x.grad?.scalars == [0, 2, 0, 4, 5, 6])
    }

    @Test func viewsSeeAnIndexedWrite() {
        let y = x * 1
        let column = y[.all, 1]
        y[Tensor([0])] = Tensor([9.0, 8.0, 7.0])
        #expect(column.scalars == [8, 4])
        (column * Tensor([1.0, 2.0])).sum().backward()
        #expect(x.grad?.scalars == [0, 0, 0, 0, 2, 0])
    }

    @Test func overwritingASavedValueIsDetected() {
        let e = x.exp()
        let s = e.sin()
        e[Tensor([1])] = Tensor(0.0)
        let error = #expect(throws: AutogradError.self) { try s.sum().backwardChecked() }
        #expect(error?.message.hasPrefix(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2, 3]], which is output 0 of IndexPut, is at version 1; expected version 0 instead.") == true)
    }

    @Test func aLeafIsWrittenInsideNoGrad() {
        let weights = Tensor.zeros([2, 3], requiresGrad: true)
        noGrad { weights[weights .== 0.0] = Tensor(2.0) }
        #expect(weights.scalars == [2, 2, 2, 2, 2, 2])
        #expect(weights.isLeaf && weights.requiresGrad)
    }

    @Test func aLeafThatRequiresGradIsRefusedOutsideNoGrad() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let leaf = Tensor.zeros([2, 3], requiresGrad: true)
            leaf[Tensor([0])] = Tensor(1.0)
        }
        let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(printed.contains("a leaf Variable that requires grad is being used in an in-place operation."))
    }

    @Test func assignmentBroadcastsAndConvertsLikePyTorch() {
        let y = Tensor.zeros([3, 4], dtype: .float64)
        y[y .== 0.0] = Tensor(1.0)                       // one float32 value through a mask
        #expect(y.dtype == .float64 && y.asArray(Double.self) == Array(repeating: 1, count: 12))
        y[1] = Tensor([[5.0, 6.0, 7.0, 8.0]], dtype: .float64)   // a leading 1 is dropped
        y[.all, .stride(from: 0, to: nil, by: 2)] = Tensor(0.0, dtype: .float64)
        #expect(y.asArray(Double.self) == [0, 1, 0, 1, 0, 6, 0, 8, 0, 1, 0, 1])
    }
}
