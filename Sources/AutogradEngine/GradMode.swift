import CAutogradKernels

/// Whether operations record a graph for backward, per task and thread.
///
/// The state is task-local, so a `noGrad` scope holds across `await` inside it and does
/// not leak into other tasks or threads.
public enum GradMode {
    /// True unless inside ``noGrad(_:)`` (or a backward pass without `createGraph`).
    public static var isEnabled: Bool { RecordingContext.current.gradEnabled }
}

/// Everything an op reads to decide what to record, kept in one task-local value so each
/// op reads task-local state at most once.
///
/// Reading task-local state costs more than the rest of recording a small op, so the
/// contexts other than the default one are counted while alive (a task that inherited one
/// keeps it alive): while none is, every thread and task is outside every scope, and
/// ``current`` is the default context without a task-local read.
///
/// A context is never changed once it is installed: ``with(_:_:)`` changes a fresh copy
/// first, so contexts may be shared between threads.
final class RecordingContext: @unchecked Sendable {
    /// Whether ops record a graph (see ``GradMode``).
    var gradEnabled = true
    /// The observer of the innermost `tracingGraph` call, if inside one.
    var traceObserver: (any GraphTraceObserver)?
    /// Inside `tracingGraph`.
    var tracing: Bool { traceObserver != nil }
    /// Inside `detectAnomaly`.
    var detectsAnomalies = false
    /// The innermost enclosing `graphScope` call (its identity tells calls apart).
    var scopeFrame: GraphScopeFrame?
    /// False only for the default context, which is not counted.
    private let counted: Bool

    /// The default context: grad mode on, no tracing, anomaly detection or scope.
    private init() {
        counted = false
    }

    /// A counted copy of `other`, to be changed before it is installed.
    private init(copying other: RecordingContext) {
        gradEnabled = other.gradEnabled
        traceObserver = other.traceObserver
        detectsAnomalies = other.detectsAnomalies
        scopeFrame = other.scopeFrame
        counted = true
        ag_recording_context_made()
    }

    deinit {
        if counted { ag_recording_context_freed() }
    }

    /// The context outside every scope.
    private static let outsideEveryScope = RecordingContext()

    /// The context installed for the running task or thread.
    @TaskLocal private static var installed = outsideEveryScope

    /// Whether the running task or thread has the default context: grad mode on, no
    /// tracing, anomaly detection or scope (no other context exists anywhere).
    static var isDefault: Bool { ag_recording_contexts_alive() == 0 }

    /// The context of the running task or thread.
    static var current: RecordingContext {
        isDefault ? outsideEveryScope : installed
    }

    /// Runs `body` with a copy of the current context changed by `change`.
    static func with<Result>(
        _ change: (RecordingContext) -> Void, _ body: () throws -> Result
    ) rethrows -> Result {
        let context = RecordingContext(copying: current)
        change(context)
        return try $installed.withValue(context, operation: body)
    }

    /// Runs asynchronous `body` with a copy of the current context changed by `change`.
    static func with<Result>(
        _ change: (RecordingContext) -> Void, _ body: () async throws -> Result
    ) async rethrows -> Result {
        let context = RecordingContext(copying: current)
        change(context)
        return try await $installed.withValue(context, operation: body)
    }
}

/// Runs `body` without recording operations on the graph, like `with torch.no_grad():`.
///
/// Results computed inside have no `gradFn` and do not require grad.
/// ```swift
/// noGrad { weight -= 0.1 * weight.grad! }
/// ```
@discardableResult
public func noGrad<Result>(_ body: () throws -> Result) rethrows -> Result {
    try RecordingContext.with({ $0.gradEnabled = false }, body)
}

/// Runs `body` with graph recording turned back on (inside a ``noGrad(_:)`` scope),
/// like `with torch.enable_grad():`.
@discardableResult
public func enableGrad<Result>(_ body: () throws -> Result) rethrows -> Result {
    try RecordingContext.with({ $0.gradEnabled = true }, body)
}

/// Runs `body` for inference only, like `with torch.inference_mode():`: nothing is
/// recorded, as in ``noGrad(_:)``.
@discardableResult
public func inferenceMode<Result>(_ body: () throws -> Result) rethrows -> Result {
    try noGrad(body)
}

/// ``noGrad(_:)`` for asynchronous work: the scope holds across `await` inside `body`.
@discardableResult
public func noGrad<Result>(_ body: () async throws -> Result) async rethrows -> Result {
    try await RecordingContext.with({ $0.gradEnabled = false }, body)
}

/// ``enableGrad(_:)`` for asynchronous work: the scope holds across `await` inside `body`.
@discardableResult
public func enableGrad<Result>(_ body: () async throws -> Result) async rethrows -> Result {
    try await RecordingContext.with({ $0.gradEnabled = true }, body)
}
