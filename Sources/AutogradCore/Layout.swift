/// Shape, strides and offset: how a tensor's elements sit in its ``Storage``.
///
/// Element `(i0, i1, ...)` lives at `offset + i0 * strides[0] + i1 * strides[1] + ...`.
/// Views (transpose, slice, expand, ...) change the layout and share the storage.
public struct Layout: Equatable, Sendable {
    /// The size of each dimension.
    public var shape: [Int] {
        // Strides of a row-major layout are derived from the shape; fix them before the
        // shape changes under them.
        willSet { if explicitStrides == nil { explicitStrides = Layout.rowMajorStrides(for: shape) } }
    }
    /// The strides when they are not the row-major ones for `shape` (nil: row-major, so a
    /// new contiguous array allocates no strides).
    var explicitStrides: [Int]?
    /// The position of the first element in the storage.
    public var offset: Int

    /// The distance in elements between neighbours along each dimension (0 when broadcast).
    public var strides: [Int] {
        get { explicitStrides ?? Layout.rowMajorStrides(for: shape) }
        set { explicitStrides = newValue }
    }

    /// A row-major layout of `shape` starting at `offset`.
    public init(contiguous shape: [Int], offset: Int = 0) {
        self.shape = shape
        self.explicitStrides = nil
        self.offset = offset
    }

    /// A layout from its parts.
    public init(shape: [Int], strides: [Int], offset: Int) {
        self.shape = shape
        self.explicitStrides = strides
        self.offset = offset
    }

    /// Layouts are equal when they address the same elements in the same order.
    public static func == (a: Layout, b: Layout) -> Bool {
        a.shape == b.shape && a.offset == b.offset && a.strides == b.strides
    }

    /// The strides of a row-major (C-order) layout of `shape`.
    public static func rowMajorStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for dim in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[dim] = running
            running *= Swift.max(shape[dim], 1)
        }
        return strides
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The number of elements (1 for a 0-d layout).
    public var count: Int { shape.reduce(1, *) }

    /// Whether the elements are stored row-major with no gaps (the offset may be non-zero).
    public var isContiguous: Bool {
        guard let explicitStrides else { return true }
        var expected = 1
        for dim in stride(from: shape.count - 1, through: 0, by: -1) where shape[dim] != 1 {
            if explicitStrides[dim] != expected { return false }
            expected *= shape[dim]
        }
        return true
    }
}
