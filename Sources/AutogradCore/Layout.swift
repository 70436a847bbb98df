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

extension Layout {
    /// The strides under which `newShape` (same element count) walks this layout's
    /// elements in the same row-major order, or nil when no strides can (PyTorch's
    /// `computeStride`, which decides whether `view` and `reshape` share storage). Going
    /// from the last dimension, the old dimensions are cut into chunks that are contiguous
    /// among themselves; each chunk must be exactly covered by consecutive new dimensions,
    /// which then step through it contiguously from the chunk's innermost stride.
    func viewStrides(for newShape: [Int]) -> [Int]? {
        let oldShape = shape, oldStrides = strides
        if oldShape.reduce(1, *) == 0 || oldShape.isEmpty {
            return Layout(contiguous: newShape).strides
        }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewDim = newShape.count - 1
        var chunkBaseStride = oldStrides[oldStrides.count - 1]
        var tensorElements = 1, viewElements = 1
        for tensorDim in stride(from: oldShape.count - 1, through: 0, by: -1) {
            tensorElements *= oldShape[tensorDim]
            let chunkEnds = tensorDim == 0
                || (oldShape[tensorDim - 1] != 1 && oldStrides[tensorDim - 1] != tensorElements * chunkBaseStride)
            guard chunkEnds else { continue }
            while viewDim >= 0 && (viewElements < tensorElements || newShape[viewDim] == 1) {
                newStrides[viewDim] = viewElements * chunkBaseStride
                viewElements *= newShape[viewDim]
                viewDim -= 1
            }
            if viewElements != tensorElements { return nil }
            if tensorDim > 0 {
                chunkBaseStride = oldStrides[tensorDim - 1]
                tensorElements = 1
                viewElements = 1
            }
        }
        return viewDim == -1 ? newStrides : nil
    }
}
