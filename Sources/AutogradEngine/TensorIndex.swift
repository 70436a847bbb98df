/// One entry of a tensor subscript, PyTorch's `x[...]` indices: an integer, a slice with a
/// step, `.all` (`:`), `.ellipsis` (`...`), `.newAxis` (`None`), or an index tensor (int64
/// positions or a bool mask).
///
/// Write entries directly in a subscript; integers, Swift ranges, tensors and arrays of
/// integers or Booleans convert themselves (``TensorIndexConvertible``):
/// ```swift
/// x[.all, 1]                                   // x[:, 1]
/// x[1..<3]                                     // x[1:3]
/// x[.all, .stride(from: 1, to: 4, by: 2)]      // x[:, 1:4:2]
/// p[.ellipsis, 0]                              // p[..., 0]
/// v[.newAxis]                                  // v[None]
/// x[Tensor([2, 0, 2])]                         // rows 2, 0 and 2
/// x[x .> 0]                                    // the positive elements
/// ```
public struct TensorIndex: TensorIndexConvertible {
    /// What an entry does.
    public enum Kind {
        /// Picks one position (negative counts from the end) and removes the dimension.
        case integer(Int)
        /// Every `step`-th position of `start..<end` (nil: from the first, to the end);
        /// bounds are clamped and may be negative, as in Python.
        case slice(start: Int?, end: Int?, step: Int)
        /// Inserts a dimension of size 1 (`None`).
        case newAxis
        /// Stands for as many `.all` as the other entries leave dimensions (`...`).
        case ellipsis
        /// Positions (an int64 or int32 tensor) or a mask (a bool tensor).
        case tensor(Tensor)
    }

    /// What this entry does.
    public let kind: Kind

    /// An entry of `kind`.
    public init(_ kind: Kind) { self.kind = kind }

    /// The entry itself.
    public var tensorIndex: TensorIndex { self }
}

/// A value that can be an entry of a tensor subscript: `Int`, Swift's integer ranges
/// (`1..<3`, `1...2`, `1...`, `..<3`, `...2`), `Tensor` (positions or a mask), arrays of
/// integers or Booleans (`[2, 0, 2]`, `[true, false]`), and ``TensorIndex`` itself.
public protocol TensorIndexConvertible {
    /// This value as a subscript entry.
    var tensorIndex: TensorIndex { get }
}

extension TensorIndexConvertible where Self == TensorIndex {
    /// Every position of a dimension, like `:`.
    public static var all: TensorIndex { TensorIndex(.slice(start: nil, end: nil, step: 1)) }

    /// As many `.all` as the other entries leave dimensions, like `...`.
    public static var ellipsis: TensorIndex { TensorIndex(.ellipsis) }

    /// A new dimension of size 1, like `None`.
    public static var newAxis: TensorIndex { TensorIndex(.newAxis) }

    /// Every `step`-th position from `start` up to (not including) `end`, like
    /// `start:end:step`; a missing bound means the first or the end, a missing step 1.
    /// The step must be positive.
    public static func stride(from start: Int? = nil, to end: Int? = nil, by step: Int? = nil) -> TensorIndex {
        TensorIndex(.slice(start: start, end: end, step: step ?? 1))
    }

    /// One position, which removes the dimension (negative counts from the end).
    public static func int(_ position: Int) -> TensorIndex { TensorIndex(.integer(position)) }

    /// The positions of a Swift range, like ``stride(from:to:by:)`` with step 1.
    public static func range<R: TensorIndexConvertible & RangeExpression>(_ range: R) -> TensorIndex where R.Bound == Int {
        range.tensorIndex
    }

    /// Positions (an int64 or int32 tensor) or a mask (a bool tensor).
    public static func tensor(_ tensor: Tensor) -> TensorIndex { TensorIndex(.tensor(tensor)) }
}

extension Int: TensorIndexConvertible {
    /// One position, which removes the dimension.
    public var tensorIndex: TensorIndex { TensorIndex(.integer(self)) }
}

extension Range: TensorIndexConvertible where Bound == Int {
    /// `a..<b`: positions `a` up to `b`, like `a:b`.
    public var tensorIndex: TensorIndex { TensorIndex(.slice(start: lowerBound, end: upperBound, step: 1)) }
}

extension ClosedRange: TensorIndexConvertible where Bound == Int {
    /// `a...b`: positions `a` through `b` (`b` may be -1, the last).
    public var tensorIndex: TensorIndex {
        TensorIndex(.slice(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1, step: 1))
    }
}

extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
    /// `a...`: positions from `a` to the end, like `a:`.
    public var tensorIndex: TensorIndex { TensorIndex(.slice(start: lowerBound, end: nil, step: 1)) }
}

extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
    /// `..<b`: positions before `b`, like `:b`.
    public var tensorIndex: TensorIndex { TensorIndex(.slice(start: nil, end: upperBound, step: 1)) }
}

extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
    /// `...b`: positions through `b` (`b` may be -1, the last).
    public var tensorIndex: TensorIndex {
        TensorIndex(.slice(start: nil, end: upperBound == -1 ? nil : upperBound + 1, step: 1))
    }
}

extension Tensor: TensorIndexConvertible {
    /// Positions (int64 or int32) or a mask (bool).
    public var tensorIndex: TensorIndex { TensorIndex(.tensor(self)) }
}

extension Array: TensorIndexConvertible where Element: TensorLiteral {
    /// The tensor this array makes: positions for integers (`[2, 0, 2]`), a mask for
    /// Booleans.
    public var tensorIndex: TensorIndex { TensorIndex(.tensor(Tensor(self))) }
}
