/// Groups the operations recorded inside a block under a name, so graph drawings can show
/// them as one labelled cluster (layers use this for their own operations).
///
/// ```swift
/// let h = graphScope("encoder") { (x.matmul(w1) + b1).relu() }
/// ```
@discardableResult
public func graphScope<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
    try RecordingContext.with({ $0.scopeFrame = GraphScopeFrame(name: name, parent: $0.scopeFrame) }, body)
}
