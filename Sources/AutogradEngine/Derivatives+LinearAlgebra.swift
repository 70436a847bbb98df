import AutogradCore

/// The backward rules of the linear-algebra functions, as PyTorch's `FunctionsManual.cpp`
/// writes them for real matrices. Each is made of recorded tensor ops (matrix products,
/// inverses, solves), so it can be differentiated again.
extension Node {
    /// d(A⁻¹): `-A⁻ᵀ·g·A⁻ᵀ`, from the saved inverse.
    func inverseGradient(_ grad: Tensor, inverse: Tensor) -> Tensor {
        -inverse.mT.matmul(grad.matmul(inverse.mT))
    }

    /// d(det A): `g·det(A)·A⁻ᵀ`, the matrix of cofactors scaled by `g`. Where a matrix of
    /// the batch is singular (its determinant is 0), the cofactors are computed directly,
    /// as PyTorch's recorded backward does with an SVD, and are not differentiated again.
    func determinantGradient(_ grad: Tensor, input: Tensor, determinant: Tensor) -> Tensor {
        let scale = (grad * determinant).unsqueeze(-1).unsqueeze(-1)
        if determinant.array.doubles.contains(0) {
            return grad.unsqueeze(-1).unsqueeze(-1) * Tensor(input.array.cofactorMatrices())
        }
        return scale * input.linalgInverse(checkingSingularity: false).mT
    }

    /// d(log|det A|): `g·A⁻ᵀ` (infinite for a singular matrix, as in PyTorch).
    func logAbsDeterminantGradient(_ grad: Tensor, input: Tensor) -> Tensor {
        grad.unsqueeze(-1).unsqueeze(-1) * input.linalgInverse(checkingSingularity: false).mT
    }

    /// The gradients of `X = A⁻¹B`: `gB = A⁻ᵀ·g` and `gA = -gB·Xᵀ`; a vector right-hand
    /// side is a one-column matrix throughout. Batch dimensions that broadcast are summed
    /// back by the engine.
    func solveGradients(_ grad: Tensor, a: Tensor, solution: Tensor, vectorRight: Bool) -> [Tensor?] {
        let g = vectorRight ? grad.unsqueeze(-1) : grad
        let x = vectorRight ? solution.unsqueeze(-1) : solution
        let gradB = Tensor.linalgSolve(a.mT, g, vectorRight: false)
        let gradA = edges[0].carriesGradient ? -gradB.matmul(x.mT) : nil
        guard edges[1].carriesGradient else { return [gradA, nil] }
        return [gradA, vectorRight ? gradB.squeeze(-1) : gradB]
    }

    /// The gradient of the Cholesky factor `L` (Murray 2016, as PyTorch's
    /// `cholesky_backward`): `Φ = tril(Lᵀ·gL)`, `Φ = ½(Φ + tril(Φ, -1)ᵀ)`, then
    /// `gA = L⁻ᵀ·Φ·L⁻¹` by two triangular solves.
    func choleskyGradient(_ grad: Tensor, factor l: Tensor) -> Tensor {
        var phi = l.mT.matmul(grad).tril()
        phi = 0.5 * (phi + phi.tril(diagonal: -1).mT)
        let left = Tensor.linalgSolve(l.mT, phi, vectorRight: false)
        return Tensor.linalgSolve(l.mT, left.mT, vectorRight: false).mT
    }
}
