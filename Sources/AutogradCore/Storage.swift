/// A contiguous, reference-counted buffer of `Float` values that tensors view through a
/// ``Layout``. Several tensors (views) may share one storage.
public final class Storage: @unchecked Sendable {
    /// The first element of the buffer.
    public let base: UnsafeMutablePointer<Float>
    /// The number of elements in the buffer.
    public let count: Int
    /// Bumped by every in-place write, so a value saved for backward can tell it was changed.
    public var version: Int = 0

    /// Allocates `count` elements, all zero.
    public init(zeros count: Int) {
        self.count = count
        base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    /// Allocates `count` elements whose values the caller writes before reading.
    public init(uninitialized count: Int) {
        self.count = count
        base = .allocate(capacity: Swift.max(count, 1))
    }

    /// Allocates a buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(uninitialized: values.count)
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { base.deallocate() }
}
