import Dispatch
import Testing
import AutogradEngine

/// Backward passes on several threads at once, over graphs that share leaves: every
/// gradient lands in the shared leaf's `grad`, none is lost, and nothing crashes.
@Suite struct ConcurrentBackwardTests {
    @Test func backwardOnManyThreadsAccumulatesEveryGradientIntoASharedLeaf() {
        let weight = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
        let bias = Tensor([0.5], requiresGrad: true)
        let (threads, passes) = (8, 250)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let input = Tensor([Float(thread), 1, -1])
            for _ in 0..<passes {
                ((input * weight).sum() + bias * bias).backward()
            }
        }
        // d/dw Σ (x·w) = x summed over every pass of every thread; d/db b² = 2b each pass.
        let inputSum = (0..<threads).reduce(Float(0)) { $0 + Float($1) }
        #expect(weight.grad?.scalars == [inputSum * Float(passes), Float(threads * passes), -Float(threads * passes)])
        #expect(bias.grad?.scalars == [Float(threads * passes)])
    }

    @Test func tensorsCrossThreadsAsSendableValues() async {
        let shared = Tensor([2.0], requiresGrad: true)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { (shared * shared).backward() }
            }
        }
        #expect(shared.grad?.scalars == [16])
    }
}
