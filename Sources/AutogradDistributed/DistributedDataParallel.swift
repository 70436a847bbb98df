import AutogradCore
import AutogradEngine
import AutogradNN

/// Data-parallel training over a ``ProcessGroup``, like PyTorch's
/// `DistributedDataParallel`: every process holds a replica of the model, runs forward and
/// backward on its share of the batch, and ends backward holding the gradients averaged
/// over all processes, so each optimizer step is the same everywhere.
///
/// ```swift
/// let group = try ProcessGroup.fromEnvironment()
/// let model = DistributedDataParallel(makeModel(), group: group)
/// let optimizer = Adam(parameters: model.parameters(), learningRate: 3e-3)
/// for (images, labels) in loader {                   // this process's share of each batch
///     optimizer.zeroGrad()
///     crossEntropy(model(images), labels).backward()  // gradients averaged during backward
///     optimizer.step()
/// }
/// ```
///
/// - At creation, every process takes rank 0's parameters and buffers.
/// - Gradients are grouped into buckets of about 25 MiB in reverse parameter order (see
///   ``GradientBucketPlan``); each bucket's all-reduce starts as soon as backward has
///   produced all its gradients, while backward goes on with earlier layers. When the last
///   gradient arrives, backward waits for the all-reduces and writes the averages into
///   `grad`. ``finishGradientSynchronization()`` completes a synchronisation that backward
///   could not (a parameter whose gradient never came); call it before the optimizer step
///   when unsure: it does nothing when backward has finished.
/// - Forward and backward inside ``noSync(_:)`` accumulate gradients locally (gradient
///   accumulation); the first backward after it averages the accumulated sum.
/// - In training mode, each forward pass first gives every process rank 0's buffers (batch
///   norm's running statistics), as PyTorch's `broadcast_buffers=True` does.
///
/// Call the model exactly once per backward pass (or several times before one backward),
/// on one thread. The parameters are named `module.<name>`, as in PyTorch; save
/// ``module`` to get the plain model's names.
public final class DistributedDataParallel: Module {
    /// The model being trained.
    public let module: Module
    /// The processes it is trained across.
    public let group: ProcessGroup
    /// Whether each forward pass in training mode gives every process rank 0's buffers.
    public let broadcastsBuffers: Bool
    /// The gradient synchronisation.
    private let reducer: GradientReducer
    /// Whether forward passes prepare the averaging of the gradients (false inside `noSync`).
    public private(set) var synchronizesGradients = true

    /// Wraps `module` for training across `group`, giving every process rank 0's
    /// parameters and buffers.
    /// - Parameters:
    ///   - bucketBytes: The byte limit of a gradient bucket (PyTorch's `bucket_cap_mb`, 25 MiB).
    ///   - firstBucketBytes: The limit of the first bucket, small so communication starts
    ///     early (PyTorch's 1 MiB).
    ///   - broadcastBuffers: Whether each training forward pass first gives every process
    ///     rank 0's buffers.
    public init(_ module: Module, group: ProcessGroup,
                bucketBytes: Int = GradientBucketPlan.defaultBucketBytes,
                firstBucketBytes: Int = GradientBucketPlan.defaultFirstBucketBytes,
                broadcastBuffers: Bool = true) {
        self.module = module
        self.group = group
        self.broadcastsBuffers = broadcastBuffers
        reducer = GradientReducer(module: module, group: group, bucketBytes: bucketBytes, firstBucketBytes: firstBucketBytes)
        super.init()
        train(module.isTraining)
        group.broadcastCoalesced(module.parameters() + module.namedBuffers().map(\.buffer.value), from: 0, bucketBytes: bucketBytes)
    }

    /// The gradient buckets, in the order they are all-reduced.
    public var bucketPlan: GradientBucketPlan { reducer.plan }

    /// The names of the parameters in the buckets (those that require grad), in the
    /// wrapped module's order: the indices of ``bucketPlan`` refer to this list.
    public var bucketedParameterNames: [String] { reducer.names }

    /// Runs the wrapped module; when gradients are enabled and the output requires grad,
    /// prepares the averaging of the gradients the next backward pass produces.
    public override func forward(_ input: Tensor) -> Tensor {
        if broadcastsBuffers && isTraining && GradMode.isEnabled && group.worldSize > 1 {
            group.broadcastCoalesced(module.namedBuffers().map(\.buffer.value), from: 0)
        }
        let output = module(input)
        if GradMode.isEnabled && output.requiresGrad {
            if synchronizesGradients {
                reducer.expectBackward(from: output)
            } else {
                reducer.expectNoSynchronization()
            }
        }
        return output
    }

    /// Runs `body` with gradient averaging off: forward and backward passes in it
    /// accumulate gradients in this process only, like PyTorch's `no_sync()`. The first
    /// backward after it averages everything accumulated.
    /// ```swift
    /// for (step, (x, y)) in loader.enumerated() {
    ///     if step % 4 != 3 {
    ///         model.noSync { crossEntropy(model(x), y).backward() }
    ///     } else {
    ///         crossEntropy(model(x), y).backward()          // averages 4 steps' gradients
    ///         optimizer.step(); optimizer.zeroGrad()
    ///     }
    /// }
    /// ```
    public func noSync<Result>(_ body: () throws -> Result) rethrows -> Result {
        let previous = synchronizesGradients
        synchronizesGradients = false
        defer { synchronizesGradients = previous }
        return try body()
    }

    /// Completes the averaging of this step's gradients: starts the buckets whose
    /// gradients did not all arrive (a parameter that got none contributes its current
    /// `grad`, or zeros), waits for every all-reduce and writes the averages. Does nothing
    /// when backward has already finished it, or no synchronised forward pass ran.
    public func finishGradientSynchronization() {
        reducer.finish()
    }

    /// Takes part in this step's averaging without running forward and backward, for a
    /// process that has no examples in a step: it contributes its current gradients (zeros
    /// where nil) and receives the average like the others (PyTorch's `Join` for uneven
    /// inputs). Every other process runs its backward pass as usual.
    public func joinGradientSynchronization() {
        // Stand in for the buffer broadcast the other processes' forward passes make.
        if broadcastsBuffers && isTraining && GradMode.isEnabled && group.worldSize > 1 {
            group.broadcastCoalesced(module.namedBuffers().map(\.buffer.value), from: 0)
        }
        reducer.join()
    }
}
