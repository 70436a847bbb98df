import ArgumentParser
import Autograd
import Foundation

/// `autograd bench [NAME ...] [--threads N]`: the performance workloads, one
/// `NAME VALUE UNIT` line each, with the names, shapes and units of
/// `Scripts/bench/torch_ref.py`, so the two outputs compare line by line.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the performance workloads and print NAME VALUE UNIT lines (compare with Scripts/bench/torch_ref.py).",
        discussion: "Workloads: \(BenchWorkload.all.map(\.name).joined(separator: ", ")). Build with -c release.")

    @Argument(help: "Workloads to run (all when omitted).")
    var workloads: [String] = []

    @Option(help: "Threads the kernels may use, like torch.set_num_threads (default: the CPUs this process may run on).")
    var threads: Int?

    @Option(help: "Kernel path: portable, avx2 or avx512 (default: the fastest this CPU runs).")
    var kernel: String?

    func validate() throws {
        let known = BenchWorkload.all.map(\.name)
        for name in workloads where !known.contains(name) {
            throw ValidationError("unknown workload '\(name)'; choose from \(known.joined(separator: ", "))")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let kernel {
            guard let path = Kernels.Path(rawValue: kernel) else {
                throw ValidationError("unknown kernel path '\(kernel)'; choose from \(Kernels.Path.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard path.isAvailable else { throw ValidationError("this CPU cannot run the \(kernel) kernels") }
        }
    }

    func run() {
        if let threads { Kernels.threadCount = threads }
        if let kernel, let path = Kernels.Path(rawValue: kernel) { Kernels.path = path }
        let chosen = BenchWorkload.all.filter { workloads.isEmpty || workloads.contains($0.name) }
        // Under an MPI launcher (ddp_step), rank 0 alone prints.
        let printing = (LaunchEnvironment.detect(ProcessInfo.processInfo.environment)?.rank ?? 0) == 0
        for workload in chosen {
            let line: String
            if let (value, unit) = workload.run() {
                line = "\(workload.name) \(String(format: "%.4g", value)) \(unit)"
            } else {
                line = "\(workload.name) n/a unavailable"
            }
            if printing { print(line) }
            fflush(nil)
        }
    }
}
