import CAutogradKernels
@testable import AutogradCore

/// A kernel path the kernel tests run: one of ``Kernels/Path`` the CPU has, or the
/// AVX-512 path's tile shapes and blocking with its micro-kernels compiled for AVX2 (C's
/// `AG_KERNEL_PATH_AVX512_ON_AVX2`). The latter checks everything about the AVX-512 path but
/// the instruction set on CPUs without AVX-512; where the CPU has AVX-512, `.path(.avx512)`
/// runs the real one too.
enum TestedKernelPath: Equatable, CustomStringConvertible {
    /// A path of ``Kernels/Path``.
    case path(Kernels.Path)
    /// The AVX-512 tiles and blocking on AVX2 instructions.
    case avx512OnAVX2

    /// Every path this CPU can run, the portable one first.
    static var all: [TestedKernelPath] {
        Kernels.availablePaths.map(TestedKernelPath.path)
            + (ag_kernel_path_available(AG_KERNEL_PATH_AVX512_ON_AVX2) ? [.avx512OnAVX2] : [])
    }

    /// The portable path.
    static let portable = TestedKernelPath.path(.portable)

    /// Makes this the path the kernels run (until `Kernels.resetPath()`).
    func activate() {
        switch self {
        case .path(let path): Kernels.path = path
        case .avx512OnAVX2: precondition(ag_kernel_path_set(AG_KERNEL_PATH_AVX512_ON_AVX2))
        }
    }

    var description: String {
        switch self {
        case .path(let path): return path.rawValue
        case .avx512OnAVX2: return "avx512-on-avx2"
        }
    }
}
