import AutogradCore

/// The tensors a backward pass is for, when it is not for every leaf: the inputs of
/// `grad(outputs:inputs:)`, whose gradients are captured and returned, or of
/// `backward(inputs:)`, the only tensors whose `grad` accumulates.
///
/// As in PyTorch, only the part of the graph between the outputs and these tensors runs:
/// a node runs when some target lies behind it, and hooks on anything else never see a
/// gradient. A node whose output is a target but that leads to no other target is not
/// run: its output's hooks run and its gradient is captured.
final class PassTargets {
    /// True for `grad` (capture the gradients), false for `backward(inputs:)` (accumulate).
    let captures: Bool
    private var leafSlots: [ObjectIdentifier: [Int]] = [:]
    private var nodeSlots: [ObjectIdentifier: [Int]] = [:]
    /// The nodes with a target behind them (or that are one, when accumulating).
    private var needed: Set<ObjectIdentifier> = []
    /// The gradient found for each input, in order (when capturing).
    private(set) var gradients: [Tensor?]

    /// Targets `inputs`; their gradients are captured when `captures`, else accumulated.
    init(inputs: [Tensor], captures: Bool) {
        self.captures = captures
        gradients = Array(repeating: nil, count: inputs.count)
        for (slot, input) in inputs.enumerated() {
            if let node = input.gradFn {
                nodeSlots[ObjectIdentifier(node), default: []].append(slot)
            } else {
                leafSlots[ObjectIdentifier(input), default: []].append(slot)
            }
        }
    }

    /// Whether `leaf` is one of the targets.
    func isTarget(leaf: Tensor) -> Bool { leafSlots[ObjectIdentifier(leaf)] != nil }

    /// Whether `node` made one of the targets.
    func isTarget(node: Node) -> Bool { nodeSlots[ObjectIdentifier(node)] != nil }

    /// Whether `node`'s rule runs in this pass.
    func runs(_ node: Node) -> Bool { needed.contains(ObjectIdentifier(node)) }

    /// Whether a node whose output is a target captures its gradient before running, as
    /// PyTorch does for a captured node that must run anyway (so the capture does not see
    /// the output's hooks); a node that does not run captures after them.
    func capturesBeforeRunning(_ node: Node) -> Bool { captures && isTarget(node: node) && runs(node) }

    /// Whether a gradient sent along `edge` is used in this pass.
    func receives(_ edge: Edge) -> Bool {
        switch edge {
        case .leaf(let leaf): return isTarget(leaf: leaf)
        case .node(let node): return runs(node) || (captures && isTarget(node: node))
        case .constant: return false
        }
    }

    /// Finds the nodes to run among those reachable from `roots`: every node with a
    /// target behind it (and, when accumulating, every target node, so that its retained
    /// output fills `grad`). Iterative, so graphs of any depth are fine.
    func findNodesToRun(from roots: [Node]) {
        var done: Set<ObjectIdentifier> = []
        for root in roots where !done.contains(ObjectIdentifier(root)) {
            var path: [(node: Node, next: Int)] = [(root, 0)]
            while let (node, next) = path.last {
                if next < node.edges.count {
                    path[path.count - 1].next += 1
                    if case .node(let child) = node.edges[next], !done.contains(ObjectIdentifier(child)) {
                        path.append((child, 0))
                    }
                    continue
                }
                path.removeLast()
                done.insert(ObjectIdentifier(node))
                if (!captures && isTarget(node: node)) || node.edges.contains(where: receives) {
                    needed.insert(ObjectIdentifier(node))
                }
            }
        }
    }

    /// Records `gradient` as the gradient of `leaf`'s slots.
    func capture(_ gradient: Tensor, leaf: Tensor) {
        for slot in leafSlots[ObjectIdentifier(leaf)] ?? [] { gradients[slot] = gradient }
    }

    /// Records `gradient` as the gradient of the slots of the tensor `node` made.
    func capture(_ gradient: Tensor, node: Node) {
        for slot in nodeSlots[ObjectIdentifier(node)] ?? [] { gradients[slot] = gradient }
    }
}
