import AutogradCore

/// The graph behind a tensor, as plain values: the tensors and operations that computed
/// it, the edges between them, and the `graphScope` clusters they were recorded in.
///
/// Made by ``Tensor/graph(depth:)`` and drawn by ``dot()``, ``mermaid()`` and ``html()``.
/// Edges point the way values flow (input tensor → operation → result); the gradient on
/// an edge is the one that flowed back along it during backward.
/// ```swift
/// let loss = tracingGraph {
///     let loss = (((x * w).named("y") - target) ** 2).sum().named("loss")
///     loss.backward()
///     return loss
/// }
/// let graph = loss.graph()
/// print(graph.dot())
/// ```
public struct ComputationGraph: Equatable, Sendable {
    /// Tensors, operations and collapsed clusters, in the order they were found walking
    /// back from the output (the output first).
    public var nodes: [GraphNode]
    /// Input tensor → operation and operation → result, in the order they were found.
    public var edges: [GraphEdge]
    /// The `graphScope` blocks (and layers) the operations were recorded in, outer
    /// clusters before the ones inside them.
    public var clusters: [GraphCluster]

    /// A graph made of the given parts.
    public init(nodes: [GraphNode], edges: [GraphEdge], clusters: [GraphCluster]) {
        self.nodes = nodes
        self.edges = edges
        self.clusters = clusters
    }

    /// The node with the given identifier, if there is one.
    public func node(id: String) -> GraphNode? { nodes.first { $0.id == id } }

    /// The nodes whose label is `label` (a tensor's name, or an operation's grad_fn name).
    public func nodes(labelled label: String) -> [GraphNode] { nodes.filter { $0.label == label } }

    /// The edges that leave the node `id`.
    public func edges(from id: String) -> [GraphEdge] { edges.filter { $0.from == id } }

    /// The edges that arrive at the node `id`.
    public func edges(to id: String) -> [GraphEdge] { edges.filter { $0.to == id } }
}

/// One box in a drawing of a ``ComputationGraph``: a tensor, an operation, or a collapsed
/// cluster.
public struct GraphNode: Equatable, Sendable, Identifiable {
    /// What a node stands for; drawings give each kind its own colour and shape.
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        /// A leaf that requires grad (a parameter): its gradient accumulates in `grad`.
        case leaf
        /// A tensor that does not require grad: no gradient flows to it.
        case constant
        /// A result of an operation, inside the graph.
        case intermediate
        /// The tensor the graph was drawn from.
        case output
        /// An operation, named as PyTorch names its grad_fn (`MulBackward0`, ...).
        case operation
        /// A cluster drawn as one box because it is deeper than the depth asked for.
        case collapsed
    }

    /// A stable identifier, unique in the graph (`t0`, `op3`, `c1`, ...).
    public var id: String
    /// What the node stands for.
    public var kind: Kind
    /// The user's name for a tensor (given with ``Tensor/named(_:)``), else a name made
    /// from the operation that computed it (`mul`, `params[0]`, `params.detach()`); the
    /// grad_fn name for an operation; the scope name for a collapsed cluster.
    public var label: String
    /// A tensor's shape; nil for operations and collapsed clusters.
    public var shape: [Int]?
    /// A tensor's values; nil for operations and collapsed clusters.
    public var value: GraphValue?
    /// The gradient a tensor received in backward: a leaf's `grad`, or the gradient that
    /// arrived at an intermediate tensor. Nil when none was recorded.
    public var gradient: GraphValue?
    /// For a one-element tensor reached from the output along several paths of one-element
    /// tensors: the part of its gradient that came along each path (exercise 3's
    /// `189 = 105 + 84`). Nil when there is one path or the paths are not scalar.
    public var pathGradients: [Float]?
    /// An operation's attributes as PyTorch shows them (`exponent`, `dim`, `stride`, ...).
    public var attributes: [GraphAttribute]
    /// For a collapsed cluster, the operations inside it (each name once, in order).
    public var contents: [String]
    /// The identifier of the innermost cluster the node is drawn in, if any.
    public var cluster: String?

    /// A node with the given parts; tensors pass shape, value and gradient, operations
    /// their attributes.
    public init(
        id: String, kind: Kind, label: String, shape: [Int]? = nil, value: GraphValue? = nil,
        gradient: GraphValue? = nil, pathGradients: [Float]? = nil, attributes: [GraphAttribute] = [],
        contents: [String] = [], cluster: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.label = label
        self.shape = shape
        self.value = value
        self.gradient = gradient
        self.pathGradients = pathGradients
        self.attributes = attributes
        self.contents = contents
        self.cluster = cluster
    }

    /// Whether the node stands for a tensor (not an operation or a collapsed cluster).
    public var isTensor: Bool { kind != .operation && kind != .collapsed }
}

/// A named attribute of an operation, such as `exponent = 2` or `stride = [1, 1]`.
public struct GraphAttribute: Equatable, Sendable {
    /// The attribute's name as PyTorch spells it.
    public var name: String
    /// Its value, formatted for display.
    public var value: String

    /// An attribute with the given name and value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An arrow in a drawing: an input tensor going into an operation, or an operation
/// producing its result.
public struct GraphEdge: Equatable, Sendable {
    /// The identifier of the node the value comes from.
    public var from: String
    /// The identifier of the node the value goes to.
    public var to: String
    /// The gradient that flowed back along this edge in backward, summed to the input's
    /// shape; nil when none flowed or none was recorded.
    public var gradient: GraphValue?
    /// True for the edge a `detach()` cut: the value passes, no gradient ever does.
    public var isCut: Bool

    /// An edge from `from` to `to`.
    public init(from: String, to: String, gradient: GraphValue? = nil, isCut: Bool = false) {
        self.from = from
        self.to = to
        self.gradient = gradient
        self.isCut = isCut
    }
}

/// A `graphScope` block (or a layer's forward pass) drawn as a labelled box around the
/// nodes recorded inside it.
public struct GraphCluster: Equatable, Sendable, Identifiable {
    /// A stable identifier, unique in the graph (`c0`, `c1`, ...).
    public var id: String
    /// The scope's name.
    public var label: String
    /// The names of the enclosing scopes and this one, outermost first.
    public var path: [String]
    /// The identifier of the enclosing cluster, if any.
    public var parent: String?

    /// A cluster for the scope `path`.
    public init(id: String, label: String, path: [String], parent: String?) {
        self.id = id
        self.label = label
        self.path = path
        self.parent = parent
    }
}

/// A tensor's values (or a gradient) as a drawing shows them.
public struct GraphValue: Equatable, Sendable {
    /// The size of each dimension ([] for a 0-d tensor).
    public var shape: [Int]
    /// The elements in row-major order.
    public var scalars: [Float]

    /// A value of the given shape and elements.
    public init(shape: [Int], scalars: [Float]) {
        checkUsage(shape.reduce(1, *) == scalars.count, "GraphValue: \(scalars.count) elements for shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }
}
