import ArgumentParser
import Autograd
import CAutogradKernels
import Foundation

/// `autograd check-kernels [--threads N]`: checks every kernel path this CPU runs against a
/// double-precision reference, from a built binary and without the test suite (for a
/// machine with no Swift toolchain, such as an AVX-512 or many-core one the package was
/// not built on): matrix products in float32 and float64 with transposed and padded
/// operands, the float32 product whose right operand's rows sit at offsets (the implicit
/// convolution's), sums, the float32 elementwise ops and softmax rows, and the same products on N
/// threads, which must equal one thread's bit for bit, erf and the exact GELU, the
/// optimizers' in-place update, an LSTM step, and the Winograd convolution forward and
/// backward. Prints one line per path and check (the threaded one names
/// its thread count); exits 1 when any check fails.
struct CheckKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-kernels",
        abstract: "Check every kernel path this CPU runs (portable, avx2, avx512) against a double-precision reference.")

    @Option(help: "Threads for the threaded checks (default: the CPUs this process may run on).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let threadCount = threads ?? Kernels.threadCount
        var failures = 0
        for path in KernelCheckPath.all {
            for check in KernelCheck.allCases {
                path.activate()
                let worst = check.run(threads: threadCount)
                let passed = worst <= check.tolerance
                if !passed { failures += 1 }
                let threadsNote = check == .threads ? "\(threadCount) thread\(threadCount == 1 ? "" : "s"), " : ""
                print("\(path.name) \(check.rawValue) \(passed ? "ok" : "FAILED") (\(threadsNote)largest error \(String(format: "%.3g", worst)))")
            }
        }
        Kernels.resetPath()
        Kernels.threadCount = 0
        if failures > 0 { throw ExitCode(1) }
    }
}

/// A kernel path `check-kernels` runs: the public ones this CPU has, and the AVX-512 tiles
/// compiled for AVX2 (the build the test suite checks that path's blocking with).
enum KernelCheckPath {
    case path(Kernels.Path)
    case avx512OnAVX2

    static var all: [KernelCheckPath] {
        Kernels.availablePaths.map(KernelCheckPath.path)
            + (ag_kernel_path_available(AG_KERNEL_PATH_AVX512_ON_AVX2) ? [.avx512OnAVX2] : [])
    }

    var name: String {
        switch self {
        case .path(let path): return path.rawValue
        case .avx512OnAVX2: return "avx512-on-avx2"
        }
    }

    func activate() {
        switch self {
        case .path(let path): Kernels.path = path
        case .avx512OnAVX2: _ = ag_kernel_path_set(AG_KERNEL_PATH_AVX512_ON_AVX2)
        }
    }
}

/// One check of `check-kernels`; `run` returns the largest error (0 for exact checks).
enum KernelCheck: String, CaseIterable {
    case sgemm, sgemmOffsetRows = "sgemm-offset-rows", dgemm, sum, unary, binary, softmax, gelu
    case addScaled = "add-scaled", lstmStep = "lstm-step", winograd, threads

    /// The largest error that passes.
    var tolerance: Double {
        switch self {
        case .sgemm, .sgemmOffsetRows, .winograd: return 1e-4
        case .dgemm: return 1e-12
        case .sum: return 1e-9
        case .unary, .softmax, .gelu, .lstmStep: return 1   // in units of each result's bound
        case .binary, .addScaled, .threads: return 0
        }
    }

    /// Shapes around the register and cache blocks of every path: tiny, odd edges, two kc
    /// blocks deep (300 where kc is 256, 400 on every path), two mc blocks tall, two large
    /// enough to run on several threads, and every height of a last row tile below 12 (the
    /// AVX-512 paths' short-tile kernels, which also read an aligned row-major B in place).
    private static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 17, 13), (37, 29, 41), (12, 32, 300), (150, 33, 20), (13, 70, 9), (150, 131, 70), (20, 70, 400),
    ] + (2...11).map { (m: 24 + $0, n: 45, k: 37) }

    func run(threads: Int) -> Double {
        switch self {
        case .sgemm, .dgemm:
            Kernels.threadCount = threads
            var worst = 0.0
            for shape in Self.shapes {
                for transposeA in [false, true] {
                    for (transposeB, alignsB) in [(false, false), (false, true), (true, false)] {
                        let problem = GemmProblem(
                            shape: shape, transposeA: transposeA, transposeB: transposeB, alignsB: alignsB)
                        let result = self == .sgemm ? problem.float() : problem.double()
                        let scale = Double(shape.k).squareRoot()
                        for (x, y) in zip(result, problem.reference()) { worst = max(worst, abs(x - y) / scale) }
                    }
                }
            }
            return worst
        case .sgemmOffsetRows:
            Kernels.threadCount = threads
            return Self.shapes.map { OffsetRowsGemmProblem(shape: $0).largestError() }.max() ?? 0
        case .sum:
            var worst = 0.0
            for count in [0, 1, 17, 95, 1001, (1 << 17) + 12_345] {
                let x = GemmProblem.values(count, seed: UInt64(count)).map(Float.init)
                let expected = x.reduce(0.0) { $0 + Double($1) }
                Kernels.threadCount = threads
                worst = max(worst, abs(ag_sum(x, Int64(count)) - expected) / max(1, Double(count).squareRoot()))
            }
            return worst
        case .unary: return ElementwiseCheck.unary()
        case .binary: return ElementwiseCheck.binary()
        case .softmax:
            Kernels.threadCount = threads
            return ElementwiseCheck.softmax()
        case .gelu: return ElementwiseCheck.gelu()
        case .addScaled: return ElementwiseCheck.addScaled()
        case .lstmStep: return RecurrentStepCheck.largestError()
        case .winograd:
            Kernels.threadCount = threads
            return WinogradConvolutionCheck.largestError()
        case .threads:
            var worst = 0.0
            for shape in [(m: 256, n: 256, k: 300), (150, 400, 300), (700, 72, 300)] {
                let problem = GemmProblem(shape: shape, transposeA: false, transposeB: true)
                Kernels.threadCount = 1
                let single = problem.float()
                Kernels.threadCount = threads
                for (x, y) in zip(problem.float(), single) { worst = max(worst, abs(x - y)) }
            }
            return worst
        }
    }
}

/// C = op(A)·op(B) + C with leading dimensions padded by 3, through the strided GEMM entry
/// points, against the same product summed in double precision. With `alignsB`, a row-major
/// B starts a cache line and its rows are padded to whole lines, the layout in which the
/// AVX-512 paths read a short product's B in place instead of packing it.
struct GemmProblem {
    let shape: (m: Int, n: Int, k: Int)
    let transposeA: Bool, transposeB: Bool
    var alignsB = false

    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Double] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 40) / Double(1 << 23) - 1
        }
    }

    private var lda: Int { (transposeA ? shape.m : shape.k) + 3 }
    private var ldb: Int { alignsB ? (shape.n + 15) / 16 * 16 : (transposeB ? shape.k : shape.n) + 3 }
    private var ldc: Int { shape.n + 3 }
    private var a: [Double] { Self.values((transposeA ? shape.k : shape.m) * lda, seed: 1) }
    private var b: [Double] { Self.values((transposeB ? shape.n : shape.k) * ldb, seed: 2) }
    private var c: [Double] { Self.values(shape.m * ldc, seed: 3) }
    /// Element strides of op(A) and op(B).
    private var aStrides: (Int64, Int64) { transposeA ? (1, Int64(lda)) : (Int64(lda), 1) }
    private var bStrides: (Int64, Int64) { transposeB ? (1, Int64(ldb)) : (Int64(ldb), 1) }

    func float() -> [Double] {
        let a = self.a.map(Float.init)
        var c = self.c.map(Float.init)
        Self.withLineAlignedCopy(of: self.b.map(Float.init)) { b in
            ag_sgemm_strided(Int64(shape.m), Int64(shape.n), Int64(shape.k), a, aStrides.0, aStrides.1,
                             b, bStrides.0, bStrides.1, 1, &c, Int64(ldc))
        }
        return c.map(Double.init)
    }

    func double() -> [Double] {
        var c = self.c
        Self.withLineAlignedCopy(of: b) { b in
            ag_dgemm_strided(Int64(shape.m), Int64(shape.n), Int64(shape.k), a, aStrides.0, aStrides.1,
                             b, bStrides.0, bStrides.1, 1, &c, Int64(ldc))
        }
        return c
    }

    /// Calls `body` with a copy of `values` that starts a 64-byte cache line.
    private static func withLineAlignedCopy<Element>(of values: [Element], _ body: (UnsafePointer<Element>) -> Void) {
        let copy = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(values.count, 1) * MemoryLayout<Element>.stride,
                                                    alignment: 64)
        defer { copy.deallocate() }
        let typed = copy.bindMemory(to: Element.self, capacity: Swift.max(values.count, 1))
        values.withUnsafeBufferPointer { typed.initialize(from: $0.baseAddress!, count: values.count) }
        body(typed)
    }

    func reference() -> [Double] {
        let (a, b) = (self.a, self.b)
        var c = self.c
        for i in 0..<shape.m {
            for j in 0..<shape.n {
                var sum = 0.0
                for p in 0..<shape.k {
                    sum += a[i * Int(aStrides.0) + p * Int(aStrides.1)] * b[p * Int(bStrides.0) + j * Int(bStrides.1)]
                }
                c[i * ldc + j] += sum
            }
        }
        return c
    }
}
