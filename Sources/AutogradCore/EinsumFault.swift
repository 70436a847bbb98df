/// What is wrong with an `einsum` equation or its operands (``ShapeError/einsum(_:)``),
/// each case worded as PyTorch words it after `einsum(): `.
public enum EinsumFault: Equatable, Sendable {
    /// No operands were given.
    case noOperands
    /// The equation names more operands (commas) than were given.
    case fewerOperands
    /// More operands were given than the equation names.
    case moreOperands
    /// A `.` of operand `operand` that does not start `...`.
    case strayPeriod(operand: Int)
    /// A second ellipsis for operand `operand`.
    case secondEllipsis(operand: Int)
    /// A `.` in the output that does not start `...`.
    case strayOutputPeriod
    /// A second ellipsis in the output.
    case secondOutputEllipsis
    /// A character at `index` of the equation that is not a letter.
    case invalidSubscript(index: Int)
    /// An output subscript that no operand has.
    case unknownOutputSubscript(Character)
    /// An output subscript given twice.
    case repeatedOutputSubscript(Character)
    /// Operand `operand` has `rank` dimensions but `subscripts` subscripts (more than its
    /// rank when it has an ellipsis, a different number when it has none).
    case subscriptCount(subscripts: Int, rank: Int, operand: Int, hasEllipsis: Bool)
    /// A subscript repeated within operand `operand` over dimensions of different sizes.
    case repeatedSubscriptSizes(Character, operand: Int, size: Int, previous: Int)
    /// A subscript whose size in operand `operand` does not broadcast with its size in
    /// an earlier operand.
    case subscriptSizes(Character, size: Int, operand: Int, previous: Int)
    /// A dimension covered by the ellipsis of operand `operand` that does not broadcast
    /// with the same ellipsis dimension of an earlier operand.
    case ellipsisSizes(dim: Int, operand: Int, size: Int, previous: Int)

    /// PyTorch's wording, without the leading `einsum(): `.
    public var message: String {
        switch self {
        case .noOperands:
            return "must provide at least one operand"
        case .fewerOperands:
            return "fewer operands were provided than specified in the equation"
        case .moreOperands:
            return "more operands were provided than specified in the equation"
        case .strayPeriod(let operand):
            return "found '.' for operand \(operand) that is not part of any ellipsis"
        case .secondEllipsis(let operand):
            return "found '.' for operand \(operand) for which an ellipsis was already found"
        case .strayOutputPeriod:
            return "found '.' for output that is not part of any ellipsis (...)"
        case .secondOutputEllipsis:
            return "found '.' for output but an ellipsis (...) was already found"
        case .invalidSubscript(let index):
            return "invalid subscript given at index \(index) in the equation string, subscripts must be in [a-zA-Z]"
        case .unknownOutputSubscript(let label):
            return "output subscript \(label) does not appear in the equation for any input operand"
        case .repeatedOutputSubscript(let label):
            return "output subscript \(label) appears more than once in the output"
        case .subscriptCount(let subscripts, let rank, let operand, let hasEllipsis):
            return hasEllipsis
                ? "the number of subscripts in the equation (\(subscripts)) is more than the number of dimensions (\(rank)) for operand \(operand)"
                : "the number of subscripts in the equation (\(subscripts)) does not match the number of dimensions (\(rank)) for operand \(operand) and no ellipsis was given"
        case .repeatedSubscriptSizes(let label, let operand, let size, let previous):
            return "subscript \(label) is repeated for operand \(operand) but the sizes don't match, \(size) != \(previous)"
        case .subscriptSizes(let label, let size, let operand, let previous):
            return "subscript \(label) has size \(size) for operand \(operand) which does not broadcast with previously seen size \(previous)"
        case .ellipsisSizes(let dim, let operand, let size, let previous):
            // PyTorch's message has no space after the operand number.
            return "dimension \(dim) covered by ellipsis in operand \(operand)has size \(size) which does not broadcast with previously seen ellipsis with size \(previous) for the respective dimension"
        }
    }
}
