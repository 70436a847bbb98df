/// One call of `graphScope` (or of a layer's forward pass): its name and the call it is
/// nested in. Nodes keep the innermost frame, so drawings can tell two calls of a scope
/// with the same name (two `Linear` layers in a row) apart by the frame's identity.
public final class GraphScopeFrame: Sendable {
    /// The scope's name.
    public let name: String
    /// The enclosing call, if any.
    public let parent: GraphScopeFrame?

    /// A frame for a call of `name` inside `parent`.
    init(name: String, parent: GraphScopeFrame?) {
        self.name = name
        self.parent = parent
    }

    /// This frame and the ones enclosing it, outermost first.
    public var chain: [GraphScopeFrame] {
        var frames: [GraphScopeFrame] = []
        var frame: GraphScopeFrame? = self
        while let current = frame {
            frames.append(current)
            frame = current.parent
        }
        return frames.reversed()
    }
}
