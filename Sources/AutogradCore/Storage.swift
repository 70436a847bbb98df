import CAutogradKernels

/// The count, version and dtype of a ``Storage``, kept in the same allocation as its elements.
public struct StorageHeader: Sendable {
    /// The number of elements.
    var count: Int
    /// Bumped by every in-place write.
    var version: Int
    /// The element type.
    let dtype: DType
    /// Pads the header to 32 bytes, so the elements after it start 16-byte aligned.
    private let padding: Int = 0

    /// The header of a new buffer.
    init(count: Int, version: Int, dtype: DType) {
        self.count = count
        self.version = version
        self.dtype = dtype
    }
}

/// A contiguous, reference-counted buffer of elements of one ``DType`` that tensors view
/// through a ``Layout``. Several tensors (views) may share one storage.
///
/// The header and the elements live in one allocation, so making an array costs one
/// allocation. The buffer is counted in 4-byte words; ``base`` sees it as `Float` (the
/// float32 fast paths) and ``raw`` as bytes for every dtype. Elements start 16-byte
/// aligned, so 8-byte dtypes are aligned too.
public final class Storage: ManagedBuffer<StorageHeader, Float> {
    /// A buffer of `count` elements of `dtype` whose values the caller writes before reading.
    public static func uninitialized(_ count: Int, dtype: DType = .float32) -> Storage {
        _ = keepsFreedMemory
        let words = dtype == .float32 ? count : (count * dtype.itemSize + 3) / 4
        let buffer = Storage.create(minimumCapacity: Swift.max(words, 2)) { _ in
            StorageHeader(count: count, version: 0, dtype: dtype)
        }
        return unsafeDowncast(buffer, to: Storage.self)
    }

    /// Set up by the first allocation: freed buffers stay in the heap for the next one, so
    /// a training loop does not fault in and zero the same pages every step.
    private static let keepsFreedMemory: Void = ag_keep_freed_memory()

    /// A buffer of `count` zeros (all bits zero is 0, 0.0 and false in every dtype).
    public static func zeros(_ count: Int, dtype: DType = .float32) -> Storage {
        let storage = uninitialized(count, dtype: dtype)
        storage.raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.itemSize)
        return storage
    }

    /// A float32 buffer holding a copy of `values`.
    public static func copying(_ values: [Float]) -> Storage {
        let storage = uninitialized(values.count)
        values.withUnsafeBufferPointer { storage.base.initialize(from: $0.baseAddress!, count: values.count) }
        return storage
    }

    /// The first element of a float32 buffer (valid while the storage is alive).
    public var base: UnsafeMutablePointer<Float> { withUnsafeMutablePointerToElements { $0 } }

    /// The first byte of the buffer, for any dtype (valid while the storage is alive).
    public var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(withUnsafeMutablePointerToElements { $0 }) }

    /// The number of elements in the buffer.
    public var count: Int { header.count }

    /// The element type.
    public var dtype: DType { header.dtype }

    /// Bumped by every in-place write, so a value saved for backward can tell it was changed.
    public var version: Int {
        get { header.version }
        set { header.version = newValue }
    }
}
