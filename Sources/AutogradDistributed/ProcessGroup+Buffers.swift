import AutogradCore
import CAutogradMPI
import Foundation

/// The collectives over raw memory: a buffer, an element count and a
/// ``CollectiveElementKind``. The tensor and array collectives are written on these, so a
/// new element type needs only its kind.
extension ProcessGroup {
    /// The most elements one MPI call moves (MPI counts are `int`); longer buffers go in pieces.
    static let maximumCountPerCall = Int(Int32.max)

    /// Combines `count` elements of `kind` at `buffer` across every process with `op`,
    /// leaving the result in `buffer` on each (MPI_Allreduce in place).
    public func allReduce(_ buffer: UnsafeMutableRawPointer, count: Int, kind: CollectiveElementKind, op: ReduceOp = .sum) {
        wait(startAllReduce(buffer, count: count, kind: kind, op: op))
    }

    /// Copies `count` elements of `kind` at `buffer` on process `root` into `buffer` on
    /// every other process (MPI_Bcast).
    public func broadcast(_ buffer: UnsafeMutableRawPointer, count: Int, kind: CollectiveElementKind, from root: Int = 0) {
        checkUsage(count >= 0, "broadcast: the element count must not be negative, got \(count)")
        checkUsage((0..<worldSize).contains(root), "broadcast: the root rank \(root) is not in 0..<\(worldSize)")
        guard let runtime else { return }
        let pieces = Self.pieces(count)
        var requests = [ag_mpi_request](repeating: ag_mpi_request(), count: pieces.count)
        for (index, piece) in pieces.enumerated() {
            runtime.check(ag_mpi_ibcast(buffer + piece.lowerBound * kind.byteCount, Int32(piece.count), kind.rawValue, Int32(root), &requests[index]), "MPI_Ibcast")
        }
        wait(PendingCollective(requests: requests, description: "broadcast from rank \(root) of \(count) \(kind) elements"))
    }

    /// Gathers `count` elements of `kind` from every process into `output`, which holds
    /// `count * worldSize` elements afterwards: rank 0's first, then rank 1's, ...
    /// (MPI_Allgather). `output` must not overlap `input`.
    public func allGather(_ input: UnsafeRawPointer, into output: UnsafeMutableRawPointer, count: Int, kind: CollectiveElementKind) {
        checkUsage((0...Self.maximumCountPerCall).contains(count), "allGather: the element count per process must be from 0 to \(Self.maximumCountPerCall), got \(count)")
        guard let runtime else {
            output.copyMemory(from: input, byteCount: count * kind.byteCount)
            return
        }
        var request = ag_mpi_request()
        runtime.check(ag_mpi_iallgather(input, output, Int32(count), kind.rawValue, &request), "MPI_Iallgather")
        wait(PendingCollective(requests: [request], description: "allGather of \(count) \(kind) elements per process"))
    }

    /// Combines the `count * worldSize` elements of `kind` at `input` across processes
    /// with `op` and leaves block `rank` of the result (`count` elements) in `output`
    /// (MPI_Reduce_scatter_block). `output` must not overlap `input`.
    public func reduceScatter(_ input: UnsafeRawPointer, into output: UnsafeMutableRawPointer, count: Int, kind: CollectiveElementKind, op: ReduceOp = .sum) {
        checkUsage((0...Self.maximumCountPerCall).contains(count), "reduceScatter: the element count per process must be from 0 to \(Self.maximumCountPerCall), got \(count)")
        Self.checkKind(kind, for: op, in: "reduceScatter")
        guard let runtime else {
            output.copyMemory(from: input, byteCount: count * kind.byteCount)
            return
        }
        var request = ag_mpi_request()
        runtime.check(ag_mpi_ireduce_scatter_block(input, output, Int32(count), kind.rawValue, Int32(op.mpiOperation(for: kind).rawValue), &request),
                      "MPI_Ireduce_scatter_block")
        let pending = PendingCollective(requests: [request], description: "reduceScatter (\(op)) of \(count) \(kind) elements per process") {
            if op == .mean { Self.divide(output, count: count, kind: kind, by: self.worldSize) }
        }
        wait(pending)
    }

    /// Waits until every process has reached this call (MPI_Barrier).
    public func barrier() {
        guard let runtime else { return }
        var request = ag_mpi_request()
        runtime.check(ag_mpi_ibarrier(&request), "MPI_Ibarrier")
        wait(PendingCollective(requests: [request], description: "barrier"))
    }

    /// Starts an in-place all-reduce of `buffer` without waiting for it (MPI_Iallreduce);
    /// `buffer` must stay alive and untouched until the returned collective completes.
    func startAllReduce(_ buffer: UnsafeMutableRawPointer, count: Int, kind: CollectiveElementKind, op: ReduceOp, label: String? = nil) -> PendingCollective {
        checkUsage(count >= 0, "allReduce: the element count must not be negative, got \(count)")
        Self.checkKind(kind, for: op, in: "allReduce")
        let description = "allReduce (\(op)) of \(count) \(kind) elements" + (label.map { ", \($0)" } ?? "")
        guard let runtime else { return PendingCollective(requests: [], description: description) }
        let pieces = Self.pieces(count)
        var requests = [ag_mpi_request](repeating: ag_mpi_request(), count: pieces.count)
        let operation = Int32(op.mpiOperation(for: kind).rawValue)
        for (index, piece) in pieces.enumerated() {
            runtime.check(ag_mpi_iallreduce(nil, buffer + piece.lowerBound * kind.byteCount, Int32(piece.count), kind.rawValue, operation, &requests[index]),
                          "MPI_Iallreduce")
        }
        let worldSize = self.worldSize
        return PendingCollective(requests: requests, description: description) {
            if op == .mean { Self.divide(buffer, count: count, kind: kind, by: worldSize) }
        }
    }

    /// `0..<count` cut into ranges MPI can take in one call.
    static func pieces(_ count: Int) -> [Range<Int>] {
        if count <= maximumCountPerCall { return [0..<count] }
        return stride(from: 0, to: count, by: maximumCountPerCall).map { $0..<Swift.min($0 + maximumCountPerCall, count) }
    }

    /// Stops with a clear message when `op` cannot reduce `kind` (a mean of integers).
    static func checkKind(_ kind: CollectiveElementKind, for op: ReduceOp, in name: String) {
        checkUsage(op != .mean || kind.isFloatingPoint, "\(name): the mean needs floating-point elements, got \(kind); use sum and divide")
    }

    /// Divides `count` floating-point elements at `buffer` by `divisor`.
    static func divide(_ buffer: UnsafeMutableRawPointer, count: Int, kind: CollectiveElementKind, by divisor: Int) {
        guard divisor != 1 else { return }
        switch kind {
        case .float32:
            let values = buffer.assumingMemoryBound(to: Float.self), d = Float(divisor)
            for i in 0..<count { values[i] /= d }
        case .float64:
            let values = buffer.assumingMemoryBound(to: Double.self), d = Double(divisor)
            for i in 0..<count { values[i] /= d }
        default:
            break
        }
    }
}
