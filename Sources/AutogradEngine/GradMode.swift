/// Whether operations record a graph for backward, per task and thread.
///
/// The state is task-local, so a `noGrad` scope holds across `await` inside it and does
/// not leak into other tasks or threads.
public enum GradMode {
    /// True unless inside ``noGrad(_:)`` (or a backward pass without `createGraph`).
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording operations on the graph, like `with torch.no_grad():`.
///
/// Results computed inside have no `gradFn` and do not require grad.
/// ```swift
/// noGrad { weight -= 0.1 * weight.grad! }
/// ```
@discardableResult
public func noGrad<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` with graph recording turned back on (inside a ``noGrad(_:)`` scope),
/// like `with torch.enable_grad():`.
@discardableResult
public func enableGrad<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradMode.$isEnabled.withValue(true, operation: body)
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
    try await GradMode.$isEnabled.withValue(false, operation: body)
}

/// ``enableGrad(_:)`` for asynchronous work: the scope holds across `await` inside `body`.
@discardableResult
public func enableGrad<Result>(_ body: () async throws -> Result) async rethrows -> Result {
    try await GradMode.$isEnabled.withValue(true, operation: body)
}
