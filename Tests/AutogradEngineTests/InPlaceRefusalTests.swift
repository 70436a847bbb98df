import Foundation
import Testing
@testable import AutogradEngine

/// In-place ops backward could not follow stop with PyTorch's message (a port of
/// test_inplace_on_view_leaf_errors and its neighbours; messages in
/// Fixtures/autograd_edges.json, case leaf_view_inplace). Each misuse runs in a child
/// process that must fail and print the message.
@Suite struct InPlaceRefusalTests {
    /// The misuses, named as the fixture's fields.
    static let misuses = ["made_before_requires_grad", "view_as", "no_grad_view", "leaf", "expanded", "detach_view"]

    @Test(arguments: misuses)
    func refusedWithPyTorchsMessage(_ misuse: String) async throws {
        let message = try #require(try EdgeCase("leaf_view_inplace").string(misuse))
        // PyTorch's detach_ message goes on about DistributedDataParallel; the rest is ours too.
        let expected = message.components(separatedBy: " If you are using").first!
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [misuse = misuse as String] in
            InPlaceRefusalTests.commit(misuse)
        }
        let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(printed.contains(expected), "printed: \(printed)")
    }

    @Test func aViewMadeInsideNoGradMayBeWrittenInsideNoGrad() throws {
        let w = Tensor.ones([3], requiresGrad: true)
        let view = noGrad { w[0..<2] }
        noGrad { view *= 2 }
        #expect(w.scalars == (try EdgeCase("leaf_view_inplace").tensor("w_after_no_grad")).scalars)
    }

    /// Runs the misuse called `name`; each must stop the process.
    static func commit(_ name: String) {
        switch name {
        case "made_before_requires_grad":
            let a = Tensor.zeros([4])
            let b = a[0..<2]
            a.requiresGrad = true
            b += 5
        case "view_as":
            let x = Tensor.zeros([1], requiresGrad: true)
            x.reshape(x.shape).addInPlace(Tensor(1.0))
        case "no_grad_view":
            let w = Tensor.ones([3], requiresGrad: true)
            let view = noGrad { w[0..<2] }
            view.multiplyInPlace(Tensor(2.0))
        case "leaf": Tensor.ones([2], requiresGrad: true) *= 2
        case "expanded": Tensor.zeros([3]).expand([2, 3]) *= 2
        case "detach_view": (Tensor.ones([2], requiresGrad: true) * 2)[0].detachInPlace()
        default: Issue.record("unknown misuse \(name)")
        }
    }
}
