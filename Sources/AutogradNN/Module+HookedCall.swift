import AutogradEngine

extension Module {
    /// Runs `body` on `input` as ``callAsFunction(_:)`` runs ``forward(_:)``, for a module
    /// whose call takes more than one tensor or returns several values (an LSTM's
    /// `(input, (h, c))`, a GPT's `(idx, targets) -> (logits, loss)`): in the module's graph
    /// scope, with the forward pre-hooks replacing `input`, the forward hooks seeing (and
    /// possibly replacing) the first result, and the backward hooks attached to it.
    /// ```swift
    /// public func callAsFunction(_ x: Tensor, _ state: Tensor) -> (Tensor, Tensor) {
    ///     callWithHooks(x) { x in step(x, state) }
    /// }
    /// ```
    public func callWithHooks<Rest>(_ input: Tensor, _ body: (Tensor) -> (Tensor, Rest)) -> (Tensor, Rest) {
        if hooks.isEmpty { return graphScope(typeName) { body(input) } }
        let hookedInput = hooks.runForwardPre(self, input)
        let (first, rest) = graphScope(typeName) { body(hookedInput) }
        let output = hooks.runForward(self, hookedInput, first)
        hooks.attachBackward(self, to: output)
        return (output, rest)
    }
}
