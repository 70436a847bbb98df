#if os(Linux)
import Runtime
#endif

/// Runs `body` with anomaly detection, like `torch.autograd.detect_anomaly()`: each op
/// recorded inside remembers where it was called, and a backward pass run inside stops at
/// the first gradient holding NaN or infinity, naming the op and that place in the
/// source.
///
/// Outside this scope nothing is captured, so it costs nothing.
/// ```swift
/// try detectAnomaly {
///     let y = (x - x).sqrt()          // the gradient of sqrt at 0 is infinite
///     try y.sum().backwardChecked()   // throws: "... returned nan values ... SqrtBackward0 ... created at Model.swift:12"
/// }
/// ```
@discardableResult
public func detectAnomaly<Result>(_ body: () throws -> Result) rethrows -> Result {
    try RecordingContext.with({ $0.detectsAnomalies = true }, body)
}

/// Task-local anomaly-detection state and its checks.
enum AnomalyMode {
    /// True inside ``detectAnomaly(_:)``.
    static var isEnabled: Bool { RecordingContext.current.detectsAnomalies }

    /// Throws if any gradient a node produced holds NaN or infinity.
    static func check(_ gradients: [Tensor?], of node: Node) throws(AutogradError) {
        for (index, gradient) in gradients.enumerated() {
            guard let gradient, let bad = gradient.scalars.first(where: { !$0.isFinite }) else { continue }
            throw .anomalousGradient(node: node.name, index: index, isNaN: bad.isNaN, creationSite: node.creationSite)
        }
    }

    /// The first place in the caller's code (outside this library) on the current stack,
    /// as `file:line`, or nil where the platform gives no symbolicated backtrace.
    static func callSite() -> String? {
        #if os(Linux)
        guard let frames = try? Backtrace.capture().symbolicated()?.frames else { return nil }
        let ownDirectories = ["/Sources/AutogradEngine/", "/Sources/AutogradCore/"]
        for frame in frames {
            guard let location = frame.symbol?.sourceLocation, !location.path.isEmpty else { continue }
            if ownDirectories.contains(where: { location.path.contains($0) }) { continue }
            return "\(location.path.split(separator: "/").last.map(String.init) ?? location.path):\(location.line)"
        }
        return nil
        #else
        return nil
        #endif
    }
}
