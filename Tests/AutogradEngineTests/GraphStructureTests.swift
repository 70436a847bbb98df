import XCTest
import Autograd
import AutogradSeed

/// What `Tensor.graph()` finds: kinds of nodes, values and gradients, detach cuts, the
/// gradient split by path, and clusters from `graphScope` with depth collapsing.
final class GraphStructureTests: XCTestCase {
    private func seedGraph(_ id: String, depth: Int? = nil) throws -> ComputationGraph {
        try XCTUnwrap(SeedExercise.all.first { $0.id == id }).tracedRun().output.graph(depth: depth)
    }

    private func node(_ graph: ComputationGraph, _ label: String) throws -> GraphNode {
        let found = graph.nodes(labelled: label)
        XCTAssertEqual(found.count, 1, "expected one node labelled \(label), found \(found.map(\.id))")
        return try XCTUnwrap(found.first)
    }

    func testLeavesConstantsAndTheOutputHaveTheirKinds() throws {
        let graph = try seedGraph("1")
        XCTAssertEqual(try node(graph, "params").kind, .leaf)
        XCTAssertEqual(try node(graph, "x").kind, .constant)
        XCTAssertEqual(try node(graph, "y").kind, .constant)
        XCTAssertEqual(try node(graph, "result").kind, .intermediate)
        XCTAssertEqual(try node(graph, "loss").kind, .output)
        XCTAssertEqual(graph.nodes.first?.label, "loss", "the output comes first")
        XCTAssertEqual(try node(graph, "PowBackward0").attributes, [GraphAttribute(name: "exponent", value: "2")])
    }

    func testTensorNodesHoldShapeValueAndGradient() throws {
        let graph = try seedGraph("1")
        let params = try node(graph, "params")
        XCTAssertEqual(params.shape, [2])
        XCTAssertEqual(params.value?.scalars, [1, 3])
        XCTAssertEqual(params.gradient?.scalars, [8, 4])
        XCTAssertNil(try node(graph, "x").gradient, "a constant gets no gradient")
        XCTAssertEqual(try node(graph, "loss").value?.scalars, [4])
        XCTAssertEqual(try node(graph, "params[0]").gradient?.scalars, [8], "unnamed selects are named as written")
    }

    func testEdgesCarryTheGradientThatFlowedAlongThem() throws {
        let graph = try seedGraph("1")
        let params = try node(graph, "params")
        let sent = graph.edges(from: params.id).compactMap { $0.gradient?.scalars }
        XCTAssertEqual(Set(sent.map { $0.map(Int.init) }), [[8, 0], [0, 4]])
        let x = try node(graph, "x")
        XCTAssertEqual(graph.edges(from: x.id).map(\.gradient), [nil])
    }

    func testDetachCutsTheSecondPathSoOnlyHalfTheGradientArrives() throws {
        let graph = try seedGraph("2b")
        let params = try node(graph, "params")
        XCTAssertEqual(params.gradient?.scalars, [18])
        let cut = graph.edges(from: params.id).filter(\.isCut)
        XCTAssertEqual(cut.count, 1)
        XCTAssertEqual(graph.node(id: cut[0].to)?.label, "Detach")
        XCTAssertNil(cut[0].gradient)
        let detached = try node(graph, "params.detach()")
        XCTAssertEqual(detached.kind, .constant)
        XCTAssertEqual(try node(graph, "b").kind, .constant, "b = y * params.detach() needs no gradient")
        XCTAssertTrue(graph.dot().contains("style=dashed"))
        XCTAssertTrue(graph.dot().contains("cut by detach()"))

        let uncut = try seedGraph("2")
        XCTAssertFalse(uncut.edges.contains(where: \.isCut))
        XCTAssertEqual(try node(uncut, "params").pathGradients, [18, 18], "36 = 18 + 18 without the cut")
    }

    func testExerciseThreeShows189AsTheSumOfItsTwoPaths() throws {
        let graph = try seedGraph("3")
        let first = try node(graph, "params[0]")
        XCTAssertEqual(first.gradient?.scalars, [189])
        XCTAssertEqual(first.pathGradients, [105, 84], "189 = 21·5 + 21·4")
        let b = try node(graph, "b")
        XCTAssertEqual(b.gradient?.scalars, [9])
        let branches = graph.edges(from: b.id).compactMap { $0.gradient?.scalars.first }
        XCTAssertEqual(branches.sorted(), [4, 5], "b sends 5 towards r and 4 towards s")
        XCTAssertEqual(try node(graph, "params").gradient?.scalars, [189, 126, 42, 42])
        XCTAssertNil(try node(graph, "params[2]").pathGradients, "one path, no split")
        XCTAssertTrue(graph.dot().contains("grad 189 = 105 + 84"))
    }

    func testGraphScopesBecomeNestedClusters() {
        let w = Tensor([2.0], requiresGrad: true).named("w")
        let loss = tracingGraph { () -> Tensor in
            let h = graphScope("encoder") { graphScope("inner") { (Tensor([3.0]) * w).named("h") }.relu() }
            let loss = (h * 2).sum().named("loss")
            loss.backward()
            return loss
        }
        let graph = loss.graph()
        XCTAssertEqual(graph.clusters.map(\.path), [["encoder"], ["encoder", "inner"]])
        let inner = graph.clusters[1]
        XCTAssertEqual(inner.parent, graph.clusters[0].id)
        XCTAssertEqual(graph.nodes(labelled: "h").first?.cluster, inner.id)
        XCTAssertEqual(graph.nodes(labelled: "w").first?.cluster, inner.id, "a parameter sits with its only user")
        XCTAssertEqual(graph.nodes(labelled: "ReluBackward0").first?.cluster, graph.clusters[0].id)
        XCTAssertNil(graph.nodes(labelled: "loss").first?.cluster)
        XCTAssertTrue(graph.dot().contains("subgraph cluster_"))
        XCTAssertTrue(graph.mermaid().contains("subgraph \(inner.id) [\"inner\"]"))
    }

    func testTwoCallsOfTheSameScopeAreTwoClusters() {
        let w = Tensor([2.0], requiresGrad: true)
        let y = tracingGraph { graphScope("Linear") { graphScope("Linear") { Tensor([1.0]) * w } * w } }
        XCTAssertEqual(y.graph().clusters.map(\.label), ["Linear", "Linear"])
        let z = tracingGraph { graphScope("Linear") { Tensor([1.0]) * w } + graphScope("Linear") { Tensor([1.0]) * w } }
        let clusters = z.graph().clusters
        XCTAssertEqual(clusters.count, 2)
        XCTAssertTrue(clusters.allSatisfy { $0.parent == nil })
    }

    func testDepthCollapsesDeeperClustersIntoOneBox() {
        let w = Tensor([2.0], requiresGrad: true).named("w")
        let loss = tracingGraph { () -> Tensor in
            let h = graphScope("encoder") { graphScope("inner") { Tensor([3.0]) * w }.relu() }
            let loss = (h * 2).sum().named("loss")
            loss.backward()
            return loss
        }
        let open = loss.graph(depth: 1)
        XCTAssertEqual(open.clusters.map(\.label), ["encoder"])
        let box = open.nodes.first { $0.kind == .collapsed }
        XCTAssertEqual(box?.label, "inner")
        XCTAssertEqual(box?.contents, ["MulBackward0"])
        XCTAssertEqual(box?.cluster, open.clusters[0].id)
        XCTAssertTrue(open.nodes(labelled: "w").isEmpty, "w is inside the collapsed box")

        let closed = loss.graph(depth: 0)
        XCTAssertTrue(closed.clusters.isEmpty)
        let encoder = closed.nodes.filter { $0.kind == .collapsed }
        XCTAssertEqual(encoder.map(\.label), ["encoder"])
        XCTAssertEqual(encoder.first?.contents, ["ReluBackward0", "MulBackward0"])
        let leaving = closed.edges(from: encoder[0].id)
        XCTAssertEqual(leaving.count, 1)
        XCTAssertEqual(leaving.first?.gradient?.scalars, [2], "the gradient on an edge leaving the box stays")
        XCTAssertEqual(closed.nodes(labelled: "loss").first?.kind, .output)
        XCTAssertTrue(closed.dot().contains("box3d"))
    }

    func testLargeValuesAreSummarised() {
        let big = GraphValue(shape: [4, 5], scalars: (0..<20).map(Float.init))
        XCTAssertEqual(big.lines, ["min 0 · mean 9.5 · max 19"])
        XCTAssertTrue(big.fullText.hasPrefix("tensor([[ 0.,  1.,"))
        let small = GraphValue(shape: [2, 2], scalars: [1, 2.5, 3, 4])
        XCTAssertEqual(small.lines, ["[1, 2.5]", "[3, 4]"])
        XCTAssertEqual(GraphValue(shape: [], scalars: [240]).lines, ["240"])
    }

    func testGraphWithoutTracingShowsWhatAutogradRecorded() {
        let w = Tensor([1.0, 2.0], requiresGrad: true).named("w")
        let loss = ((w * Tensor([3.0, 4.0])).sum()).named("loss")
        loss.backward()
        let graph = loss.graph()
        XCTAssertEqual(graph.nodes(labelled: "w").first?.gradient?.scalars, [3, 4])
        XCTAssertTrue(graph.edges.allSatisfy { $0.gradient == nil }, "edge gradients are recorded only inside tracingGraph")
    }
}
