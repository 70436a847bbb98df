import XCTest
@testable import AutogradEngine

/// Graphs are freed with the tensors that use them, however deep, and backward frees what
/// it saved.
final class GraphLifetimeTests: XCTestCase {
    /// A chain of `length` ops on shape-[1] tensors that save their inputs (`x * c`) or
    /// not (`x + c`), from `leaf`.
    private func chain(from leaf: Tensor, length: Int) -> Tensor {
        let c = Tensor([0.5])
        var x = leaf
        for step in 0..<length { x = step.isMultiple(of: 2) ? x * c : x + c }
        return x
    }

    func testDroppingAVeryDeepGraphDoesNotRecurse() {
        // Freed recursively, 150,000 nodes (each holding the previous one through its edge
        // and its saved input) would overflow the stack.
        let leaf = Tensor([1.0], requiresGrad: true)
        weak var firstNode: Node?
        do {
            let output = chain(from: leaf, length: 150_000)
            var node = output.gradFn
            while let next = node, case .node(let previous)? = next.edges.first { node = previous }
            firstNode = node
            XCTAssertNotNil(firstNode)
        }
        XCTAssertNil(firstNode, "the whole graph is freed once its output is")
    }

    func testBackwardThroughAVeryDeepGraph() {
        let leaf = Tensor([1.0], requiresGrad: true)
        let length = 100_000
        chain(from: leaf, length: length).backward()
        // x * 0.5 halves the gradient every other step: 0.5^(length / 2) underflows to 0.
        XCTAssertEqual(leaf.grad?.item(), 0)
        let shallow = Tensor([1.0], requiresGrad: true)
        chain(from: shallow, length: 20).backward()
        XCTAssertEqual(shallow.grad!.item(), Float(pow(0.5, 10.0)), accuracy: 1e-9)
    }

    func testBackwardReleasesSavedInputs() {
        // After backward (without retainGraph) the node no longer holds its saved inputs.
        weak var savedInput: Tensor?
        let leaf = Tensor([2.0], requiresGrad: true)
        let output: Tensor
        do {
            let middle = leaf * Tensor([3.0])
            savedInput = middle
            output = middle * middle
        }
        XCTAssertNotNil(savedInput, "the product's node saved its inputs")
        output.backward()
        XCTAssertNil(savedInput, "backward freed the saved inputs")
        XCTAssertEqual(leaf.grad?.item(), 36, "d(9·l²)/dl = 18·l")
    }
}
