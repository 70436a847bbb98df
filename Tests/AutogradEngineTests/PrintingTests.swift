import Foundation
import XCTest

@testable import AutogradEngine

/// Checks `TensorFormatter` against PyTorch's own `repr` of float32 tensors.
final class PrintingTests: XCTestCase {
    /// One fixture written by `Scripts/fixtures/make_printing_fixtures.py`.
    private struct PrintingCase: Decodable {
        /// What the case exercises.
        let name: String
        /// The tensor's shape.
        let shape: [Int]
        /// Its float32 values in row-major order, widened to Double.
        let values: [Double]
        /// The suffix items passed to the formatter.
        let suffixes: [String]
        /// PyTorch's `repr` of the tensor.
        let expected: String
    }

    /// The fixture cases, with nan and the infinities decoded from their string spellings.
    private func loadCases() throws -> [PrintingCase] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "printing", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode([PrintingCase].self, from: Data(contentsOf: url))
    }

    /// Every fixture prints exactly as PyTorch printed it.
    func testMatchesPyTorchFixtures() throws {
        let cases = try loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 60)
        for fixture in cases {
            let printed = TensorFormatter.repr(
                shape: fixture.shape, scalars: fixture.values.map { Float($0) }, suffixes: fixture.suffixes)
            XCTAssertEqual(printed, fixture.expected, "case \(fixture.name)")
        }
    }

    /// A one-element vector with a grad_fn.
    func testSeedPow() {
        XCTAssertEqual(
            TensorFormatter.repr(shape: [1], scalars: [4], suffixes: ["grad_fn=<PowBackward0>"]),
            "tensor([4.], grad_fn=<PowBackward0>)")
    }

    /// Integer values share one right-aligned column width.
    func testSeedVector() {
        XCTAssertEqual(
            TensorFormatter.repr(shape: [4], scalars: [189, 126, 42, 42], suffixes: []),
            "tensor([189., 126.,  42.,  42.])")
    }

    /// A 0-d tensor prints without brackets.
    func testSeedScalar() {
        XCTAssertEqual(
            TensorFormatter.repr(shape: [], scalars: [240], suffixes: ["grad_fn=<SumBackward0>"]),
            "tensor(240., grad_fn=<SumBackward0>)")
    }

    /// Nested brackets indent each row under the one above.
    func testSeedConvolution() {
        XCTAssertEqual(
            TensorFormatter.repr(
                shape: [1, 1, 2, 2], scalars: [53, 60, 59, 68], suffixes: ["grad_fn=<ConvolutionBackward0>"]),
            """
            tensor([[[[53., 60.],
                      [59., 68.]]]], grad_fn=<ConvolutionBackward0>)
            """)
    }

    /// Empty tensors print `[]`, with their size unless they are 1-D.
    func testEmptyTensors() {
        XCTAssertEqual(TensorFormatter.repr(shape: [0], scalars: [], suffixes: []), "tensor([])")
        XCTAssertEqual(
            TensorFormatter.repr(shape: [0, 3], scalars: [], suffixes: ["requires_grad=True"]),
            "tensor([], size=(0, 3), requires_grad=True)")
    }
}
