import Foundation
import Testing
import AutogradCore
import AutogradEngine

/// Misused subscripts, gather, scatter and index ops stop the program with PyTorch's
/// message: each runs in a child process, which must fail and print the message
/// PyTorch 2.15 gave for the same misuse (from Fixtures/indexing.json).
@Suite struct IndexingMisuseTests {
    /// The misuses, by the names the fixture script gives PyTorch's messages.
    static let names = [
        "subscript int out of range", "subscript tensor out of range", "subscript second tensor out of range",
        "subscript float index", "subscript mask shape", "subscript too many", "subscript negative step",
        "subscript zero step", "subscript indices not broadcastable", "assign value shape", "assign value dtype",
        "gather float index", "gather out of range", "gather negative", "gather rank", "gather index larger",
        "scatter float index", "scatter dtype", "scatter out of range", "scatter index larger than source",
        "scatter rank", "scatter_add out of range", "index_select float index", "index_select matrix index",
        "index_add out of range", "index_add count", "index_add source shape", "masked_select mask dtype",
    ]

    /// PyTorch's message for each misuse.
    static let messages: [String: String] = {
        guard let url = Bundle.module.url(forResource: "indexing", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let errors = json["errors"] as? [[String: String]] else { return [:] }
        return Dictionary(uniqueKeysWithValues: errors.compactMap { entry in
            entry["name"].flatMap { name in entry["message"].map { (name, $0) } }
        })
    }()

    @Test(arguments: names)
    func misuseStopsWithPyTorchsMessage(_ name: String) async throws {
        let message = try #require(Self.messages[name], "no PyTorch message for \(name)")
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name = name as String] in
            IndexingMisuseTests.commit(name)
        }
        let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(printed.contains(message), "printed: \(printed)")
    }

    /// Commits the misuse called `name`; each must stop the process.
    static func commit(_ name: String) {
        let x = Tensor.zeros([3, 4])
        let i = Tensor([[0, 1], [2, 3]])
        switch name {
        case "subscript int out of range": _ = x[5]
        case "subscript tensor out of range": _ = x[Tensor([5])]
        case "subscript second tensor out of range": _ = x[Tensor([0, 1]), Tensor([1, 7])]
        case "subscript float index": _ = x[Tensor([0.5])]
        case "subscript mask shape": _ = x[Tensor([true, false])]
        case "subscript too many": _ = x[0, 0, 0]
        case "subscript negative step": _ = x[.stride(by: -1)]
        case "subscript zero step": _ = x[.stride(by: 0)]
        case "subscript indices not broadcastable": _ = x[Tensor([0, 1]), Tensor([0, 1, 2])]
        case "assign value shape": x[Tensor([0, 1])] = Tensor.ones([3])
        case "assign value dtype": x[Tensor([0])] = Tensor.ones([4], dtype: .float64)
        case "gather float index": _ = x.gather(dim: 1, index: i.to(.float32))
        case "gather out of range": _ = x.gather(dim: 1, index: Tensor([[0, 5]]))
        case "gather negative": _ = x.gather(dim: 1, index: Tensor([[0, -1]]))
        case "gather rank": _ = x.gather(dim: 1, index: Tensor([0, 1]))
        case "gather index larger": _ = x.gather(dim: 1, index: Tensor.zeros([4, 2], dtype: .int64))
        case "scatter float index": _ = x.scatter(dim: 1, index: i.to(.float32), source: Tensor.ones([2, 2]))
        case "scatter dtype": _ = x.scatter(dim: 1, index: i, source: Tensor.ones([2, 2], dtype: .float64))
        case "scatter out of range": _ = x.scatter(dim: 1, index: Tensor([[0, 5]]), source: Tensor.ones([2, 2]))
        case "scatter index larger than source": _ = x.scatter(dim: 1, index: i, source: Tensor.ones([1, 1]))
        case "scatter rank":
            _ = x.scatter(dim: 1, index: Tensor.zeros([2, 2, 2], dtype: .int64), source: Tensor.ones([2, 2, 2]))
        case "scatter_add out of range": _ = x.scatterAdd(dim: 1, index: Tensor([[0, 9]]), source: Tensor.ones([2, 2]))
        case "index_select float index": _ = x.indexSelect(dim: 1, index: Tensor([3.0, 0.0]))
        case "index_select matrix index": _ = x.indexSelect(dim: 1, index: Tensor([[3, 0]]))
        case "index_add out of range": _ = x.indexAdd(dim: 0, index: Tensor([0, 5]), source: Tensor.ones([2, 4]))
        case "index_add count": _ = x.indexAdd(dim: 0, index: Tensor([0, 1]), source: Tensor.ones([3, 4]))
        case "index_add source shape": _ = x.indexAdd(dim: 0, index: Tensor([0, 1]), source: Tensor.ones([2, 5]))
        case "masked_select mask dtype": _ = x.maskedSelect(Tensor.ones([3, 4]))
        default: break
        }
    }
}
