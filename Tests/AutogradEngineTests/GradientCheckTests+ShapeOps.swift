import Foundation
import XCTest
import AutogradCore
@testable import AutogradEngine

/// Finite-difference checks of the shape ops, einsum and the linear-algebra functions,
/// first derivatives and (through `createGraph`) second ones.
extension GradientCheckTests {
    /// `n`×`n` identity in float64, times `scale`.
    private static func identity(_ n: Int, scale: Double = 1) -> Tensor {
        var values = [Double](repeating: 0, count: n * n)
        for i in 0..<n { values[i * n + i] = scale }
        return Tensor(NDArray(shape: [n, n], doubles: values, dtype: .float64))
    }

    /// The gradient of `value` with respect to `inputs`, recorded, flattened into one
    /// tensor (checking it checks second derivatives).
    private static func recordedGradient(_ value: Tensor, _ inputs: [Tensor]) -> Tensor {
        cat(grad(outputs: [value], inputs: inputs, createGraph: true).map { $0!.reshape([-1]) })
    }

    /// Each part scaled by its position, joined again, so every part's gradient differs.
    private static func weighted(_ parts: [Tensor], dim: Int) -> Tensor {
        cat(parts.enumerated().map { $1 * Double($0 + 1) }, dim: dim)
    }

    static func shapeOps(_ c: inout GradientChecker) {
        c.dtype = .float64   // the coverage test runs every group on one checker
        c.check("split(2, dim: 1), all parts", [c.normal([2, 5])]) { weighted($0[0].split(2, dim: 1), dim: 1) }
        c.check("split(2, dim: 0), one part", [c.normal([5, 2])]) { $0[0].split(2)[1] }
        c.check("split(sizes: [1, 3], dim: -1)", [c.normal([2, 4])]) { weighted($0[0].split(sizes: [1, 3], dim: -1), dim: -1) }
        c.check("chunk(3, dim: 1) of a transpose", [c.normal([4, 2])]) { weighted($0[0].mT.chunk(3, dim: 1), dim: 1) }
        c.check("narrow(dim: 1, start: -3, length: 2)", [c.normal([2, 4])]) { $0[0].narrow(dim: 1, start: -3, length: 2) }
        c.check("repeat [2, 1, 3]", [c.normal([2, 2])]) { $0[0].repeat([2, 1, 3]) }
        c.check("repeat of a transpose", [c.normal([2, 3])]) { $0[0].mT.repeat([1, 2]) }
        c.check("tile [2]", [c.normal([2, 3])]) { $0[0].tile([2]) }
        c.check("flip [0, 2]", [c.normal([2, 3, 2])]) { $0[0].flip(dims: [0, 2]) }
        c.check("roll [1, -2] over [1, 0]", [c.normal([3, 4])]) { $0[0].roll(shifts: [1, -2], dims: [1, 0]) }
        c.check("roll flattened", [c.normal([2, 3])]) { $0[0].roll(shifts: [4]) }
        c.check("tril()", [c.normal([3, 4])]) { $0[0].tril() }
        c.check("tril(-1) batched", [c.normal([2, 3, 3])]) { $0[0].tril(diagonal: -1) }
        c.check("triu(1)", [c.normal([4, 3])]) { $0[0].triu(diagonal: 1) }
        c.check("diagonal()", [c.normal([3, 4])]) { $0[0].diagonal() }
        c.check("diagonal(offset: -1, dim1: 2, dim2: 0)", [c.normal([3, 2, 4])]) { $0[0].diagonal(offset: -1, dim1: 2, dim2: 0) }
        c.check("expand(as:)", [c.normal([3, 1])]) { $0[0].expand(as: Tensor.zeros([2, 3, 4])) }
        c.check("unflatten of a transpose", [c.normal([4, 3])]) { $0[0].mT.unflatten(dim: 1, sizes: [2, -1]) }
        c.check("movedim([0, 2], [2, 0])", [c.normal([2, 3, 4])]) { $0[0].movedim([0, 2], [2, 0]) }
        c.check("outer", [c.normal([3]), c.normal([2])]) { $0[0].outer($0[1]) }
        c.check("dot", [c.normal([4]), c.normal([4])]) { $0[0].dot($0[1]) }
        // Second derivatives: the adjoints recorded during backward (a diagonal written into
        // zeros, parts embedded in zeros) and the rules of repeat, flip and roll again.
        c.check("d/dx of sum(diagonal(x) ** 3)", [c.normal([3, 3])]) { x in
            recordedGradient((x[0].diagonal(offset: 1) ** 3).sum(), x)
        }
        c.check("d/dx of sum(split parts ** 3)", [c.normal([3, 2])]) { x in
            let parts = x[0].split(2)
            return recordedGradient((parts[0] ** 3).sum() + (parts[1] ** 3 * 2).sum(), x)
        }
        c.check("d/dx of sum(repeat, flip, roll, tril ** 3)", [c.normal([2, 3])]) { x in
            let y = x[0].repeat([2, 1]).flip(dims: [1]).roll(shifts: [1], dims: [0]).tril()
            return recordedGradient((y ** 3).sum(), x)
        }
    }

    static func einsum(_ c: inout GradientChecker) {
        c.dtype = .float64   // the coverage test runs every group on one checker
        c.check("einsum ij,jk->ik", [c.normal([2, 3]), c.normal([3, 4])]) { Tensor.einsum("ij,jk->ik", $0[0], $0[1]) }
        c.check("einsum ii (trace)", [c.normal([3, 3])]) { Tensor.einsum("ii", $0[0]) }
        c.check("einsum ii->i", [c.normal([3, 3])]) { Tensor.einsum("ii->i", $0[0]) }
        c.check("einsum iij->j", [c.normal([2, 2, 3])]) { Tensor.einsum("iij->j", $0[0]) }
        c.check("einsum bij,bjk->bik", [c.normal([2, 2, 3]), c.normal([2, 3, 2])]) { Tensor.einsum("bij,bjk->bik", $0[0], $0[1]) }
        c.check("einsum ...ij,...jk", [c.normal([2, 2, 3]), c.normal([3, 2])]) { Tensor.einsum("...ij,...jk", $0[0], $0[1]) }
        c.check("einsum i,j->ij", [c.normal([3]), c.normal([2])]) { Tensor.einsum("i,j->ij", $0[0], $0[1]) }
        c.check("einsum ij,jk,kl->il", [c.normal([2, 3]), c.normal([3, 2]), c.normal([2, 2])]) {
            Tensor.einsum("ij,jk,kl->il", $0)
        }
        c.check("einsum bn,anm,bm->ba", [c.normal([2, 3]), c.normal([2, 3, 2]), c.normal([2, 2])]) {
            Tensor.einsum("bn,anm,bm->ba", $0)
        }
        c.check("einsum ab,cd-> (sums in both)", [c.normal([2, 3]), c.normal([2, 2])]) { Tensor.einsum("ab,cd->", $0[0], $0[1]) }
    }

    static func linearAlgebra(_ c: inout GradientChecker) {
        c.dtype = .float64   // the coverage test runs every group on one checker
        let shift3 = identity(3, scale: 3)
        c.check("inverse", [c.normal([3, 3])]) { ($0[0] + shift3).inverse() }
        c.check("inverse batched", [c.normal([2, 3, 3])]) { ($0[0] + shift3).inverse() }
        c.check("det", [c.normal([3, 3])]) { ($0[0] + shift3).det() }
        c.check("det batched", [c.normal([2, 2, 2])]) { $0[0].det() }
        c.check("slogdet: sign · logabsdet", [c.normal([3, 3])]) { x in
            let (sign, logabsdet) = (x[0] + shift3).slogdet()
            return sign * logabsdet
        }
        c.check("solve matrix", [c.normal([3, 3]), c.normal([3, 2])]) { Tensor.solve($0[0] + shift3, $0[1]) }
        c.check("solve vector", [c.normal([3, 3]), c.normal([3])]) { Tensor.solve($0[0] + shift3, $0[1]) }
        c.check("solve broadcast batch", [c.normal([2, 3, 3]), c.normal([3, 1])]) { Tensor.solve($0[0] + shift3, $0[1]) }
        c.check("solve, B only", [c.normal([3, 3], requiresGrad: false), c.normal([3, 2])]) { Tensor.solve($0[0] + shift3, $0[1]) }
        // A symmetric input (B·Bᵀ + 3I): the formula is the gradient for symmetric changes.
        c.check("cholesky of B·Bᵀ + 3I", [c.normal([3, 3])]) { x in (x[0].matmul(x[0].mT) + shift3).cholesky() }
        c.check("cholesky batched", [c.normal([2, 3, 3])]) { x in (x[0].matmul(x[0].mT) + shift3).cholesky() }
        c.check("d/dx of sum(inverse ** 2)", [c.normal([3, 3])]) { x in recordedGradient((((x[0] + shift3).inverse()) ** 2).sum(), x) }
        c.check("d/dx of det", [c.normal([3, 3])]) { x in recordedGradient((x[0] + shift3).det(), x) }
        c.check("d/dx of logabsdet", [c.normal([3, 3])]) { x in recordedGradient((x[0] + shift3).slogdet().logabsdet, x) }
        c.check("d/d(A, B) of sum(solve ** 2)", [c.normal([3, 3]), c.normal([3, 2])]) { x in
            recordedGradient((Tensor.solve(x[0] + shift3, x[1]) ** 2).sum(), x)
        }
        c.check("d/dx of sum(cholesky ** 2)", [c.normal([3, 3])]) { x in
            recordedGradient((((x[0].matmul(x[0].mT) + shift3).cholesky()) ** 2).sum(), x)
        }
    }
}
