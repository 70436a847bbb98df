import Testing
import Autograd

/// Activation checkpointing gives the gradients of the plain computation, for inputs and
/// for parameters used inside the block, and keeps nothing of the block for backward.
@Suite struct CheckpointTests {
    private func block(_ x: Tensor, _ w: Tensor) -> Tensor { (x.matmul(w).tanh() * x.matmul(w)).gelu() }

    @Test func gradientsMatchThePlainComputation() throws {
        let values = Tensor.randn([3, 4], dtype: .float64)
        let weights = Tensor.randn([4, 4], dtype: .float64)
        let (x1, w1) = (Tensor(values.array, requiresGrad: true), Tensor(weights.array, requiresGrad: true))
        (block(x1, w1) * 2).sum().backward()
        let (x2, w2) = (Tensor(values.array, requiresGrad: true), Tensor(weights.array, requiresGrad: true))
        let y = checkpoint([x2]) { inputs in block(inputs[0], w2) }
        #expect(y.gradFn?.name == "CheckpointFunctionBackward")
        #expect(y.gradFn?.nextEdges.count == 1)
        (y * 2).sum().backward()
        let (g1, g2) = (try #require(x1.grad).asArray(Double.self), try #require(x2.grad).asArray(Double.self))
        let (v1, v2) = (try #require(w1.grad).asArray(Double.self), try #require(w2.grad).asArray(Double.self))
        for (a, b) in zip(g1 + v1, g2 + v2) { #expect(Swift.abs(a - b) <= 1e-12 * Swift.max(1, Swift.abs(a))) }
    }

    @Test func theBlockRunsAgainInBackward() {
        var runs = 0
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = checkpoint([x]) { inputs in
            runs += 1
            return inputs[0].exp()
        }
        #expect(runs == 1)
        y.sum().backward()
        #expect(runs == 2)
        #expect(x.grad?.scalars == Tensor([1.0, 2.0]).exp().scalars)
    }

    /// The closure form reads what it captures: a leaf, a parameter and an earlier result.
    @Test func theClosureFormGivesThePlainGradientsToWhatTheBlockCaptures() throws {
        let values = Tensor.randn([3, 4], dtype: .float64)
        let weights = Tensor.randn([4, 4], dtype: .float64)
        func run(checkpointed: Bool) throws -> (x: [Double], w: [Double], runs: Int) {
            let (x, w) = (Tensor(values.array, requiresGrad: true), Tensor(weights.array, requiresGrad: true))
            let z = Tensor(values.array, requiresGrad: true)
            var runs = 0
            let h = z.sin()                                   // made before the block
            let body = { () -> Tensor in
                runs += 1
                return self.block(h, w) + x
            }
            let y = checkpointed ? checkpoint(body) : body()
            if checkpointed {
                #expect(y.gradFn?.name == "CheckpointFunctionBackward")
                #expect(y.gradFn?.nextEdges.count == 3)       // h's node, w and x
            }
            (y * y).sum().backward()
            let gradients = try [x, z].flatMap { try #require($0.grad).asArray(Double.self) }
            return (gradients, try #require(w.grad).asArray(Double.self), runs)
        }
        let plain = try run(checkpointed: false)
        let saved = try run(checkpointed: true)
        #expect(saved.runs == 2)
        for (a, b) in zip(plain.x + plain.w, saved.x + saved.w) {
            #expect(Swift.abs(a - b) <= 1e-12 * Swift.max(1, Swift.abs(a)))
        }
    }

    /// A block reading both a tensor and a result made from it outside keeps its graph, so
    /// no path is counted twice.
    @Test func aBlockReadingATensorAndItsDescendantKeepsItsGraph() throws {
        let x = Tensor(Tensor([0.5, -1.0], dtype: .float64).array, requiresGrad: true)
        let h = x * 3
        let y = checkpoint { (h * x).sum() }
        #expect(y.gradFn?.name == "SumBackward0")
        y.backward()
        #expect(try #require(x.grad).asArray(Double.self) == [3.0, -6.0])   // d(3x²)/dx = 6x
    }

    /// A block of constants only is run once and returned as it is.
    @Test func aBlockOfConstantsIsNotRecorded() {
        var runs = 0
        let y = checkpoint { runs += 1; return Tensor([1.0, 2.0]).exp() }
        #expect(runs == 1)
        #expect(y.gradFn == nil)
    }
}
