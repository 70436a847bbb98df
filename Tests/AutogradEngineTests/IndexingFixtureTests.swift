import Foundation
import XCTest
import AutogradCore
@testable import AutogradEngine

/// Subscripts, gather, scatter, scatter_add, index_select, index_add and masked_select
/// against PyTorch: values, dtypes, grad_fn names, `repr` and gradients from
/// Fixtures/indexing.json (written by Scripts/fixtures/make_indexing_fixtures.py; see its
/// docstring for the format).
final class IndexingFixtureTests: XCTestCase {
    /// A tensor as the fixtures write it.
    struct FixtureTensor: Decodable {
        let shape: [Int]
        let dtype: String
        let values: [Double]
        let requiresGrad: Bool

        private enum CodingKeys: String, CodingKey { case shape, dtype, values, requiresGrad }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            shape = try container.decode([Int].self, forKey: .shape)
            dtype = try container.decode(String.self, forKey: .dtype)
            requiresGrad = try container.decode(Bool.self, forKey: .requiresGrad)
            if let flags = try? container.decode([Bool].self, forKey: .values) {
                values = flags.map { $0 ? 1 : 0 }
            } else {
                values = try container.decode([Double].self, forKey: .values)
            }
        }

        var tensor: Tensor {
            let dtype = DType(rawValue: dtype) ?? .float32
            return Tensor(NDArray(shape: shape, doubles: values, dtype: dtype), requiresGrad: requiresGrad)
        }
    }

    /// One subscript entry: exactly one key is set.
    struct Entry: Decodable {
        let int: Int?
        let slice: [Int?]?
        let ellipsis: Bool?
        let newAxis: Bool?
        let tensor: FixtureTensor?

        var index: TensorIndex {
            if let int { return .int(int) }
            if let slice { return .stride(from: slice[0], to: slice[1], by: slice[2]) }
            if ellipsis != nil { return .ellipsis }
            if newAxis != nil { return .newAxis }
            return .tensor(tensor!.tensor)
        }
    }

    struct Case: Decodable {
        let name: String
        let op: String
        let x: FixtureTensor
        let transpose: Bool
        let dim: Int?
        let index: FixtureTensor?
        let mask: FixtureTensor?
        let source: FixtureTensor?
        let entries: [Entry]?
        let output: FixtureTensor
        let upstream: FixtureTensor?
        let grads: [String: FixtureTensor?]
        let gradFn: String?
        let xGradFn: String?
        let gradFnChain: [String]?
        let repr: String
    }

    struct Misuse: Decodable {
        let name: String
        let message: String
    }

    struct Fixtures: Decodable {
        let cases: [Case]
        let errors: [Misuse]
    }

    static func load() throws -> Fixtures {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "indexing", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }

    /// Runs one case; returns the output and the leaves whose gradients the fixture has.
    private func run(_ fixture: Case) -> (output: Tensor, x: Tensor, source: Tensor?) {
        let x = fixture.x.tensor
        let source = fixture.source?.tensor
        let input = fixture.transpose ? x.transpose(0, 1) : x
        let dim = fixture.dim ?? 0
        switch fixture.op {
        case "subscript":
            return (input.indexed(by: fixture.entries!.map(\.index)), x, nil)
        case "assign":
            let y = x.requiresGrad ? x * 1 : x.clone()
            y.assign(source!, at: fixture.entries!.map(\.index))
            XCTAssertEqual(y.gradFn?.name, fixture.xGradFn, "\(fixture.name): grad_fn of the assigned tensor")
            return (y, x, source)
        case "gather": return (input.gather(dim: dim, index: fixture.index!.tensor), x, nil)
        case "scatter": return (input.scatter(dim: dim, index: fixture.index!.tensor, source: source!), x, source)
        case "scatter_add": return (input.scatterAdd(dim: dim, index: fixture.index!.tensor, source: source!), x, source)
        case "index_select": return (input.indexSelect(dim: dim, index: fixture.index!.tensor), x, nil)
        case "index_add": return (input.indexAdd(dim: dim, index: fixture.index!.tensor, source: source!), x, source)
        case "masked_select": return (input.maskedSelect(fixture.mask!.tensor), x, nil)
        default:
            XCTFail("unknown op \(fixture.op)")
            return (x, x, nil)
        }
    }

    /// `actual` has `expected`'s shape, dtype and values (float32 to 1e-6 relative, as
    /// sums of repeated indices may add in another order; float64 to 1e-12; others exactly).
    private func assertMatches(_ actual: Tensor?, _ expected: FixtureTensor, _ message: String) {
        guard let actual else { return XCTFail("\(message): missing") }
        XCTAssertEqual(actual.shape, expected.shape, "\(message): shape")
        XCTAssertEqual(actual.dtype.rawValue, expected.dtype, "\(message): dtype")
        let values = actual.asArray(Double.self)
        XCTAssertEqual(values.count, expected.values.count, "\(message): count")
        let tolerance = actual.dtype == .float32 ? 1e-6 : (actual.dtype == .float64 ? 1e-12 : 0)
        for (a, e) in zip(values, expected.values) where Swift.abs(a - e) > tolerance * Swift.max(1, Swift.abs(e)) {
            return XCTFail("\(message): \(values) vs \(expected.values)")
        }
    }

    /// The node names from `tensor` back to its leaf, following each node's first input.
    private static func chain(_ tensor: Tensor) -> [String] {
        var names: [String] = []
        var node = tensor.gradFn
        while let current = node {
            names.append(current.name)
            guard case .node(let next)? = current.nextEdges.first else { break }
            node = next
        }
        return names
    }

    func testValuesGradientsDTypesAndNamesMatchPyTorch() throws {
        let fixtures = try Self.load()
        XCTAssertGreaterThan(fixtures.cases.count, 70)
        for fixture in fixtures.cases {
            let (output, x, source) = run(fixture)
            assertMatches(output, fixture.output, "\(fixture.name): output")
            XCTAssertEqual(output.gradFn?.name, fixture.gradFn, "\(fixture.name): grad_fn")
            if let expected = fixture.gradFnChain { XCTAssertEqual(Self.chain(output), expected, "\(fixture.name): nodes") }
            XCTAssertEqual(output.description, fixture.repr, "\(fixture.name): repr")
            guard let upstream = fixture.upstream else { continue }
            output.backward(gradient: upstream.tensor)
            if let expected = fixture.grads["x"] ?? nil {
                assertMatches(x.grad, expected, "\(fixture.name): x.grad")
            } else {
                XCTAssertNil(x.grad, "\(fixture.name): x.grad")
            }
            if let expected = fixture.grads["source"] ?? nil {
                assertMatches(source?.grad, expected, "\(fixture.name): source.grad")
            }
        }
    }

    func testEveryPyTorchErrorHasAMisuseHere() throws {
        let names = try Self.load().errors.map(\.name)
        XCTAssertEqual(Set(names), Set(IndexingMisuseTests.names), "the misuses run by IndexingMisuseTests")
    }
}
