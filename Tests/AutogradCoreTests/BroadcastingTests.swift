import Testing
@testable import AutogradCore

/// NumPy's broadcasting rules, case by case (Swift Testing, parameterized).
struct BroadcastingTests {
    @Test(arguments: [
        ([2, 3], [3], [2, 3]),
        ([2, 1], [1, 3], [2, 3]),
        ([4], [], [4]),
        ([2, 1, 3], [4, 1], [2, 4, 3]),
        ([1], [5, 1, 1], [5, 1, 1]),
        ([0, 3], [1, 3], [0, 3]),
    ])
    func compatibleShapesBroadcast(_ a: [Int], _ b: [Int], _ expected: [Int]) throws {
        #expect(try broadcastShapes(a, b, op: "add") == expected)
        #expect(try broadcastShapes(b, a, op: "add") == expected)
    }

    @Test(arguments: [
        ([2, 3], [4], "mul: shapes [2, 3] and [4] cannot be broadcast"),
        ([3, 2], [2, 3], "mul: shapes [3, 2] and [2, 3] cannot be broadcast"),
        ([2, 0], [3], "mul: shapes [2, 0] and [3] cannot be broadcast"),
    ])
    func incompatibleShapesNameTheOpAndBothShapes(_ a: [Int], _ b: [Int], _ message: String) {
        let error = #expect(throws: ShapeError.self) { try broadcastShapes(a, b, op: "mul") }
        #expect(error == .notBroadcastable(op: "mul", a, b))
        #expect(error?.message == message)
    }

    @Test func broadcastLayoutsRepeatWithStrideZero() {
        let layout = Layout(contiguous: [3, 1]).broadcast(to: [2, 3, 4])
        #expect(layout.shape == [2, 3, 4])
        #expect(layout.strides == [0, 1, 0])
    }
}
