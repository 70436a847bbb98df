import Testing
import Autograd

/// Every line of the public contract for shape ops, einsum and linear algebra, written as
/// the contract writes it, printed as PyTorch 2.15 prints the same calls
/// (`x = torch.arange(8.).reshape(2, 4).requires_grad_()`, and so on).
@Suite struct ShapeOpsContractTests {
    let x = Tensor([[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]], requiresGrad: true)
    let y = Tensor.zeros([3, 2, 4])
    let v = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
    let w = Tensor([4.0, 5.0, 6.0])
    let a = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
    let b = Tensor([[0.0, 1.0], [1.0, 0.0]])
    let m = Tensor([[4.0, 2.0], [2.0, 3.0]], requiresGrad: true)
    let rhs = Tensor([1.0, 2.0])

    @Test func splitChunkRepeat() {
        #expect(x.split(3, dim: 1).map(\.description) == [
            "tensor([[0., 1., 2.],\n        [4., 5., 6.]], grad_fn=<SplitBackward0>)",
            "tensor([[3.],\n        [7.]], grad_fn=<SplitBackward0>)",
        ])
        #expect(x.split(sizes: [1, 3], dim: 1).map(\.description) == [
            "tensor([[0.],\n        [4.]], grad_fn=<SplitWithSizesBackward0>)",
            "tensor([[1., 2., 3.],\n        [5., 6., 7.]], grad_fn=<SplitWithSizesBackward0>)",
        ])
        #expect(x.chunk(2, dim: 0).map(\.description) == [
            "tensor([[0., 1., 2., 3.]], grad_fn=<SplitBackward0>)",
            "tensor([[4., 5., 6., 7.]], grad_fn=<SplitBackward0>)",
        ])
        #expect(x.repeat([2, 1]).description == """
            tensor([[0., 1., 2., 3.],
                    [4., 5., 6., 7.],
                    [0., 1., 2., 3.],
                    [4., 5., 6., 7.]], grad_fn=<RepeatBackward0>)
            """)
    }

    @Test func tileFlipRollTriangles() {
        #expect(x.tile([2]).description == """
            tensor([[0., 1., 2., 3., 0., 1., 2., 3.],
                    [4., 5., 6., 7., 4., 5., 6., 7.]], grad_fn=<RepeatBackward0>)
            """)
        #expect(x.flip(dims: [0, 1]).description == """
            tensor([[7., 6., 5., 4.],
                    [3., 2., 1., 0.]], grad_fn=<FlipBackward0>)
            """)
        #expect(x.roll(shifts: [1], dims: [1]).description == """
            tensor([[3., 0., 1., 2.],
                    [7., 4., 5., 6.]], grad_fn=<RollBackward0>)
            """)
        #expect(x.tril().description == """
            tensor([[0., 0., 0., 0.],
                    [4., 5., 0., 0.]], grad_fn=<TrilBackward0>)
            """)
        #expect(x.triu(diagonal: 1).description == """
            tensor([[0., 1., 2., 3.],
                    [0., 0., 6., 7.]], grad_fn=<TriuBackward0>)
            """)
    }

    @Test func diagonalExpandUnflattenNarrow() {
        #expect(x.diagonal().description == "tensor([0., 5.], grad_fn=<DiagonalBackward0>)")
        let expanded = x.expand(as: y)
        #expect(expanded.shape == [3, 2, 4])
        #expect(expanded.gradFn?.name == "ExpandBackward0")
        #expect(x.unflatten(dim: 1, sizes: [2, 2]).description == """
            tensor([[[0., 1.],
                     [2., 3.]],

                    [[4., 5.],
                     [6., 7.]]], grad_fn=<ViewBackward0>)
            """)
        #expect(x.narrow(dim: 1, start: 1, length: 2).description == """
            tensor([[1., 2.],
                    [5., 6.]], grad_fn=<SliceBackward0>)
            """)
    }

    @Test func movedimOuterDotEinsum() {
        #expect(x.movedim(0, 1).description == """
            tensor([[0., 4.],
                    [1., 5.],
                    [2., 6.],
                    [3., 7.]], grad_fn=<PermuteBackward0>)
            """)
        #expect(v.outer(w).description == """
            tensor([[ 4.,  5.,  6.],
                    [ 8., 10., 12.],
                    [12., 15., 18.]], grad_fn=<MulBackward0>)
            """)
        #expect(v.dot(w).description == "tensor(32., grad_fn=<DotBackward0>)")
        #expect(Tensor.einsum("ij,jk->ik", a, b).description == """
            tensor([[2., 1.],
                    [4., 3.]], grad_fn=<ViewBackward0>)
            """)
    }

    @Test func linearAlgebra() {
        #expect(m.inverse().description == """
            tensor([[ 0.3750, -0.2500],
                    [-0.2500,  0.5000]], grad_fn=<LinalgInvExBackward0>)
            """)
        #expect(m.det().description == "tensor(8., grad_fn=<LinalgDetBackward0>)")
        #expect(Tensor.solve(m, rhs).description == "tensor([-0.1250,  0.7500], grad_fn=<LinalgSolveExBackward0>)")
        #expect(m.cholesky().description == """
            tensor([[2.0000, 0.0000],
                    [1.0000, 1.4142]], grad_fn=<LinalgCholeskyExBackward0>)
            """)
        let (sign, logabsdet) = m.slogdet()
        #expect(sign.description == "tensor(1., grad_fn=<LinalgSlogdetBackward0>)")
        #expect(logabsdet.description == "tensor(2.0794, grad_fn=<LinalgSlogdetBackward0>)")
    }

    /// The views share storage with `x`, as PyTorch's do; the copies do not.
    @Test func viewsShareStorage() {
        let base = Tensor([[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]])
        let views = base.split(3, dim: 1) + base.chunk(2) + [base.narrow(dim: 1, start: 1, length: 2), base.diagonal(),
                                                             base.unflatten(dim: 1, sizes: [2, 2]), base.movedim(0, 1)]
        let copies = [base.repeat([1, 1]), base.tile([1]), base.flip(dims: [0]), base.roll(shifts: [0], dims: [0]),
                      base.tril(), base.triu()]
        base.fill(9)
        for view in views { #expect(view.scalars.allSatisfy { $0 == 9 }) }
        for copy in copies { #expect(!copy.scalars.contains(9)) }
    }
}
