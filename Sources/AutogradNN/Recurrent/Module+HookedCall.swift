import AutogradEngine

extension Module {
    /// Runs `body` on `input` as ``callAsFunction(_:)`` runs ``forward(_:)``, for calls that
    /// take a state besides the input and return several results: in the module's graph
    /// scope, with forward pre-hooks replacing the input, forward hooks seeing (and possibly
    /// replacing) the first result, and backward hooks attached to it.
    func callWithHooks<Rest>(_ input: Tensor, _ body: (Tensor) -> (Tensor, Rest)) -> (Tensor, Rest) {
        if hooks.isEmpty { return graphScope(typeName) { body(input) } }
        let hookedInput = hooks.runForwardPre(self, input)
        let (first, rest) = graphScope(typeName) { body(hookedInput) }
        let output = hooks.runForward(self, hookedInput, first)
        hooks.attachBackward(self, to: output)
        return (output, rest)
    }
}
