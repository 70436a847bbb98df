import AutogradCore
import AutogradEngine
import AutogradNN

/// The gradient all-reduce behind ``DistributedDataParallel``: a hook on every parameter
/// copies each gradient backward delivers into its bucket's flat buffer; a bucket whose
/// parameters have all received their gradients starts its all-reduce at once (buckets
/// start in plan order, the same on every process), overlapping the rest of backward; when
/// the last bucket has started, the reducer waits for all of them and writes the averaged
/// gradients into the parameters' `grad`.
///
/// The hooks leave the gradient to the engine, which accumulates it into `grad` as usual;
/// the averages then overwrite `grad` in place. The parameter whose gradient completed the
/// last bucket is the exception: the engine accumulates it after the hook returns, so
/// its hook clears its `grad` and hands the engine the average instead.
///
/// The hooks copy the gradient when they see it: a hook registered on a parameter after
/// the wrapping runs later and changes only the local gradient (register such hooks first).
final class GradientReducer {
    /// The processes the gradients are averaged over.
    let group: ProcessGroup
    /// The parameters that require grad, in the module's order.
    let parameters: [Parameter]
    /// Their names, for messages.
    let names: [String]
    /// The buckets.
    let plan: GradientBucketPlan
    /// Each parameter's bucket and slot.
    private let locations: [(bucket: Int, slot: Int)]
    /// Each parameter's index, by identity.
    private let indexByParameter: [ObjectIdentifier: Int]
    /// Per bucket, the gradients (`count` elements) followed by one flag per parameter
    /// (1 when this process has a gradient for it, summed over processes by the all-reduce).
    private let buffers: [UnsafeMutablePointer<Float>]
    /// The removers of the hooks.
    private var hookHandles: [HookHandle] = []

    /// Gradient deliveries per parameter counted from the graphs of the forward passes
    /// since the last synchronisation; nil when none ran with synchronisation on.
    private var expectedDeliveries: [Int]?
    /// The synchronisation in progress, from the first gradient of a backward pass to the
    /// writing of the averages.
    private var pass: Pass?

    /// What one synchronisation has seen so far.
    private struct Pass {
        /// Deliveries still to come per parameter.
        var remaining: [Int]
        /// Whether the parameter's slot holds this step's gradient yet.
        var filled: [Bool]
        /// Whether backward has delivered a gradient to the parameter.
        var received: [Bool]
        /// Parameters of each bucket whose deliveries are all in.
        var ready: [Int]
        /// The next bucket to start.
        var nextBucket = 0
        /// The all-reduces started, in bucket order.
        var started: [PendingCollective] = []
    }

    /// A reducer over `module`'s parameters that require grad.
    init(module: Module, group: ProcessGroup, bucketBytes: Int, firstBucketBytes: Int) {
        let named = module.namedParameters().filter { $0.parameter.requiresGrad }
        self.group = group
        parameters = named.map(\.parameter)
        names = named.map(\.name)
        let kinds = parameters.map { CollectiveElementKind($0.dtype) }
        // The buckets hold Float gradients; each floating-point dtype the core adds needs
        // its own buffer type here.
        for (name, kind) in zip(names, kinds) {
            checkUsage(kind == .float32, "DistributedDataParallel: parameter \(name) holds \(kind.map(\.description) ?? "float16 or bfloat16"); only float32 gradients are averaged so far")
        }
        plan = GradientBucketPlan(counts: parameters.map(\.count), kinds: kinds.map { $0 ?? .float32 }, bucketBytes: bucketBytes, firstBucketBytes: firstBucketBytes)
        locations = plan.locations.map { $0 ?? (0, 0) }
        indexByParameter = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { (ObjectIdentifier($1), $0) })
        buffers = plan.buckets.map { bucket in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: bucket.count + bucket.parameters.count)
            buffer.initialize(repeating: 0, count: bucket.count + bucket.parameters.count)
            return buffer
        }
        for index in parameters.indices {
            hookHandles.append(parameters[index].registerHook { [weak self] gradient in
                self?.gradientArrived(gradient, parameter: index)
            })
        }
    }

    deinit {
        for handle in hookHandles { handle.remove() }
        for buffer in buffers { buffer.deallocate() }
    }

    // MARK: - Forward

    /// Marks the parameters backward will deliver a gradient to from `output` and expects
    /// them at the next backward: one delivery each, however many edges reach it, since
    /// the engine sums a leaf's gradients within a pass before its hooks run. Several
    /// forward passes before one backward add to the set.
    func expectBackward(from output: Tensor) {
        if pass != nil { finish() }
        var counts = expectedDeliveries ?? Array(repeating: 0, count: parameters.count)
        if let root = output.gradFn {
            var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
            var stack = [root]
            while let node = stack.popLast() {
                for edge in node.nextEdges {
                    switch edge {
                    case .node(let next):
                        if seen.insert(ObjectIdentifier(next)).inserted { stack.append(next) }
                    case .leaf(let leaf):
                        if let index = indexByParameter[ObjectIdentifier(leaf)] { counts[index] = 1 }
                    case .constant:
                        break
                    }
                }
            }
        } else if let index = indexByParameter[ObjectIdentifier(output)] {
            counts[index] = 1
        }
        expectedDeliveries = counts
    }

    // MARK: - Backward

    /// The hook: files `gradient` in parameter `index`'s slot, starts the buckets that are
    /// complete, and finishes the synchronisation after the last. Returns nil (the engine
    /// accumulates the gradient), or, when this gradient completed the synchronisation,
    /// the parameter's average for the engine to store.
    private func gradientArrived(_ gradient: Tensor, parameter index: Int) -> Tensor? {
        if pass == nil {
            guard expectedDeliveries != nil else { return nil }
            begin()
        }
        guard var current = pass else { return nil }
        pass = nil
        checkUsage(current.remaining[index] > 0,
                   "DistributedDataParallel: parameter \(names[index]) received more gradients in one backward pass than its forward pass produced; "
                   + "call the wrapped model once per backward, or finishGradientSynchronization() between backward passes")
        let (bucket, slot) = locations[index]
        let slice = buffers[bucket] + plan.buckets[bucket].offsets[slot]
        if current.filled[index] {
            Self.add(gradient.array, to: slice)
        } else {
            fill(slice, parameter: index, adding: gradient.array)
            current.filled[index] = true
        }
        current.received[index] = true
        current.remaining[index] -= 1
        if current.remaining[index] == 0 { current.ready[bucket] += 1 }
        startReadyBuckets(&current)
        if let oldest = current.started.first(where: { !$0.isComplete }) { group.test(oldest) }
        pass = current
        guard current.nextBucket == plan.buckets.count else { return nil }
        return finish(handingBack: index)
    }

    /// Starts a synchronisation expecting the deliveries counted at forward.
    private func begin() {
        let expected = expectedDeliveries ?? Array(repeating: 0, count: parameters.count)
        expectedDeliveries = nil
        var ready = Array(repeating: 0, count: plan.buckets.count)
        for (index, count) in expected.enumerated() where count == 0 { ready[locations[index].bucket] += 1 }
        let none = Array(repeating: false, count: parameters.count)
        pass = Pass(remaining: expected, filled: none, received: none, ready: ready)
    }

    /// Starts, in plan order, every bucket whose parameters are all ready.
    private func startReadyBuckets(_ current: inout Pass) {
        while current.nextBucket < plan.buckets.count,
              current.ready[current.nextBucket] == plan.buckets[current.nextBucket].parameters.count {
            start(bucket: current.nextBucket, &current)
        }
    }

    /// Fills the slots no gradient reached from the parameters' `grad` (zeros when nil),
    /// sets the flags, and starts the bucket's all-reduce.
    private func start(bucket index: Int, _ current: inout Pass) {
        let bucket = plan.buckets[index]
        let buffer = buffers[index]
        for (slot, parameter) in bucket.parameters.enumerated() {
            if !current.filled[parameter] {
                fill(buffer + bucket.offsets[slot], parameter: parameter, adding: nil)
                current.filled[parameter] = true
            }
            buffer[bucket.count + slot] = current.received[parameter] || parameters[parameter].grad != nil ? 1 : 0
        }
        current.started.append(group.startAllReduce(
            UnsafeMutableRawPointer(buffer), count: bucket.count + bucket.parameters.count, kind: bucket.kind, op: .sum,
            label: "gradient bucket \(index + 1) of \(plan.buckets.count)"))
        current.nextBucket += 1
    }

    /// Writes `parameter`'s current `grad` (or zeros) plus `gradient` into `slice`.
    private func fill(_ slice: UnsafeMutablePointer<Float>, parameter index: Int, adding gradient: NDArray?) {
        let count = parameters[index].count
        if let existing = parameters[index].grad {
            Self.copy(existing.array, to: slice)
            if let gradient { Self.add(gradient, to: slice) }
        } else if let gradient {
            Self.copy(gradient, to: slice)
        } else {
            slice.update(repeating: 0, count: count)
        }
    }

    // MARK: - Finishing

    /// Starts every bucket not started yet, waits for all, and writes the averages into
    /// `grad` (in place when `grad` is a plain contiguous tensor) of every parameter some
    /// process has a gradient for. Does nothing when no synchronisation is in progress.
    /// - Parameter pending: A parameter whose gradient the engine has yet to accumulate:
    ///   its `grad` is cleared and its average returned for the engine to store.
    @discardableResult
    func finish(handingBack pending: Int? = nil) -> Tensor? {
        guard var current = pass else { return nil }
        pass = nil
        while current.nextBucket < plan.buckets.count { start(bucket: current.nextBucket, &current) }
        for pending in current.started { group.wait(pending) }
        let divisor = Float(group.worldSize)
        var handedBack: Tensor?
        for (b, bucket) in plan.buckets.enumerated() {
            let buffer = buffers[b]
            for (slot, index) in bucket.parameters.enumerated() where buffer[bucket.count + slot] > 0 {
                let parameter = parameters[index]
                let source = buffer + bucket.offsets[slot]
                if index != pending, let grad = parameter.grad, !grad.requiresGrad, grad.shape == parameter.shape, grad.array.layout.isContiguous {
                    let destination = grad.array.pointer
                    for i in 0..<parameter.count { destination[i] = source[i] / divisor }
                    grad.array.storage.version += 1
                    continue
                }
                let average = NDArray(uninitialized: parameter.shape)
                for i in 0..<parameter.count { average.pointer[i] = source[i] / divisor }
                if index == pending {
                    parameter.grad = nil
                    handedBack = Tensor(average)
                } else {
                    parameter.grad = Tensor(average)
                }
            }
        }
        return handedBack
    }

    /// Whether a backward pass has been prepared for, or is being synchronised.
    var isExpectingBackward: Bool { expectedDeliveries != nil || pass != nil }

    /// Forgets the deliveries counted so far: the next backward accumulates locally (a
    /// forward pass inside `noSync`).
    func expectNoSynchronization() {
        if pass != nil { finish() }
        expectedDeliveries = nil
    }

    /// Synchronises now without a backward pass: this process contributes its current
    /// gradients (zeros where nil) to the all-reduce the other processes' backward passes start.
    func join() {
        if pass == nil {
            expectedDeliveries = nil
            begin()
        }
        finish()
    }

    // MARK: - Copies

    /// Copies `array`'s elements (any layout) into `destination`, row-major.
    private static func copy(_ array: NDArray, to destination: UnsafeMutablePointer<Float>) {
        if array.layout.isContiguous {
            destination.update(from: array.pointer, count: array.count)
        } else {
            let contiguous = array.contiguous()
            destination.update(from: contiguous.pointer, count: contiguous.count)
        }
    }

    /// Adds `array`'s elements (any layout) to `destination`, row-major.
    private static func add(_ array: NDArray, to destination: UnsafeMutablePointer<Float>) {
        let contiguous = array.contiguous()
        let source = contiguous.pointer
        for i in 0..<contiguous.count { destination[i] += source[i] }
    }
}
