import CAutogradKernels

/// The count, version, dtype and element address of a ``Storage``, kept in the same
/// allocation as small buffers' elements.
public struct StorageHeader {
    /// The number of elements.
    var count: Int
    /// Bumped by every in-place write.
    var version: Int
    /// The element type.
    let dtype: DType
    /// The first element: just after this header, or a block from the buffer cache.
    let elements: UnsafeMutableRawPointer
    /// The byte capacity of a block from the buffer cache; 0 when the elements follow the header.
    let cachedCapacity: Int
    /// Pads the header to 48 bytes, so the elements after it start 16-byte aligned.
    private let padding: Int = 0

    /// The header of a new buffer.
    init(count: Int, version: Int, dtype: DType, elements: UnsafeMutableRawPointer, cachedCapacity: Int) {
        self.count = count
        self.version = version
        self.dtype = dtype
        self.elements = elements
        self.cachedCapacity = cachedCapacity
    }
}

/// A contiguous, reference-counted buffer of elements of one ``DType`` that tensors view
/// through a ``Layout``. Several tensors (views) may share one storage.
///
/// A small buffer keeps its header and elements in one allocation, so making an array
/// costs one allocation. A buffer of 64 KiB or more takes its elements from the
/// ``BufferCache``, which keeps freed blocks for the next buffer of their size class, so a
/// training loop does not fault in and zero the same pages every step. ``base`` sees the
/// elements as `Float` (the float32 fast paths) and ``raw`` as bytes for every dtype;
/// they start 16-byte aligned, so 8-byte dtypes are aligned too.
public final class Storage: ManagedBuffer<StorageHeader, Float> {
    /// A buffer of `count` elements of `dtype` whose values the caller writes before reading.
    public static func uninitialized(_ count: Int, dtype: DType = .float32) -> Storage {
        let bytes = count * dtype.itemSize
        let capacity = ag_buffer_capacity(bytes)
        let buffer: ManagedBuffer<StorageHeader, Float>
        if capacity >= BufferCache.smallestCachedBytes, let block = ag_buffer_allocate(capacity) {
            buffer = Storage.create(minimumCapacity: 0) { _ in
                StorageHeader(count: count, version: 0, dtype: dtype, elements: block, cachedCapacity: capacity)
            }
        } else {
            checkUsage(capacity < BufferCache.smallestCachedBytes || bytes == 0,
                       "out of memory: cannot allocate \(bytes) bytes for \(count) elements of \(dtype)")
            let words = dtype == .float32 ? count : (bytes + 3) / 4
            buffer = Storage.create(minimumCapacity: Swift.max(words, 2)) { buffer in
                StorageHeader(count: count, version: 0, dtype: dtype,
                              elements: UnsafeMutableRawPointer(buffer.withUnsafeMutablePointerToElements { $0 }),
                              cachedCapacity: 0)
            }
        }
        return unsafeDowncast(buffer, to: Storage.self)
    }

    deinit {
        let (elements, capacity) = withUnsafeMutablePointerToHeader { ($0.pointee.elements, $0.pointee.cachedCapacity) }
        if capacity > 0 { ag_buffer_free(elements, capacity) }
    }

    /// A buffer of `count` zeros (all bits zero is 0, 0.0 and false in every dtype).
    public static func zeros(_ count: Int, dtype: DType = .float32) -> Storage {
        let storage = uninitialized(count, dtype: dtype)
        let raw = storage.raw, itemSize = dtype.itemSize
        forEachChunk(count) { start, length in
            (raw + start * itemSize).initializeMemory(as: UInt8.self, repeating: 0, count: length * itemSize)
        }
        return storage
    }

    /// A float32 buffer holding a copy of `values`.
    public static func copying(_ values: [Float]) -> Storage {
        let storage = uninitialized(values.count)
        values.withUnsafeBufferPointer { storage.base.initialize(from: $0.baseAddress!, count: values.count) }
        return storage
    }

    /// The first element of a float32 buffer (valid while the storage is alive).
    public var base: UnsafeMutablePointer<Float> {
        withUnsafeMutablePointerToHeader { $0.pointee.elements.assumingMemoryBound(to: Float.self) }
    }

    /// The first byte of the buffer, for any dtype (valid while the storage is alive).
    public var raw: UnsafeMutableRawPointer { withUnsafeMutablePointerToHeader { $0.pointee.elements } }

    // The header is read through its pointer: `header` itself is a class property, whose
    // every access pays for a dynamic exclusivity check, and these are read on every op.

    /// The number of elements in the buffer.
    public var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }

    /// The element type.
    public var dtype: DType { withUnsafeMutablePointerToHeader { $0.pointee.dtype } }

    /// Bumped by every in-place write, so a value saved for backward can tell it was changed.
    public var version: Int {
        get { withUnsafeMutablePointerToHeader { $0.pointee.version } }
        set { withUnsafeMutablePointerToHeader { $0.pointee.version = newValue } }
    }
}
