import CAutogradKernels

/// The count and version of a ``Storage``, kept in the same allocation as its elements.
public struct StorageHeader: Sendable {
    /// The number of elements.
    var count: Int
    /// Bumped by every in-place write.
    var version: Int
}

/// A contiguous, reference-counted buffer of `Float` values that tensors view through a
/// ``Layout``. Several tensors (views) may share one storage.
///
/// The header and the elements live in one allocation, so making an array costs one
/// allocation.
public final class Storage: ManagedBuffer<StorageHeader, Float> {
    /// A buffer of `count` elements whose values the caller writes before reading.
    public static func uninitialized(_ count: Int) -> Storage {
        _ = keepsFreedMemory
        let buffer = Storage.create(minimumCapacity: Swift.max(count, 1)) { _ in
            StorageHeader(count: count, version: 0)
        }
        return unsafeDowncast(buffer, to: Storage.self)
    }

    /// Set up by the first allocation: freed buffers stay in the heap for the next one, so
    /// a training loop does not fault in and zero the same pages every step.
    private static let keepsFreedMemory: Void = ag_keep_freed_memory()

    /// A buffer of `count` zeros.
    public static func zeros(_ count: Int) -> Storage {
        let storage = uninitialized(count)
        storage.base.initialize(repeating: 0, count: count)
        return storage
    }

    /// A buffer holding a copy of `values`.
    public static func copying(_ values: [Float]) -> Storage {
        let storage = uninitialized(values.count)
        values.withUnsafeBufferPointer { storage.base.initialize(from: $0.baseAddress!, count: values.count) }
        return storage
    }

    /// The first element of the buffer (valid while the storage is alive).
    public var base: UnsafeMutablePointer<Float> { withUnsafeMutablePointerToElements { $0 } }

    /// The number of elements in the buffer.
    public var count: Int { header.count }

    /// Bumped by every in-place write, so a value saved for backward can tell it was changed.
    public var version: Int {
        get { header.version }
        set { header.version = newValue }
    }
}
