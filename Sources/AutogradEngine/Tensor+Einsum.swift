import AutogradCore

extension Tensor {
    /// Einstein summation, like `torch.einsum`: `equation` names each operand's dimensions
    /// with letters (`"ij,jk->ik"`); letters shared between operands are multiplied
    /// together, letters missing from the output are summed over, a letter repeated
    /// within an operand takes a diagonal, and `...` stands for dimensions that broadcast.
    /// Without `->` the output is `...` followed by the letters used once, in alphabetical
    /// order (capitals first).
    ///
    /// Computed as PyTorch computes it, from recorded permutes, diagonals, sums, products
    /// and batched matrix products, so the backward pass (and the result's node name)
    /// comes from those ops. An equation that does not fit its operands stops with
    /// PyTorch's message.
    /// ```swift
    /// let a = Tensor([[1.0, 2.0], [3.0, 4.0]])
    /// Tensor.einsum("ij,jk->ik", a, a)   // a.matmul(a)
    /// Tensor.einsum("ii", a)             // the trace, 5
    /// ```
    public static func einsum(_ equation: String, _ operands: Tensor...) -> Tensor {
        einsum(equation, operands)
    }

    /// Einstein summation of the operands in an array, like the variadic `einsum`.
    public static func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
        trapOnShapeError { () throws(ShapeError) in try checkedEinsum(equation, operands) }
    }

    /// `einsum`, throwing ``ShapeError/einsum(_:)`` for an equation that does not fit its
    /// operands.
    static func checkedEinsum(_ equation: String, _ operands: [Tensor]) throws(ShapeError) -> Tensor {
        try EinsumPlan(equation, operands).evaluate()
    }
}

/// An `einsum` equation parsed against its operands, following PyTorch's
/// `at::native::einsum`: every operand is permuted (after taking diagonals for repeated
/// subscripts and adding size-1 dimensions for missing ones) to the same order, output
/// dimensions first, then the operands are contracted two at a time from the left.
private struct EinsumPlan {
    /// Subscripts are numbered as PyTorch numbers them: `A`-`Z` are 0-25, `a`-`z` 26-51.
    static let labelCount = 52
    /// The code of `...` among an operand's subscripts.
    static let ellipsis = 52

    let operands: [Tensor]
    /// Each operand's subscripts, in order, with ``ellipsis`` for `...`.
    private var operandLabels: [[Int]]
    /// How many operands each subscript appears in (counting repeats).
    private var labelUses = [Int](repeating: 0, count: labelCount)
    /// The position of each subscript in the common order (-1: unused).
    private var position = [Int](repeating: -1, count: labelCount)
    /// The most dimensions any ellipsis covers.
    private var ellipsisRank = 0
    /// Where the ellipsis dimensions start in the common order.
    private var ellipsisPosition = 0
    /// The number of output dimensions (the first in the common order).
    private var outputRank = 0
    /// The number of dimensions in the common order (output, then contracted).
    private var alignedRank = 0

    init(_ equation: String, _ operands: [Tensor]) throws(ShapeError) {
        guard !operands.isEmpty else { throw .einsum(.noOperands) }
        self.operands = operands
        let characters = Array(equation.utf8)
        var arrow: Int?
        for i in 0..<Swift.max(characters.count - 1, 0) where characters[i] == UInt8(ascii: "-") && characters[i + 1] == UInt8(ascii: ">") {
            arrow = i
            break
        }
        let lhs = Array(characters[..<(arrow ?? characters.count)])
        operandLabels = try Self.parseInputs(lhs, operandCount: operands.count)
        try countLabels()
        try placeOutput(arrow.map { Array(characters[($0 + 2)...]) }, lhsLength: lhs.count)
    }

    /// The subscript number of a letter.
    private static func label(_ character: UInt8) -> Int {
        character >= UInt8(ascii: "a") ? Int(character - UInt8(ascii: "a")) + 26 : Int(character - UInt8(ascii: "A"))
    }

    /// The letter of a subscript number.
    private static func character(_ label: Int) -> Character {
        Character(Unicode.Scalar(label < 26 ? UInt8(ascii: "A") + UInt8(label) : UInt8(ascii: "a") + UInt8(label - 26)))
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    /// Each operand's subscripts from the left-hand side of the equation.
    private static func parseInputs(_ lhs: [UInt8], operandCount: Int) throws(ShapeError) -> [[Int]] {
        var labels = [[Int]](repeating: [], count: operandCount)
        var current = 0, ellipsisFound = false, i = 0
        while i < lhs.count {
            let c = lhs[i]
            switch c {
            case UInt8(ascii: " "):
                break
            case UInt8(ascii: "."):
                guard !ellipsisFound else { throw .einsum(.secondEllipsis(operand: current)) }
                guard i + 2 < lhs.count, lhs[i + 1] == c, lhs[i + 2] == c else { throw .einsum(.strayPeriod(operand: current)) }
                i += 2
                labels[current].append(ellipsis)
                ellipsisFound = true
            case UInt8(ascii: ","):
                current += 1
                guard current < operandCount else { throw .einsum(.fewerOperands) }
                ellipsisFound = false
            default:
                guard isLetter(c) else { throw .einsum(.invalidSubscript(index: i)) }
                labels[current].append(label(c))
            }
            i += 1
        }
        guard current == operandCount - 1 else { throw .einsum(.moreOperands) }
        return labels
    }

    /// Counts the uses of each subscript, checks each operand's number of subscripts
    /// against its rank, and finds how many dimensions the ellipsis covers.
    private mutating func countLabels() throws(ShapeError) {
        for (i, operand) in operands.enumerated() {
            var subscripts = operandLabels[i].count
            var hasEllipsis = false
            for label in operandLabels[i] {
                if label == Self.ellipsis {
                    subscripts -= 1
                    hasEllipsis = true
                    ellipsisRank = Swift.max(ellipsisRank, operand.rank - subscripts)
                } else {
                    labelUses[label] += 1
                }
            }
            guard hasEllipsis ? subscripts <= operand.rank : subscripts == operand.rank else {
                throw .einsum(.subscriptCount(subscripts: subscripts, rank: operand.rank, operand: i, hasEllipsis: hasEllipsis))
            }
        }
    }

    /// Places the output's dimensions first in the common order (the explicit output, or
    /// the ellipsis and the subscripts used once), then the ones summed over.
    private mutating func placeOutput(_ rhs: [UInt8]?, lhsLength: Int) throws(ShapeError) {
        var next = 0
        var ellipsisInOutput = false
        if let rhs {
            var i = 0
            while i < rhs.count {
                let c = rhs[i]
                switch c {
                case UInt8(ascii: " "):
                    break
                case UInt8(ascii: "."):
                    guard !ellipsisInOutput else { throw .einsum(.secondOutputEllipsis) }
                    guard i + 2 < rhs.count, rhs[i + 1] == c, rhs[i + 2] == c else { throw .einsum(.strayOutputPeriod) }
                    i += 2
                    ellipsisPosition = next
                    next += ellipsisRank
                    ellipsisInOutput = true
                default:
                    guard Self.isLetter(c) else { throw .einsum(.invalidSubscript(index: lhsLength + 2 + i)) }
                    let label = Self.label(c)
                    guard labelUses[label] > 0 && position[label] == -1 else {
                        throw .einsum(position[label] > -1 ? .repeatedOutputSubscript(Character(Unicode.Scalar(c)))
                                                           : .unknownOutputSubscript(Character(Unicode.Scalar(c))))
                    }
                    position[label] = next
                    next += 1
                }
                i += 1
            }
        } else {
            next = ellipsisRank
            ellipsisInOutput = true
            for label in 0..<Self.labelCount where labelUses[label] == 1 {
                position[label] = next
                next += 1
            }
        }
        outputRank = next
        if !ellipsisInOutput {
            ellipsisPosition = next
            next += ellipsisRank
        }
        for label in 0..<Self.labelCount where labelUses[label] > 0 && position[label] == -1 {
            position[label] = next
            next += 1
        }
        alignedRank = next
    }

    /// The result: the operands aligned, contracted pairwise from the left, and the
    /// summed dimensions removed.
    func evaluate() throws(ShapeError) -> Tensor {
        var (aligned, operandsSized) = try align()
        while aligned.count > 1 {
            var a = aligned.removeFirst(), b = aligned.removeFirst()
            var summed: [Int] = [], summedInA: [Int] = [], summedInB: [Int] = []
            for dim in outputRank..<alignedRank {
                if a.shape[dim] != 1 && b.shape[dim] != 1 {
                    operandsSized[dim] -= 1
                    if operandsSized[dim] == 1 {
                        summed.append(dim)
                        operandsSized[dim] = 0
                    }
                } else if operandsSized[dim] == 1 {
                    if a.shape[dim] != 1 {
                        summedInA.append(dim)
                        operandsSized[dim] = 0
                    } else if b.shape[dim] != 1 {
                        summedInB.append(dim)
                        operandsSized[dim] = 0
                    }
                }
            }
            if !summedInA.isEmpty { a = a.sum(dims: summedInA, keepDim: true) }
            if !summedInB.isEmpty { b = b.sum(dims: summedInB, keepDim: true) }
            aligned.insert(Self.sumProduct(a, b, summing: summed), at: 0)
        }
        let result = aligned[0]
        guard alignedRank > outputRank else { return result }
        if operands.count > 1 {
            // Every contracted dimension has size 1 by now.
            return result.droppingUnitDimensions(Array(outputRank..<alignedRank))
        }
        return result.sum(dims: Array(outputRank..<alignedRank))
    }

    /// Each operand with diagonals taken for repeated subscripts, size-1 dimensions added
    /// for the subscripts it lacks, and permuted to the common order; and, for each
    /// dimension of that order, how many operands have it with a size other than 1.
    private func align() throws(ShapeError) -> ([Tensor], [Int]) {
        var labelSize = [Int](repeating: 1, count: Self.labelCount)
        var ellipsisSizes = [Int](repeating: 1, count: ellipsisRank)
        var operandsSized = [Int](repeating: 0, count: alignedRank)
        var aligned: [Tensor] = []
        for (i, operand) in operands.enumerated() {
            var op = operand
            var permutation = [Int](repeating: -1, count: alignedRank)
            var dim = 0
            for label in operandLabels[i] {
                if label == Self.ellipsis {
                    let covered = operand.rank - (operandLabels[i].count - 1)
                    for j in (ellipsisRank - covered)..<ellipsisRank {
                        let size = op.shape[dim]
                        if size != 1 {
                            guard ellipsisSizes[j] == 1 || ellipsisSizes[j] == size else {
                                throw .einsum(.ellipsisSizes(dim: dim, operand: i, size: size, previous: ellipsisSizes[j]))
                            }
                            ellipsisSizes[j] = size
                            operandsSized[ellipsisPosition + j] += 1
                        }
                        permutation[ellipsisPosition + j] = dim
                        dim += 1
                    }
                } else if permutation[position[label]] == -1 {
                    let size = op.shape[dim]
                    if size != 1 {
                        guard labelSize[label] == 1 || labelSize[label] == size else {
                            throw .einsum(.subscriptSizes(Self.character(label), size: size, operand: i, previous: labelSize[label]))
                        }
                        labelSize[label] = size
                        operandsSized[position[label]] += 1
                    }
                    permutation[position[label]] = dim
                    dim += 1
                } else {
                    // A repeated subscript: the diagonal replaces both dimensions, at the first.
                    let previous = permutation[position[label]]
                    guard op.shape[dim] == op.shape[previous] else {
                        throw .einsum(.repeatedSubscriptSizes(Self.character(label), operand: i, size: op.shape[dim], previous: op.shape[previous]))
                    }
                    op = op.diagonal(offset: 0, dim1: previous, dim2: dim).movedim(-1, previous)
                }
            }
            for k in 0..<alignedRank where permutation[k] == -1 {
                op = op.unsqueeze(-1)
                permutation[k] = dim
                dim += 1
            }
            aligned.append(op.permute(permutation))
        }
        return (aligned, operandsSized)
    }

    /// The product of two aligned operands summed over `summing` (kept as size 1), as
    /// PyTorch's `sumproduct_pair`: dimensions in both operands become the batch of a
    /// batched matrix product, those in one operand only its rows or columns.
    static func sumProduct(_ left: Tensor, _ right: Tensor, summing: [Int]) -> Tensor {
        if summing.isEmpty { return left * right }
        var left = left, right = right
        var both: [Int] = [], leftOnly: [Int] = [], rightOnly: [Int] = []
        var bothSize = 1, leftSize = 1, rightSize = 1, summedSize = 1
        for i in 0..<left.rank {
            let inLeft = left.shape[i] != 1, inRight = right.shape[i] != 1
            if summing.contains(i) {
                if inLeft && inRight {
                    summedSize *= left.shape[i]
                } else if inLeft {
                    left = left.sum(dim: i, keepDim: true)
                } else if inRight {
                    right = right.sum(dim: i, keepDim: true)
                }
            } else if inLeft && inRight {
                both.append(i)
                bothSize *= left.shape[i]
            } else if inLeft {
                leftOnly.append(i)
                leftSize *= left.shape[i]
            } else {
                rightOnly.append(i)
                rightSize *= right.shape[i]
            }
        }
        let outputSize = both.map { left.shape[$0] } + leftOnly.map { left.shape[$0] }
            + summing.map { _ in 1 } + rightOnly.map { right.shape[$0] }
        let outputOrder = both + leftOnly + summing + rightOnly
        var inverse = [Int](repeating: 0, count: outputOrder.count)
        for (i, d) in outputOrder.enumerated() { inverse[d] = i }
        let matrices = left.permute(both + leftOnly + summing + rightOnly).reshape([bothSize, leftSize, summedSize])
            .matmul(right.permute(both + summing + rightOnly + leftOnly).reshape([bothSize, summedSize, rightSize]))
        return matrices.reshape(outputSize).permute(inverse)
    }
}

extension Tensor {
    /// This tensor without the size-1 dimensions `dims`, as a view whatever the strides
    /// (PyTorch's `view` does this without a copy), recorded as `ViewBackward0`.
    func droppingUnitDimensions(_ dims: [Int]) -> Tensor {
        var layout = array.layout
        var shape = layout.shape, strides = layout.strides
        for dim in dims.sorted(by: >) {
            shape.remove(at: dim)
            strides.remove(at: dim)
        }
        layout = Layout(shape: shape, strides: strides, offset: layout.offset)
        return recordView(NDArray(storage: array.storage, layout: layout), .reshape(contiguousInput: true)) {
            $0.droppingUnitDimensions(dims)
        }
    }
}
