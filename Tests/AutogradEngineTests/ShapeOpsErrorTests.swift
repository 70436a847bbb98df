import Testing
import AutogradCore
@testable import AutogradEngine

/// Bad shape-op arguments, einsum equations and matrices fail with PyTorch 2.15's messages
/// (checked against `torch` by hand: the PyTorch call is in each comment). Where PyTorch's
/// message does not name the op, this package puts the op's name in front, as it does for
/// every shape error.
@Suite struct ShapeOpsErrorTests {
    private static func operand(_ shape: [Int]) -> Tensor { Tensor.zeros(shape) }

    /// An equation, its operands' shapes, and PyTorch's message.
    struct BadEquation: Sendable, CustomTestStringConvertible {
        let equation: String
        let shapes: [[Int]]
        let message: String
        var testDescription: String { equation }
    }

    static let badEquations: [BadEquation] = [
        BadEquation(equation: "ij,jk->ik", shapes: [[2, 3, 4], [3, 4]],
                    message: "einsum(): the number of subscripts in the equation (2) does not match the number of dimensions (3) for operand 0 and no ellipsis was given"),
        BadEquation(equation: "ij->ik", shapes: [[2, 3]], message: "einsum(): output subscript k does not appear in the equation for any input operand"),
        BadEquation(equation: "ij->ii", shapes: [[2, 3]], message: "einsum(): output subscript i appears more than once in the output"),
        BadEquation(equation: "ij,jk", shapes: [[2, 3]], message: "einsum(): fewer operands were provided than specified in the equation"),
        BadEquation(equation: "ij", shapes: [[2, 3], [3, 4]], message: "einsum(): more operands were provided than specified in the equation"),
        BadEquation(equation: "i.j", shapes: [[2, 3]], message: "einsum(): found '.' for operand 0 that is not part of any ellipsis"),
        BadEquation(equation: "...i...", shapes: [[2, 3]], message: "einsum(): found '.' for operand 0 for which an ellipsis was already found"),
        BadEquation(equation: "i1", shapes: [[2, 3]], message: "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]"),
        BadEquation(equation: "ij->j1", shapes: [[2, 3]], message: "einsum(): invalid subscript given at index 5 in the equation string, subscripts must be in [a-zA-Z]"),
        BadEquation(equation: "ij-", shapes: [[2, 3]], message: "einsum(): invalid subscript given at index 2 in the equation string, subscripts must be in [a-zA-Z]"),
        BadEquation(equation: "ij->....", shapes: [[2, 3]], message: "einsum(): found '.' for output but an ellipsis (...) was already found"),
        BadEquation(equation: "ij->.", shapes: [[2, 3]], message: "einsum(): found '.' for output that is not part of any ellipsis (...)"),
        BadEquation(equation: "ii", shapes: [[2, 3]], message: "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
        BadEquation(equation: "ij,ij", shapes: [[2, 3], [3, 4]],
                    message: "einsum(): subscript i has size 3 for operand 1 which does not broadcast with previously seen size 2"),
        BadEquation(equation: "...ij", shapes: [[3]],
                    message: "einsum(): the number of subscripts in the equation (2) is more than the number of dimensions (1) for operand 0"),
        BadEquation(equation: "...i,...i", shapes: [[2, 3], [4, 3]],
                    message: "einsum(): dimension 0 covered by ellipsis in operand 1has size 4 which does not broadcast with previously seen ellipsis with size 2 for the respective dimension"),
        BadEquation(equation: "i", shapes: [], message: "einsum(): must provide at least one operand"),
    ]

    @Test(arguments: badEquations)
    func badEinsumEquations(_ bad: BadEquation) {
        let error = #expect(throws: ShapeError.self) { try Tensor.checkedEinsum(bad.equation, bad.shapes.map(Self.operand)) }
        #expect(error?.message == bad.message)
    }

    @Test func einsumAcceptsSpacesAndCapitals() throws {
        let a = Tensor([[1.0, 2.0], [3.0, 4.0]])
        #expect(try Tensor.checkedEinsum(" i j -> j ", [a]).scalars == [4, 6])
        #expect(try Tensor.checkedEinsum("Ab,bA->A", [a, a]).scalars == [7, 22])
    }

    /// The wording of every new shape error (the PyTorch call that gives it in comments).
    @Test func shapeErrorMessages() {
        let messages: [(ShapeError, String)] = [
            (.splitOfScalar(op: "split"), "split expects at least a 1-dimensional tensor"),   // torch.tensor(1.).split(1)
            (.negativeSplitSize(-1), "split expects split_size be non-negative, but got split_size=-1"),
            (.zeroSplitSize(dimensionSize: 4), "split_size can only be 0 if dimension size is 0, but got dimension size of 4"),
            (.splitSizesSum(sizes: [1, 2], dimensionSize: 4, dim: 1),
             "split_with_sizes expects split_sizes to sum exactly to 4 (input tensor's size at dimension 1), but got split_sizes=[1, 2]"),
            (.negativeSplitSizes(sizes: [1, -1, 4]),
             "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=[1, -1, 4]"),
            (.nonPositiveChunks(0), "chunk expects `chunks` to be greater than 0, got: 0"),
            (.repeatTooFewDimensions(repeats: [2], rank: 2),
             "repeat: Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
            (.negativeDimension(op: "repeat", shape: [6, -4]), "repeat: Trying to create tensor with negative dimension -4: [6, -4]"),
            (.rollMisaligned(shifts: 2, dims: 1), "roll: shifts and dimensions must align. shifts: 2, dims:1"),
            (.rollWithoutShifts, "roll: `shifts` required"),
            (.dimensionOfScalar(op: "roll", dim: 0), "roll: Dimension specified as 0 but tensor has no dimensions"),
            (.triangleNeedsMatrix(op: "tril", rank: 1), "tril: input tensor must have at least 2 dimensions"),
            (.identicalDiagonalDimensions(0, -2), "diagonal: diagonal dimensions cannot be identical 0, -2"),
            (.unflattenSizes(sizes: [3, 2], dim: 1, size: 4),
             "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4) in the input tensor"),
            (.unflattenEmptySizes, "unflatten: sizes must be non-empty"),
            (.narrowOfScalar, "narrow() cannot be applied to a 0-dim tensor."),
            (.narrowStartOutOfRange(start: -5, size: 4), "narrow: start out of range (expected to be in range of [-4, 4], but got -5)"),
            (.narrowNegativeLength(-1), "narrow(): length must be non-negative."),
            (.narrowPastEnd(start: 3, length: 2, size: 4), "narrow: start (3) + length (2) exceeds dimension size (4)."),
            (.movedimCounts(source: [0, 1], destination: [1]),
             "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same number of dims as destination ([1] dims)"),
            (.movedimRepeated(argument: "source", dims: [0, 0]), "movedim: repeated dim in `source` ([0, 0])"),
            (.outerNeedsVectors(argument: "vec2", rank: 2), "outer: Expected 1-D argument vec2, but got 2-D"),
            (.dotNeedsVectors(lhsRank: 2, rhsRank: 2), "dot: 1D tensors expected, but got 2D and 2D tensors"),
            (.dotSizes(lhs: 4, rhs: 3),
             "dot: inconsistent tensor size, expected tensor [4] and src [3] to have the same number of elements, but got 4 and 3 elements respectively"),
            (.dotDTypes(.float32, .float64), "dot : expected both vectors to have same dtype, but found Float and Double"),
            (.linalgNeedsMatrices(op: "linalg.inv", argument: "A"), "linalg.inv: The input tensor A must have at least 2 dimensions."),
            (.notSquareMatrices(op: "linalg.inv", rows: 2, columns: 3),
             "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
            (.linalgNeedsFloatingPoint(op: "linalg.inv", .int64), "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
            (.linalgLowPrecision(op: "linalg.inv", .float16), "linalg.inv: Low precision dtypes not supported. Got Half"),
            (.solveShapes(a: [2, 2], b: [3, 1]), "linalg.solve: Incompatible shapes of A and B for the equation AX = B (2x2 and 3x1)"),
            (.solveDTypes(.float32, .float64),
             "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Double instead"),
        ]
        for (error, message) in messages { #expect(error.message == message) }
    }

    @Test func arrayChecksThrowTheirCases() {
        let matrix = NDArray(zeros: [2, 3])
        #expect(throws: ShapeError.repeatTooFewDimensions(repeats: [2], rank: 2)) { try matrix.repeated([2]) }
        #expect(throws: ShapeError.negativeDimension(op: "repeat", shape: [4, -3])) { try matrix.repeated([2, -1]) }
        #expect(throws: ShapeError.triangleNeedsMatrix(op: "triu", rank: 1)) { try NDArray(zeros: [3]).triangle(upper: true, diagonal: 0) }
        #expect(throws: ShapeError.unflattenSizes(sizes: [2, 2], dim: 1, size: 3)) { try matrix.unflattened(dim: 1, sizes: [2, 2]) }
        #expect(throws: ShapeError.multipleInferredDimensions(op: "unflatten")) { try matrix.unflattened(dim: 1, sizes: [-1, -1]) }
        #expect(throws: ShapeError.notSquareMatrices(op: "linalg.det", rows: 2, columns: 3)) { try matrix.squareMatrices(op: "linalg.det") }
        #expect(throws: ShapeError.linalgNeedsMatrices(op: "linalg.det", argument: "A")) { try NDArray(zeros: [3]).squareMatrices(op: "linalg.det") }
        #expect(throws: ShapeError.linalgNeedsFloatingPoint(op: "linalg.inv", .int64)) {
            try NDArray(zeros: [2, 2], dtype: .int64).squareMatrices(op: "linalg.inv")
        }
        #expect(throws: ShapeError.linalgLowPrecision(op: "linalg.inv", .bfloat16)) {
            try NDArray(zeros: [2, 2], dtype: .bfloat16).squareMatrices(op: "linalg.inv")
        }
    }

    /// Singular and indefinite matrices, with PyTorch's `LinAlgError` messages.
    @Test func factorizationsOfBadMatrices() {
        let singular = NDArray(shape: [2, 2], scalars: [1, 2, 2, 4])
        let inverse = #expect(throws: LinearAlgebraError.self) { try singular.inverseMatrices() }
        // torch.linalg.inv(torch.tensor([[1., 2], [2, 4]]))
        #expect(inverse?.message == "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input matrix is singular.")
        let batch = NDArray(shape: [2, 2, 2], scalars: [1, 0, 0, 1, 1, 2, 2, 4])
        let batched = #expect(throws: LinearAlgebraError.self) { try batch.inverseMatrices() }
        #expect(batched == .singularInverse(batch: 1, diagonalElement: 2))
        #expect(batched?.message.hasPrefix("linalg.inv: (Batch element 1): The diagonal element 2 is zero") == true)
        // torch.linalg.inv(torch.zeros(3, 3)): the first column is zero.
        #expect(throws: LinearAlgebraError.singularInverse(batch: nil, diagonalElement: 1)) { try NDArray(zeros: [3, 3]).inverseMatrices() }
        let indefinite = NDArray(shape: [2, 2], scalars: [1, 2, 2, 1])
        let cholesky = #expect(throws: LinearAlgebraError.self) { try indefinite.choleskyFactors() }
        #expect(cholesky?.message == "linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order 2 is not positive-definite).")
        #expect(throws: LinearAlgebraError.notPositiveDefinite(batch: nil, order: 1)) {
            try NDArray(shape: [2, 2], scalars: [-1, 0, 0, 1]).choleskyFactors()
        }
        let solve = #expect(throws: LinearAlgebraError.self) { try NDArray.solveMatrices(singular, NDArray(zeros: [2, 1])) }
        #expect(solve?.message == "torch.linalg.solve: The solver failed because the input matrix is singular.")
        #expect(throws: LinearAlgebraError.singularSolve(batch: 1)) { try NDArray.solveMatrices(batch, NDArray(zeros: [2, 1])) }
    }

    /// Misuses through the public API stop the process with the message.
    static let misuses: [String: String] = [
        "split-negative": "split expects split_size be non-negative, but got split_size=-1",
        "narrow-past-end": "narrow: start (3) + length (2) exceeds dimension size (4).",
        "outer-matrix": "outer: Expected 1-D argument self, but got 2-D",
        "einsum": "einsum(): the number of subscripts in the equation (2) does not match the number of dimensions (3) for operand 0 and no ellipsis was given",
        "inverse-singular": "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input matrix is singular.",
        "cholesky-indefinite": "the leading minor of order 2 is not positive-definite",
        "solve-shapes": "linalg.solve: Incompatible shapes of A and B for the equation AX = B (2x2 and 3x1)",
        "split-in-place": "mul_: Output 0 of Split is a view and is being modified inplace. This view is the output of a function that returns multiple views.",
    ]

    @Test(arguments: misuses.keys.sorted())
    func misuseStopsWithPyTorchsMessage(_ name: String) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name = name as String] in
            ShapeOpsErrorTests.commit(name)
        }
        let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(printed.contains(Self.misuses[name] ?? "?"), "printed: \(printed)")
    }

    /// Runs the misuse called `name`; each must stop the process.
    static func commit(_ name: String) {
        let x = Tensor.zeros([3, 4])
        switch name {
        case "split-negative": _ = x.split(-1, dim: 1)
        case "narrow-past-end": _ = x.narrow(dim: 1, start: 3, length: 2)
        case "outer-matrix": _ = x.outer(x)
        case "einsum": _ = Tensor.einsum("ij,jk->ik", Tensor.zeros([2, 3, 4]), x)
        case "inverse-singular": _ = Tensor([[1.0, 2.0], [2.0, 4.0]]).inverse()
        case "cholesky-indefinite": _ = Tensor([[1.0, 2.0], [2.0, 1.0]]).cholesky()
        case "solve-shapes": _ = Tensor.solve(Tensor.zeros([2, 2]), Tensor.zeros([3]))
        case "split-in-place":
            let y = Tensor.ones([3, 4], requiresGrad: true) * 1
            y.split(2, dim: 1)[0].multiplyInPlace(Tensor(2.0))
        default: break
        }
    }
}
