import CAutogradKernels

/// The cache that large tensor buffers (64 KiB and up) come from and go back to.
///
/// Freed blocks wait in size classes (four per power of two, so a block is at most a
/// quarter larger than asked) for the next buffer of their class: a training loop then
/// reuses the same memory every step instead of having fresh pages faulted in and zeroed.
/// The process's own allocator settings are not touched. The cache holds at most
/// ``limit`` bytes, freeing blocks to the system past it, and ``empty()`` releases
/// everything it holds (like `torch.cuda.empty_cache()` for PyTorch's GPU cache). It is
/// safe to use from any thread.
public enum BufferCache {
    /// Buffers of at least this many bytes come from the cache.
    public static let smallestCachedBytes = 1 << 16

    /// The bytes of freed blocks the cache holds now.
    public static var cachedBytes: Int { Int(ag_buffer_cache_bytes()) }

    /// The most bytes of freed blocks the cache keeps (2 GiB unless set); lowering it below
    /// what the cache holds empties it.
    public static var limit: Int {
        get { Int(ag_buffer_cache_limit()) }
        set {
            checkUsage(newValue >= 0, "BufferCache.limit must not be negative, got \(newValue)")
            ag_buffer_cache_set_limit(newValue)
        }
    }

    /// Frees every block the cache holds to the system; returns the bytes released.
    @discardableResult
    public static func empty() -> Int { Int(ag_buffer_cache_empty()) }
}
