/// Whether operations record a graph for backward, per task and thread.
///
/// The state is task-local, so a `noGrad` scope holds across `await` inside it and does
/// not leak into other tasks or threads.
public enum GradMode {
    /// True unless inside ``noGrad(_:)`` (or a backward pass without `createGraph`).
    public static var isEnabled: Bool { RecordingContext.current.gradEnabled }
}

/// Everything an op reads to decide what to record, kept in one task-local value so each
/// op reads task-local state once.
struct RecordingContext: Sendable {
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

    /// The context of the running task or thread.
    @TaskLocal static var current = RecordingContext()

    /// Runs `body` with the current context changed by `change`.
    static func with<Result>(
        _ change: (inout RecordingContext) -> Void, _ body: () throws -> Result
    ) rethrows -> Result {
        var context = current
        change(&context)
        return try $current.withValue(context, operation: body)
    }

    /// Runs asynchronous `body` with the current context changed by `change`.
    static func with<Result>(
        _ change: (inout RecordingContext) -> Void, _ body: () async throws -> Result
    ) async rethrows -> Result {
        var context = current
        change(&context)
        return try await $current.withValue(context, operation: body)
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
