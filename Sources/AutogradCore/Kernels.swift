import CAutogradKernels

/// The CPU kernels' settings: how many threads they use and which instruction-set path
/// runs (like `torch.set_num_threads` and `ATEN_CPU_CAPABILITY`).
///
/// ```swift
/// Kernels.threadCount = 1          // torch.set_num_threads(1)
/// print(Kernels.path)              // avx2 on a Zen 3 CPU, avx512 on a Skylake-SP Xeon
/// Kernels.path = .portable         // force the plain-C kernels
/// ```
/// The environment variables `AUTOGRAD_NUM_THREADS` and `AUTOGRAD_KERNEL`
/// (`portable`, `avx2`, `avx512`) set the starting values.
public enum Kernels {
    /// An instruction-set path of the kernels.
    public enum Path: String, CaseIterable, Sendable {
        /// Plain C compiled for the baseline architecture (SSE2 on x86-64, NEON on arm64).
        case portable
        /// AVX2 + FMA micro-kernels (x86-64 CPUs from Intel Haswell and AMD Zen on).
        case avx2
        /// AVX-512 micro-kernels for matrix products (float32 and float64), sums, float32
        /// elementwise ops, softmax rows and im2col/col2im, AVX2 + FMA for the rest (Intel
        /// Xeons from Skylake-SP on, AMD Zen 4 and later).
        case avx512

        var code: Int32 {
            switch self {
            case .portable: return AG_KERNEL_PATH_PORTABLE
            case .avx2: return AG_KERNEL_PATH_AVX2
            case .avx512: return AG_KERNEL_PATH_AVX512
            }
        }

        /// The path that kernel path code `code` runs as. The AVX-512 check path (the
        /// AVX-512 tiles with kernels compiled for AVX2, a testing aid) runs AVX2 code.
        init(code: Int32) {
            switch code {
            case AG_KERNEL_PATH_AVX512: self = .avx512
            case AG_KERNEL_PATH_PORTABLE: self = .portable
            default: self = .avx2
            }
        }

        /// Whether this CPU can run the path.
        public var isAvailable: Bool { ag_kernel_path_available(code) }
    }

    /// The paths this CPU can run, the portable one first.
    public static var availablePaths: [Path] { Path.allCases.filter(\.isAvailable) }

    /// The path in use: the fastest the CPU supports unless set otherwise. Setting a path
    /// the CPU cannot run stops with a message; check ``Path/isAvailable`` first.
    public static var path: Path {
        get { Path(code: ag_kernel_path_get()) }
        set {
            checkUsage(ag_kernel_path_set(newValue.code), "Kernels.path: this CPU cannot run the \(newValue) kernels")
        }
    }

    /// Restores the automatic choice of ``path``.
    public static func resetPath() { _ = ag_kernel_path_set(-1) }

    /// The number of threads the kernels may use (`torch.get_num_threads()`); by default
    /// the CPUs the process may run on. Values below 1 restore the default. Small ops
    /// stay on the calling thread whatever the setting.
    public static var threadCount: Int {
        get { Int(ag_get_num_threads()) }
        set { ag_set_num_threads(Int32(clamping: newValue)) }
    }
}

/// Runs `body(i)` for every `i` in `0..<count` on the kernel threads (the caller is one
/// of them) and returns when all have finished. Iterations must be independent.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 0 { return }
    if count == 1 || Kernels.threadCount == 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        var task = body
        withUnsafeMutablePointer(to: &task) { context in
            ag_parallel_for(Int64(count), { context, index, _ in
                context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
            }, context)
        }
    }
}
