import Foundation
import XCTest
import AutogradCore
@testable import AutogradEngine

/// Finite-difference checks of every backward rule in Derivatives.swift (see
/// ``GradientChecker``), and a test that no case of `Op` is left unchecked.
final class GradientCheckTests: XCTestCase {
    /// Runs one group of checks with numeric differentiation.
    private func run(_ group: (inout GradientChecker) -> Void, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var checker = GradientChecker(seed: seed)
        group(&checker)
        XCTAssertGreaterThan(checker.elementCount, 0, "no element was checked", file: file, line: line)
    }

    func testElementwiseBinary() { run(Self.elementwiseBinary, seed: 1) }
    func testTensorWithScalar() { run(Self.tensorWithScalar, seed: 2) }
    func testUnary() { run(Self.unary, seed: 3) }
    func testReductions() { run(Self.reductions, seed: 4) }
    func testShapesAndViews() { run(Self.shapesAndViews, seed: 5) }
    func testIndexing() { run(Self.indexing, seed: 6) }
    func testWritesIntoViews() { run(Self.writesIntoViews, seed: 12) }
    func testMatmul() { run(Self.matmul, seed: 7) }
    func testConvolution() { run(Self.convolution, seed: 8) }
    func testPooling() { run(Self.pooling, seed: 11) }
    func testRulesRecordedDuringBackward() { run(Self.recordedDuringBackward, seed: 9) }
    func testCustomFunction() { run(Self.customFunction, seed: 10) }
    func testAttention() { run(Self.attention, seed: 13) }
    // math
    func testMathFunctions() { run(Self.mathFunctions, seed: 13) }
    func testMathReductions() { run(Self.mathReductions, seed: 14) }
    // fused layers
    func testFusedLayers() { run(Self.fusedLayers, seed: 15) }
    // Shape ops, einsum and small linear algebra
    func testShapeOps() { run(Self.shapeOps, seed: 13) }
    func testEinsum() { run(Self.einsum, seed: 14) }
    func testLinearAlgebra() { run(Self.linearAlgebra, seed: 15) }
    // indexing
    func testSubscriptsGatherAndScatter() { run(Self.subscriptsGatherAndScatter, seed: 13) }
    // recurrent
    func testRecurrentLayers() { run(Self.recurrent, seed: 15) }

    /// Every group, for the coverage test.
    private static var groups: [(inout GradientChecker) -> Void] {
        [elementwiseBinary, tensorWithScalar, unary, reductions, shapesAndViews, indexing, writesIntoViews, matmul,
         convolution, pooling, recordedDuringBackward, customFunction, attention,
         // math
         mathFunctions, mathReductions,
         // fused layers
         fusedLayers,
         // Shape ops, einsum and small linear algebra
         shapeOps, einsum, linearAlgebra,
         // indexing
         subscriptsGatherAndScatter,
         // recurrent
         recurrent]
    }

    // MARK: Where finite differences cannot look

    /// Gradients at kinks, ties and singular points, which the checks above avoid, follow
    /// PyTorch's conventions (values from PyTorch 2.15.0, backward with a gradient of ones).
    func testSingularPointsFollowPyTorch() {
        func gradients(_ inputs: [[Float]], _ f: ([Tensor]) -> Tensor) -> [[Float]] {
            let leaves = inputs.map { Tensor($0, requiresGrad: true) }
            let output = f(leaves)
            output.backward(gradient: Tensor(repeating: 1, shape: output.shape))
            return leaves.map { $0.grad?.scalars ?? [] }
        }
        let inf = Float.infinity
        // a^b: 0 for a where b = 0; 0 for b where a = 0 and b >= 0.
        XCTAssertEqual(gradients([[0, 0, 0, 2, 0], [0, 2, -1, 0, 1]]) { $0[0] ** $0[1] },
                       [[0, 0, -inf, 0, 1], [0, 0, -inf, Float(Foundation.log(2.0)), 0]])
        XCTAssertEqual(gradients([[-1, 0, 1, 2]]) { 0 ** $0[0] }, [[-inf, 0, 0, 0]])
        // Clamp: 0 on a bound.
        XCTAssertEqual(gradients([[0, 1, 0.5]]) { $0[0].clamp(min: 0, max: 1) }, [[0, 0, 1]])
        XCTAssertEqual(gradients([[0, 1]]) { $0[0].clamp(min: 0) }, [[0, 1]])
        XCTAssertEqual(gradients([[0, 1]]) { $0[0].clamp(max: 1) }, [[1, 0]])
        // abs and relu: 0 at 0.
        XCTAssertEqual(gradients([[0, 1]]) { $0[0].abs() + $0[0].relu() }, [[0, 2]])
        // Ties: shared evenly by min() and minimum, all to the first index by min(dim:).
        XCTAssertEqual(gradients([[2, 1, 1]]) { $0[0].min() }, [[0, 0.5, 0.5]])
        XCTAssertEqual(gradients([[1, 3], [1, 2]]) { $0[0].minimum($0[1]) }, [[0.5, 0], [0.5, 1]])
        let tied = Tensor([[2, 1], [2, 1]], dtype: .float32, requiresGrad: true)
        tied.min(dim: 0).values.backward(gradient: Tensor([1, 1], dtype: .float32))
        XCTAssertEqual(tied.grad?.scalars, [1, 1, 0, 0])
    }

    // MARK: Coverage

    /// Every rule (every case of `Op`, and the variants whose rule or name differs) appears
    /// in some checked graph. A new case of `Op` does not compile until `coverageKey` names
    /// it, and then fails here until it is listed in `allCoverageKeys` and checked.
    func testEveryBackwardRuleIsChecked() {
        var checker = GradientChecker(seed: 0, numeric: false)
        for group in Self.groups { group(&checker) }
        let expected = Set(Self.allCoverageKeys).subtracting(Self.unchecked.keys)
        XCTAssertEqual(expected.subtracting(checker.coveredKeys).sorted(), [], "rules without a gradient check")
        XCTAssertEqual(checker.coveredKeys.subtracting(expected).sorted(), [], "checked keys missing from allCoverageKeys")
        // The names too: every PyTorch node name a rule can carry (a custom function's name
        // is its own).
        let named = Self.representatives.filter { !Self.unchecked.keys.contains($0.coverageKey) && $0.coverageKey != "custom" }
        let allNames = Set(named.map(\.name))
        XCTAssertEqual(allNames.subtracting(checker.coveredNames).sorted(), [], "node names never checked")
    }

    /// `allCoverageKeys` names every case declared in Op.swift, read from the source, and
    /// `representatives` has one op per key.
    func testCoverageListMatchesTheCasesOfOp() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Sources/AutogradEngine/Op.swift"), encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "enum Op {"), "no 'enum Op {' in Op.swift")
        let end = try XCTUnwrap(text.range(of: "var name: String", range: start.upperBound..<text.endIndex))
        var declared: Set<String> = []
        for rawLine in text[start.upperBound..<end.lowerBound].split(separator: "\n") {
            var line = String(rawLine)
            if let comment = line.range(of: "//") { line = String(line[..<comment.lowerBound]) }
            line = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("indirect ") { line.removeFirst("indirect ".count) }
            guard line.hasPrefix("case ") else { continue }
            // Split `case a, b(x: T, y: U), c` at top-level commas; keep each identifier.
            var depth = 0, current = ""
            for character in line.dropFirst(5) + "," {
                switch character {
                case "(": depth += 1; current.append(character)
                case ")": depth -= 1; current.append(character)
                case "," where depth == 0:
                    let name = current.trimmingCharacters(in: .whitespaces).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                    if !name.isEmpty { declared.insert(String(name)) }
                    current = ""
                default: current.append(character)
                }
            }
        }
        XCTAssertGreaterThan(declared.count, 40, "could not read the cases of Op from Op.swift")
        let listed = Set(Self.allCoverageKeys.map { String($0.split(separator: ".")[0]) })
        XCTAssertEqual(declared.subtracting(listed).sorted(), [], "cases of Op missing from allCoverageKeys")
        XCTAssertEqual(listed.subtracting(declared).sorted(), [], "allCoverageKeys names cases Op no longer has")
        XCTAssertEqual(Self.representatives.map(\.coverageKey).sorted(), Self.allCoverageKeys.sorted(),
                       "one representative op per coverage key")
    }

    /// Every case of `Op`, split where the rule or PyTorch's name depends on an attribute.
    static let allCoverageKeys: [String] = [
        "add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
        "addScalar", "subtractScalar", "reverseSubtractScalar", "multiplyScalar", "divideScalar",
        "powerScalar", "reversePowerScalar",
        "negate", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "reciprocal",
        "clamp.both", "clamp.min", "clamp.max", "erf",
        "sumAll", "sum", "meanAll", "mean", "extremeAll.max", "extremeAll.min", "extreme.max", "extreme.min",
        "softmax", "logSoftmax",
        "reshape.view", "reshape.unsafeView", "clone", "transpose", "permute", "squeeze.all", "squeeze.dim",
        "unsqueeze", "expand", "select", "slice", "sliceBackward", "concatenate", "stack",
        "matmul.dot", "matmul.matrixVector", "matmul.vectorMatrix", "matmul.matrixMatrix", "matmul.batched",
        "matmul.batchedClone", "convolution.bias", "convolution.noBias", "unfold", "fold", "maxPool2d",
        "indexSelect", "indexAdd", "copySlices", "toCopy", "selectWhere", "maskedFill", "detach", "custom",
        // attention
        "scaledDotProductAttention",
        // math
        "log1p", "expm1", "rsqrt", "tan", "silu", "sinh", "cosh", "asin", "acos", "atan",
        "sign", "floor", "ceil", "round", "trunc", "softplus", "remainderScalar", "fmodScalar", "remainder", "fmod",
        "lerp", "clampTensors.both", "clampTensors.min", "clampTensors.max", "nanToNum",
        "variance", "standardDeviation", "productAll", "product", "logSumExp", "vectorNorm",
        "cumulativeSum", "cumulativeProduct", "extremeValues.max", "extremeValues.min", "medianAll", "median",
        "topk", "sort", "sort.stable", "unique",
        // fused layers
        "gelu.none", "gelu.tanh", "layerNorm.affine", "layerNorm.weightOnly", "layerNorm.plain",
        // Shape ops, einsum and small linear algebra
        "split.size", "split.sizes", "repetition", "flip", "roll", "triangle.lower", "triangle.upper",
        "diagonal", "diagonalBackward", "inverse", "determinant", "slogdet.sign", "slogdet.logabsdet",
        "solve.matrix", "solve.vector", "cholesky",
        // indexing
        "alias", "stridedSlice", "stridedSliceBackward", "index", "indexPut.accumulate", "indexPut.replace",
        "gather", "scatter", "scatterAdd", "indexAddSource", "maskedSelect",
        // recurrent
        "recurrentLayer.lstm", "recurrentLayer.gru", "recurrentLayer.rnnTanh", "recurrentLayer.rnnRelu",
        "recurrentLayer.lstmCell", "recurrentLayer.gruCell",
    ]

    /// Keys with no rule to check, and why.
    static let unchecked: [String: String] = [
        "detach": "only traced for drawings; no gradient flows through detach()",
        // math
        "unique": "not differentiable: its backward fails, as PyTorch's Unique2Backward0 does",
    ]

    /// One op per coverage key (for the names).
    static var representatives: [Op] {
        let g = ConvolutionGeometry(kernel: (1, 1), stride: (1, 1), padding: (0, 0), dilation: (1, 1))
        return [
            .add, .subtract, .multiply, .divide, .power, .maximum, .minimum,
            .addScalar(1), .subtractScalar(1), .reverseSubtractScalar(1), .multiplyScalar(1), .divideScalar(1),
            .powerScalar(2), .reversePowerScalar(2),
            .negate, .exp, .log, .sqrt, .abs, .sin, .cos, .tanh, .sigmoid, .relu, .reciprocal,
            .clamp(min: 0, max: 1), .clamp(min: 0, max: nil), .clamp(min: nil, max: 1), .erf,
            .sumAll, .sum(dims: [0], keepDim: false), .meanAll, .mean(dims: [0], keepDim: false),
            .extremeAll(largest: true), .extremeAll(largest: false),
            .extreme(dim: 0, keepDim: false, largest: true), .extreme(dim: 0, keepDim: false, largest: false),
            .softmax(dim: 0), .logSoftmax(dim: 0),
            .reshape(contiguousInput: true), .reshape(contiguousInput: false), .clone, .transpose(0, 1),
            .permute([0]), .squeeze(dim: nil), .squeeze(dim: 0), .unsqueeze(dim: 0), .expand,
            .select(dim: 0, index: 0), .slice(dim: 0, start: 0, end: 1), .sliceBackward(dim: 0, start: 0, end: 1),
            .concatenate(dim: 0, sizes: [1]), .stack(dim: 0),
            .matmul(.dot), .matmul(.matrixVector), .matmul(.vectorMatrix), .matmul(.matrixMatrix),
            .matmul(.batched(leftIsMatrixRequiringGrad: false)), .matmul(.batched(leftIsMatrixRequiringGrad: true)),
            .convolution(g, hasBias: true), .convolution(g, hasBias: false), .unfold(g), .fold(g), .maxPool2d(g),
            .indexSelect(dim: 0), .indexAdd(dim: 0), .copySlices(ViewReplay { $0 }),
            .toCopy(from: .float32), .selectWhere, .maskedFill, .detach,
            .custom(CustomFunctionRule(name: "RepresentativeBackward", context: FunctionContext()) { _, gradient in [gradient] }),
            // attention
            .scaledDotProductAttention(scale: 1, causal: false),
            // math
            .log1p, .expm1, .rsqrt, .tan, .silu, .sinh, .cosh, .asin, .acos, .atan,
            .sign, .floor, .ceil, .round, .trunc, .softplus(beta: 1, threshold: 20), .remainderScalar(1), .fmodScalar(1),
            .remainder, .fmod, .lerp(weight: 0.5), .clampTensors(hasMin: true, hasMax: true),
            .clampTensors(hasMin: true, hasMax: false), .clampTensors(hasMin: false, hasMax: true), .nanToNum,
            .variance(dims: [0], correction: 1, keepDim: false), .standardDeviation(dims: [0], correction: 1, keepDim: false),
            .productAll, .product(dim: 0, keepDim: false), .logSumExp(dims: [0], keepDim: false),
            .vectorNorm(p: 2, dims: [0], keepDim: false), .cumulativeSum(dim: 0), .cumulativeProduct(dim: 0),
            .extremeValues(dims: [0], keepDim: false, largest: true), .extremeValues(dims: [0], keepDim: false, largest: false),
            .medianAll, .median(dim: 0, keepDim: false), .topk(dim: 0), .sort(dim: 0, stable: false), .sort(dim: 0, stable: true), .unique,
            // fused layers
            .gelu(tanhApproximation: false), .gelu(tanhApproximation: true),
            .layerNorm(normalizedShape: [1], eps: 1e-5, hasWeight: true, hasBias: true),
            .layerNorm(normalizedShape: [1], eps: 1e-5, hasWeight: true, hasBias: false),
            .layerNorm(normalizedShape: [1], eps: 1e-5, hasWeight: false, hasBias: false),
            // Shape ops, einsum and small linear algebra
            .split(SplitPart(dim: 0, sizes: [1], index: 0, splitSize: 1)),
            .split(SplitPart(dim: 0, sizes: [1], index: 0, splitSize: nil)),
            .repetition([1]), .flip([0]), .roll(shifts: [1], dims: [0]),
            .triangle(upper: false, diagonal: 0), .triangle(upper: true, diagonal: 0),
            .diagonal(offset: 0, dim1: 0, dim2: 1), .diagonalBackward(offset: 0, dim1: 0, dim2: 1),
            .inverse, .determinant, .slogdet(sign: true), .slogdet(sign: false),
            .solve(vectorRight: false), .solve(vectorRight: true), .cholesky,
            // indexing
            .alias, .stridedSlice(dim: 0, start: 0, end: 2, step: 2), .stridedSliceBackward(dim: 0, start: 0, end: 2, step: 2),
            .index(dims: [0]), .indexPut(dims: [0], accumulate: true), .indexPut(dims: [0], accumulate: false),
            .gather(dim: 0), .scatter(dim: 0), .scatterAdd(dim: 0), .indexAddSource(dim: 0), .maskedSelect,
            // recurrent
            .recurrentLayer(.lstm, reverse: false, cell: false), .recurrentLayer(.gru, reverse: false, cell: false),
            .recurrentLayer(.rnnTanh, reverse: false, cell: false), .recurrentLayer(.rnnRelu, reverse: false, cell: false),
            .recurrentLayer(.lstm, reverse: false, cell: true), .recurrentLayer(.gru, reverse: false, cell: true),
        ]
    }

    // MARK: Groups of checks

    static func elementwiseBinary(_ c: inout GradientChecker) {
        c.check("add [2,3] + [3]", [c.normal([2, 3]), c.normal([3])]) { $0[0] + $0[1] }
        c.check("add 0-d + [4]", [c.normal([]), c.normal([4])]) { $0[0] + $0[1] }
        c.check("subtract [2,1] - [1,3]", [c.normal([2, 1]), c.normal([1, 3])]) { $0[0] - $0[1] }
        c.check("multiply [2,3] * [2,1]", [c.normal([2, 3]), c.normal([2, 1])]) { $0[0] * $0[1] }
        c.check("multiply, lhs only", [c.normal([2, 3]), c.normal([3], requiresGrad: false)]) { $0[0] * $0[1] }
        c.check("multiply, rhs only", [c.normal([2, 1], requiresGrad: false), c.normal([1, 3])]) { $0[0] * $0[1] }
        c.check("divide [2,3] / [3]", [c.normal([2, 3]), c.normal([3], awayFrom: [0], margin: 0.5)]) { $0[0] / $0[1] }
        c.check("divide, rhs only", [c.normal([2, 3], requiresGrad: false), c.normal([2, 3], awayFrom: [0], margin: 0.5)]) {
            $0[0] / $0[1]
        }
        c.check("power [2,3] ** [3]", [c.uniform([2, 3], 0.5, 2), c.normal([3])]) { $0[0] ** $0[1] }
        c.check("power [3] ** [2,1], exponent only", [c.uniform([3], 0.5, 2, requiresGrad: false), c.normal([2, 1])]) {
            $0[0].pow($0[1])
        }
        let a = c.normal([2, 3])
        c.check("maximum [2,3]", [a, c.differing(from: a)]) { $0[0].maximum($0[1]) }
        let b = c.normal([2, 3])
        c.check("minimum [2,3]", [b, c.differing(from: b)]) { $0[0].minimum($0[1]) }
    }

    static func tensorWithScalar(_ c: inout GradientChecker) {
        c.check("x + 2.5", [c.normal([2, 3])]) { $0[0] + 2.5 }
        c.check("x - 1.5", [c.normal([2, 3])]) { $0[0] - 1.5 }
        c.check("2 - x", [c.normal([2, 3])]) { 2 - $0[0] }
        c.check("x * 3", [c.normal([2, 3])]) { $0[0] * 3 }
        c.check("-0.5 * x", [c.normal([4])]) { -0.5 * $0[0] }
        c.check("x / 4", [c.normal([2, 3])]) { $0[0] / 4 }
        c.check("2 / x", [c.normal([2, 3], awayFrom: [0], margin: 0.4)]) { 2 / $0[0] }
        c.check("x ** 3", [c.normal([2, 3])]) { $0[0] ** 3 }
        c.check("x ** 0.5", [c.uniform([2, 3], 0.5, 2)]) { $0[0] ** 0.5 }
        c.check("x.pow(-1)", [c.normal([2, 3], awayFrom: [0], margin: 0.4)]) { $0[0].pow(-1) }
        c.check("x ** 0", [c.normal([2, 3])]) { $0[0] ** 0 }
        c.check("2 ** x", [c.normal([2, 3])]) { 2 ** $0[0] }
        c.check("0.5 ** x, 0-d", [c.normal([])]) { 0.5 ** $0[0] }
    }

    static func unary(_ c: inout GradientChecker) {
        c.check("-x", [c.normal([2, 3])]) { -$0[0] }
        c.check("exp", [c.normal([2, 3])]) { $0[0].exp() }
        c.check("log", [c.uniform([2, 3], 0.3, 3)]) { $0[0].log() }
        c.check("sqrt", [c.uniform([2, 3], 0.3, 3)]) { $0[0].sqrt() }
        c.check("abs", [c.normal([2, 3], awayFrom: [0])]) { $0[0].abs() }
        c.check("sin", [c.normal([2, 3])]) { $0[0].sin() }
        c.check("cos", [c.normal([2, 3])]) { $0[0].cos() }
        c.check("tanh", [c.normal([2, 3])]) { $0[0].tanh() }
        c.check("sigmoid", [c.normal([2, 3])]) { $0[0].sigmoid() }
        c.check("relu", [c.normal([2, 3], awayFrom: [0])]) { $0[0].relu() }
        c.check("reciprocal", [c.normal([2, 3], awayFrom: [0], margin: 0.4)]) { $0[0].reciprocal() }
        c.check("clamp(min: -0.5, max: 0.5)", [c.normal([3, 4], awayFrom: [-0.5, 0.5])]) { $0[0].clamp(min: -0.5, max: 0.5) }
        c.check("clamp(min: -0.25)", [c.normal([3, 4], awayFrom: [-0.25])]) { $0[0].clamp(min: -0.25) }
        c.check("clamp(max: 0.75)", [c.normal([3, 4], awayFrom: [0.75])]) { $0[0].clamp(max: 0.75) }
        c.check("erf", [c.normal([2, 3])]) { $0[0].erf() }
        c.check("unary, 0-d", [c.normal([])]) { $0[0].tanh() }
    }

    static func reductions(_ c: inout GradientChecker) {
        c.check("sum()", [c.normal([2, 3])]) { $0[0].sum() }
        c.check("sum() of 0-d", [c.normal([])]) { $0[0].sum() }
        c.check("sum(dim: 1)", [c.normal([2, 3])]) { $0[0].sum(dim: 1) }
        c.check("sum(dim: -1, keepDim)", [c.normal([2, 3, 4])]) { $0[0].sum(dim: -1, keepDim: true) }
        c.check("sum(dims: [0, 2])", [c.normal([2, 3, 4])]) { $0[0].sum(dims: [0, 2]) }
        c.check("sum(dims: [0, -1], keepDim)", [c.normal([2, 3, 4])]) { $0[0].sum(dims: [0, -1], keepDim: true) }
        c.check("mean()", [c.normal([2, 3])]) { $0[0].mean() }
        c.check("mean(dim: 0, keepDim)", [c.normal([2, 3])]) { $0[0].mean(dim: 0, keepDim: true) }
        c.check("mean(dims: [0, 2])", [c.normal([2, 3, 4])]) { $0[0].mean(dims: [0, 2]) }
        c.check("max()", [c.distinct([2, 3])]) { $0[0].max() }
        c.check("min()", [c.distinct([2, 3])]) { $0[0].min() }
        c.check("max(dim: 1)", [c.distinct([3, 4])]) { $0[0].max(dim: 1).values }
        c.check("max(dim: -1, keepDim)", [c.distinct([2, 3, 4])]) { $0[0].max(dim: -1, keepDim: true).values }
        c.check("min(dim: 0, keepDim)", [c.distinct([3, 4])]) { $0[0].min(dim: 0, keepDim: true).values }
        c.check("min(dim: 1)", [c.distinct([2, 3, 4])]) { $0[0].min(dim: 1).values }
        c.check("softmax(dim: 1)", [c.normal([2, 3])]) { $0[0].softmax(dim: 1) }
        c.check("softmax(dim: 0)", [c.normal([2, 3])]) { $0[0].softmax(dim: 0) }
        c.check("logSoftmax(dim: -1)", [c.normal([2, 3, 4])]) { $0[0].logSoftmax(dim: -1) }
        c.check("logSoftmax(dim: 1)", [c.normal([2, 3, 4])]) { $0[0].logSoftmax(dim: 1) }
    }

    static func shapesAndViews(_ c: inout GradientChecker) {
        c.check("reshape [2,3] -> [3,2]", [c.normal([2, 3])]) { $0[0].reshape([3, 2]) }
        c.check("reshape [2,3,4] -> [6,-1]", [c.normal([2, 3, 4])]) { $0[0].reshape([6, -1]) }
        c.check("reshape of a transpose (copy)", [c.normal([2, 3])]) { $0[0].transpose(0, 1).reshape([-1]) }
        c.check("contiguous of a transpose (clone)", [c.normal([2, 3, 4])]) { $0[0].transpose(0, 1).contiguous() }
        c.check("transpose(0, 2)", [c.normal([2, 3, 4])]) { $0[0].transpose(0, 2) }
        c.check("transpose(-1, -2)", [c.normal([2, 3])]) { $0[0].transpose(-1, -2) }
        c.check("permute([2, 0, 1])", [c.normal([2, 3, 4])]) { $0[0].permute([2, 0, 1]) }
        c.check("squeeze(1)", [c.normal([2, 1, 3])]) { $0[0].squeeze(1) }
        c.check("squeeze(-1)", [c.normal([3, 1])]) { $0[0].squeeze(-1) }
        c.check("squeeze()", [c.normal([2, 1, 3, 1])]) { $0[0].squeeze() }
        c.check("unsqueeze(1)", [c.normal([2, 3])]) { $0[0].unsqueeze(1) }
        c.check("unsqueeze(-1)", [c.normal([2, 3])]) { $0[0].unsqueeze(-1) }
        c.check("expand [3] -> [2,3]", [c.normal([3])]) { $0[0].expand([2, 3]) }
        c.check("expand [2,1,3] -> [2,2,4,3]", [c.normal([2, 1, 3])]) { $0[0].expand([2, 2, 4, 3]) }
        c.check("expand 0-d -> [2,2]", [c.normal([])]) { $0[0].expand([2, 2]) }
        c.check("select(dim: 1, index: 2)", [c.normal([3, 4])]) { $0[0].select(dim: 1, index: 2) }
        c.check("x[-1]", [c.normal([3, 4])]) { $0[0][-1] }
        c.check("slice(dim: 1, 1..<3)", [c.normal([3, 4])]) { $0[0].slice(dim: 1, start: 1, end: 3) }
        c.check("x[1..<3]", [c.normal([4, 2])]) { $0[0][1..<3] }
        c.check("overlapping slices used together", [c.normal([4, 2])]) { $0[0][0..<3] * $0[0][1..<4] }
        c.check("cat dim 1", [c.normal([2, 3]), c.normal([2, 1]), c.normal([2, 2])]) { cat($0, dim: 1) }
        c.check("cat dim -1, middle constant", [c.normal([2, 3, 2]), c.normal([2, 3, 1], requiresGrad: false), c.normal([2, 3, 2])]) {
            cat($0, dim: -1)
        }
        c.check("cat dim 0 of 1-D", [c.normal([3]), c.normal([2])]) { cat($0) }
        c.check("stack dim 1", [c.normal([2, 3]), c.normal([2, 3]), c.normal([2, 3])]) { stack($0, dim: 1) }
        c.check("stack dim -1", [c.normal([2, 3]), c.normal([2, 3])]) { stack($0, dim: -1) }
        c.check("stack of 0-d", [c.normal([]), c.normal([])]) { stack($0) }
    }

    static func indexing(_ c: inout GradientChecker) {
        c.check("indexSelect(dim: 0, [2, 2, 0])", [c.normal([3, 2])]) { $0[0].indexSelect(dim: 0, indices: [2, 2, 0]) }
        c.check("indexSelect(dim: -1, [1, 1, 0])", [c.normal([2, 3])]) { $0[0].indexSelect(dim: -1, indices: [1, 1, 0]) }
        // The adjoints, which backward records (checked directly here, through a backward
        // pass in `recordedDuringBackward`).
        c.check("indexAdd(dim: 1, [1, 0, 0], size: 2)", [c.normal([2, 3])]) {
            $0[0].indexAdd(dim: 1, indices: [1, 0, 0], size: 2)
        }
        let mask = Tensor([[true, false, true], [false, false, true]])
        c.check("where(mask [2,3], x [2,3], y [3])", [c.normal([2, 3]), c.normal([3])]) { Tensor.where(mask, $0[0], $0[1]) }
        c.check("maskedFill(mask [3], -1)", [c.normal([2, 3])]) { $0[0].maskedFill(mask[0], -1) }
        // Through float32 and back: float32 rounding needs a wide step.
        c.check("to(.float32) and back", [c.normal([2, 3])], epsilon: 1e-2, tolerance: 1e-4) { ($0[0].to(.float32) * 3).to(.float64) }
        c.check("slice backward: embedded in zeros", [c.normal([2, 3])]) {
            $0[0].embedded(in: [4, 3], dim: 0, start: 1, end: 3)
        }
    }

    /// In-place writes into views, recorded on the base as CopySlices (PyTorch's
    /// test_inplace_on_view_gradcheck and friends).
    static func writesIntoViews(_ c: inout GradientChecker) {
        c.check("narrow().narrow().mul_(b), twice", [c.normal([4, 4]), c.normal([2, 2])]) { inputs in
            let x = inputs[0].clone()
            x.slice(dim: 1, start: 2, end: 4).slice(dim: 0, start: 1, end: 3).multiplyInPlace(inputs[1])
            x.slice(dim: 1, start: 0, end: 2).slice(dim: 0, start: 1, end: 3).multiplyInPlace(inputs[1])
            return x
        }
        c.check("y[1].copy_(v) of a non-leaf", [c.normal([3, 2]), c.normal([2])]) { inputs in
            let y = inputs[0] * 2
            y[1].copy(from: inputs[1])
            return y * y
        }
        c.check("transposed view *= 3, then the base", [c.normal([2, 3])]) { inputs in
            let y = inputs[0].sin()
            y.transpose(0, 1)[2] *= 3
            y.multiplyInPlace(inputs[0])
            return y
        }
    }

    static func matmul(_ c: inout GradientChecker) {
        c.check("matmul dot [4]·[4]", [c.normal([4]), c.normal([4])]) { $0[0].matmul($0[1]) }
        c.check("matmul mv [2,3]·[3]", [c.normal([2, 3]), c.normal([3])]) { $0[0].matmul($0[1]) }
        c.check("matmul vm [3]·[3,4]", [c.normal([3]), c.normal([3, 4])]) { $0[0].matmul($0[1]) }
        c.check("matmul mm [2,3]·[3,4]", [c.normal([2, 3]), c.normal([3, 4])]) { $0[0].matmul($0[1]) }
        c.check("matmul mm, rhs only", [c.normal([2, 3], requiresGrad: false), c.normal([3, 4])]) { $0[0].matmul($0[1]) }
        // Transposed operands (Linear's weight.mT) take the gradient in the transposed order.
        c.check("matmul mm [2,3]·[4,3]ᵀ", [c.normal([2, 3]), c.normal([4, 3])]) { $0[0].matmul($0[1].mT) }
        c.check("matmul mm [3,2]ᵀ·[3,4]", [c.normal([3, 2]), c.normal([3, 4])]) { $0[0].mT.matmul($0[1]) }
        c.check("matmul bmm [2,3,4]·[2,4,5]", [c.normal([2, 3, 4]), c.normal([2, 4, 5])]) { $0[0].matmul($0[1]) }
        c.check("matmul [2,3,4]·[4,5]", [c.normal([2, 3, 4]), c.normal([4, 5])]) { $0[0].matmul($0[1]) }
        // A batched left side over one matrix runs as one product of folded rows, forward and
        // for the matrix's gradient: stored transposed, rows that cannot fold (a transposed
        // batch), several batch dimensions, and the matrix alone requiring grad.
        c.check("matmul [2,3,4]·[5,4]ᵀ", [c.normal([2, 3, 4]), c.normal([5, 4])]) { $0[0].matmul($0[1].mT) }
        c.check("matmul [3,2,4]ᵀ⁰¹·[4,5]", [c.normal([3, 2, 4]), c.normal([4, 5])]) {
            $0[0].transpose(0, 1).matmul($0[1])
        }
        c.check("matmul [2,2,3,4]·[4,5]", [c.normal([2, 2, 3, 4]), c.normal([4, 5])]) { $0[0].matmul($0[1]) }
        c.check("matmul [2,3,4]·[4,5], rhs only", [c.normal([2, 3, 4], requiresGrad: false), c.normal([4, 5])]) {
            $0[0].matmul($0[1])
        }
        c.check("matmul [3,4]·[2,4,5] (clone)", [c.normal([3, 4]), c.normal([2, 4, 5])]) { $0[0].matmul($0[1]) }
        c.check("matmul [3,4]·[2,4,5], rhs only", [c.normal([3, 4], requiresGrad: false), c.normal([2, 4, 5])]) {
            $0[0].matmul($0[1])
        }
        c.check("matmul [2,3,4]·[4]", [c.normal([2, 3, 4]), c.normal([4])]) { $0[0].matmul($0[1]) }
        c.check("matmul [3]·[2,3,4]", [c.normal([3]), c.normal([2, 3, 4])]) { $0[0].matmul($0[1]) }
        c.check("matmul broadcast [2,1,3,4]·[3,4,2]", [c.normal([2, 1, 3, 4]), c.normal([3, 4, 2])]) { $0[0].matmul($0[1]) }
    }

    static func convolution(_ c: inout GradientChecker) {
        c.dtype = .float32   // convolution kernels are float32 only
        c.check("conv2d basic", [c.normal([1, 1, 4, 4]), c.normal([1, 1, 3, 3]), c.normal([1])]) {
            conv2d($0[0], $0[1], $0[2])
        }
        c.check("conv2d stride (2,1), padding (1,2), dilation (1,2)",
                [c.normal([1, 2, 5, 6]), c.normal([2, 2, 3, 2]), c.normal([2])]) {
            conv2d($0[0], $0[1], $0[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2))
        }
        c.check("conv2d without bias, padding 1", [c.normal([2, 2, 4, 4]), c.normal([3, 2, 3, 3])]) {
            conv2d($0[0], $0[1], padding: 1)
        }
        c.check("conv2d stride 2, dilation 2, weight and bias only",
                [c.normal([1, 2, 7, 7], requiresGrad: false), c.normal([2, 2, 2, 2]), c.normal([2])]) {
            conv2d($0[0], $0[1], $0[2], stride: 2, dilation: 2)
        }
        let windows = ConvolutionGeometry(kernel: (2, 3), stride: (2, 1), padding: (1, 0), dilation: (1, 2))
        c.check("unfold", [c.normal([1, 2, 5, 6])]) { $0[0].unfold(windows) }
        let overlapping = ConvolutionGeometry(kernel: (2, 2), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        c.check("fold", [c.normal([2, 8, 16])]) { $0[0].fold(overlapping, imageShape: [2, 2, 3, 3]) }
    }

    static func pooling(_ c: inout GradientChecker) {
        c.dtype = .float32   // pooling kernels are float32 only
        func windows(_ kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1))
            -> ConvolutionGeometry {
            ConvolutionGeometry(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        }
        // Distinct values keep every maximum away from a tie.
        c.check("maxPool2d 2x2", [c.distinct([2, 2, 4, 6])]) { $0[0].maxPool2d(windows((2, 2), stride: (2, 2))) }
        c.check("maxPool2d 3x3 stride 2 padding 1 (overlapping)", [c.distinct([1, 2, 5, 5])]) {
            $0[0].maxPool2d(windows((3, 3), stride: (2, 2), padding: (1, 1)))
        }
        c.check("maxPool2d 2x3 stride (1,2) padding (1,1) dilation (2,1)", [c.distinct([2, 1, 5, 6])]) {
            $0[0].maxPool2d(windows((2, 3), stride: (1, 2), padding: (1, 1), dilation: (2, 1)))
        }
    }

    /// The blocked attention kernel's backward, with masks, causality, broadcast batch
    /// dimensions and sequences longer than one block; and, recorded, its second derivative.
    static func attention(_ c: inout GradientChecker) {
        func attend(mask: Tensor? = nil, causal: Bool = false, scale: Double? = nil) -> ([Tensor]) -> Tensor {
            { Tensor.scaledDotProductFlashAttention($0[0], $0[1], $0[2], mask: mask, isCausal: causal, scale: scale) }
        }
        c.check("attention [2,3,5,4]", [c.normal([2, 3, 5, 4]), c.normal([2, 3, 6, 4]), c.normal([2, 3, 6, 2])],
                attend())
        c.check("attention causal, scale 0.3", [c.normal([1, 2, 5, 3]), c.normal([1, 2, 5, 3]), c.normal([1, 2, 5, 3])],
                attend(causal: true, scale: 0.3))
        let keep = Tensor([[true, false, true, true], [false, true, true, false], [true, true, false, true]])
        c.check("attention bool mask, 3-D", [c.normal([2, 3, 4]), c.normal([2, 4, 4]), c.normal([2, 4, 3])],
                attend(mask: keep))
        let bias = c.normal([2, 1, 3, 4], requiresGrad: false)
        c.check("attention float mask, broadcast batch", [c.normal([2, 2, 3, 4]), c.normal([1, 2, 4, 4]), c.normal([2, 1, 4, 2])],
                attend(mask: bias))
        c.check("attention causal across blocks", [c.normal([1, 1, 70, 2]), c.normal([1, 1, 70, 2]), c.normal([1, 1, 70, 2])],
                attend(causal: true))
        c.check("attention, second derivative", [c.normal([1, 2, 4, 3]), c.normal([1, 2, 5, 3]), c.normal([1, 2, 5, 3])]) { x in
            let y = Tensor.scaledDotProductFlashAttention(x[0], x[1], x[2], isCausal: false)
            let grads = grad(outputs: [(y * y).sum()], inputs: x, createGraph: true)
            return cat(grads.map { $0!.reshape([-1]) })
        }
    }

    /// Rules of nodes that only a backward pass with `createGraph: true` records (the
    /// adjoints of slicing, indexing and im2col), checked as second derivatives.
    static func recordedDuringBackward(_ c: inout GradientChecker) {
        func gradient(_ value: Tensor, _ inputs: [Tensor]) -> Tensor {
            let grads = grad(outputs: [value], inputs: inputs, createGraph: true)
            return cat(grads.map { $0!.reshape([-1]) })
        }
        c.check("d/dx of sum(x[1..<3] ** 3)", [c.normal([4, 2])]) { x in gradient((x[0][1..<3] ** 3).sum(), x) }
        c.check("d/dx of sum(sin(x.select(dim: 1, index: 0)))", [c.normal([3, 2])]) { x in
            gradient(x[0].select(dim: 1, index: 0).sin().sum(), x)
        }
        c.check("d/dx of sum(indexSelect(x) ** 2)", [c.normal([3, 2])]) { x in
            gradient((x[0].indexSelect(dim: 0, indices: [0, 2, 2, 1]) ** 2).sum(), x)
        }
        c.dtype = .float32   // pooling and convolution kernels are float32 only
        c.check("d/dx of sum(maxPool2d(x) ** 3)", [c.distinct([1, 2, 5, 5])]) { x in
            let geometry = ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
            return gradient((x[0].maxPool2d(geometry) ** 3).sum(), x)
        }
        c.check("d/d(x, w) of sum(conv2d(x, w) ** 2)", [c.normal([1, 2, 4, 4]), c.normal([2, 2, 2, 2])]) { x in
            gradient((conv2d(x[0], x[1], stride: (2, 1), padding: (1, 0), dilation: (1, 2)) ** 2).sum(), x)
        }
        // CopySlices' backward writes into a view of the gradient; recorded, it is a
        // CopySlices of its own (PyTorch's gradgradcheck of test_inplace_on_view_gradcheck).
        c.check("d/d(a, b) of sum(x ** 3), x = a with a window *= b", [c.normal([3, 3]), c.normal([2, 2])]) { x in
            let y = x[0].clone()
            y.slice(dim: 0, start: 1, end: 3).slice(dim: 1, start: 0, end: 2).multiplyInPlace(x[1])
            return gradient((y ** 3).sum(), x)
        }
    }

    /// x³ with a hand-written backward.
    private enum Cube: CustomFunction {
        static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            context.saveForBackward(inputs[0])
            return inputs[0] ** 3
        }

        static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
            let x = context.savedTensors[0]
            return [gradient * 3 * x * x]
        }
    }

    /// eˣ of a matrix, returned transposed: it saves its own output, a view that is not
    /// row-major, so the node keeps the output with its layout (a row-major output is
    /// kept as its storage alone).
    private enum TransposedExp: CustomFunction {
        static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            let y = inputs[0].exp().transpose(0, 1)
            context.saveForBackward(y)
            return y
        }

        static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
            [(gradient * context.savedTensors[0]).transpose(0, 1)]
        }
    }

    static func customFunction(_ c: inout GradientChecker) {
        c.check("custom function (x³)", [c.normal([2, 3])]) { Cube.apply($0[0]) }
        c.check("custom function saving its transposed output", [c.normal([2, 3])]) { TransposedExp.apply($0[0]) }
        c.check("custom function inside a graph", [c.normal([3]), c.normal([3])]) { Cube.apply($0[0] * $0[1]).sum() }
    }

    // recurrent

    /// The fused recurrent layers (every cell, both directions, with and without the GRU's
    /// recurrent bias), their single-step cells, the float32 kernels (a hidden size of 9
    /// runs both the 8-wide vector loop and the scalar tail) and, recorded, second derivatives.
    static func recurrent(_ c: inout GradientChecker) {
        /// The layer's output, final hidden state and (LSTM) final cell state, flattened. The
        /// inputs are the projected input, the recurrent weights, the initial hidden state,
        /// the LSTM's initial cell state and then the biases, when there are biases.
        func layer(_ mode: RecurrentKernel.Mode, reverse: Bool = false) -> ([Tensor]) -> Tensor {
            { x in
                let biases = x.count > (mode == .lstm ? 4 : 3) ? Array(x.suffix(2)) : []
                let (output, hidden, cell) = Tensor.recurrentLayer(
                    mode, projectedInput: x[0], weightHH: x[1], biasIH: biases.first, biasHH: biases.last,
                    hidden: x[2], cell: mode == .lstm ? x[3] : nil, reverse: reverse)
                return cat([output.reshape([-1]), hidden.reshape([-1])] + (cell.map { [$0.reshape([-1])] } ?? []))
            }
        }
        func inputs(_ c: inout GradientChecker, _ mode: RecurrentKernel.Mode, steps: Int, batch: Int, hidden: Int,
                    biases: Bool = true) -> [Tensor] {
            let gates = mode.gateCount * hidden
            var x = [c.normal([steps, batch, gates]), c.normal([gates, hidden]), c.normal([batch, hidden])]
            if mode == .lstm { x.append(c.normal([batch, hidden])) }
            if biases { x += [c.normal([gates]), c.normal([gates])] }
            return x
        }
        c.check("LSTM layer [T 3, B 2, H 2]", inputs(&c, .lstm, steps: 3, batch: 2, hidden: 2), layer(.lstm))
        c.check("LSTM layer, reverse", inputs(&c, .lstm, steps: 4, batch: 1, hidden: 3), layer(.lstm, reverse: true))
        c.check("GRU layer with biases", inputs(&c, .gru, steps: 3, batch: 2, hidden: 2), layer(.gru))
        c.check("GRU layer without bias, reverse", inputs(&c, .gru, steps: 3, batch: 2, hidden: 3, biases: false),
                layer(.gru, reverse: true))
        c.check("LSTM layer without bias", inputs(&c, .lstm, steps: 2, batch: 2, hidden: 2, biases: false), layer(.lstm))
        c.check("RNN tanh layer", inputs(&c, .rnnTanh, steps: 3, batch: 2, hidden: 3), layer(.rnnTanh))
        c.check("RNN relu layer, reverse", inputs(&c, .rnnRelu, steps: 3, batch: 2, hidden: 3), layer(.rnnRelu, reverse: true))
        c.check("RNN layer, one step", inputs(&c, .rnnTanh, steps: 1, batch: 3, hidden: 2), layer(.rnnTanh))
        c.check("LSTM layer, initial state not requiring grad",
                [c.normal([2, 2, 8]), c.normal([8, 2]), c.normal([2, 2], requiresGrad: false),
                 c.normal([2, 2], requiresGrad: false)], layer(.lstm))
        c.check("lstmCell", [c.normal([2, 8]), c.normal([8, 2]), c.normal([2, 2]), c.normal([2, 2]), c.normal([8]),
                             c.normal([8])]) { x in
            let (h, cell) = Tensor.lstmCell(x[0], weightHH: x[1], biasIH: x[4], biasHH: x[5], hidden: x[2], cell: x[3])
            return cat([h, cell], dim: 1)
        }
        c.check("gruCell, recurrent bias only", [c.normal([3, 6]), c.normal([6, 2]), c.normal([3, 2]), c.normal([6])]) { x in
            Tensor.gruCell(x[0], weightHH: x[1], biasHH: x[3], hidden: x[2])
        }
        c.check("gruCell, input bias only", [c.normal([3, 6]), c.normal([6, 2]), c.normal([3, 2]), c.normal([6])]) { x in
            Tensor.gruCell(x[0], weightHH: x[1], biasIH: x[3], hidden: x[2])
        }
        // Second derivatives: the rule runs as tensor ops when the backward pass is recorded.
        func gradient(_ mode: RecurrentKernel.Mode, reverse: Bool = false) -> ([Tensor]) -> Tensor {
            { x in
                let y = layer(mode, reverse: reverse)(x)
                let grads = grad(outputs: [(y * y * y).sum()], inputs: x, createGraph: true)
                return cat(grads.map { $0!.reshape([-1]) })
            }
        }
        c.check("d/dx of an LSTM layer", inputs(&c, .lstm, steps: 3, batch: 2, hidden: 2), gradient(.lstm))
        c.check("d/dx of a GRU layer, reverse", inputs(&c, .gru, steps: 3, batch: 2, hidden: 2), gradient(.gru, reverse: true))
        c.check("d/dx of an RNN tanh layer", inputs(&c, .rnnTanh, steps: 3, batch: 2, hidden: 2), gradient(.rnnTanh))
        c.check("d/dx of an RNN relu layer", inputs(&c, .rnnRelu, steps: 2, batch: 2, hidden: 2), gradient(.rnnRelu))
        // The float32 kernels (vectorised gates).
        c.dtype = .float32
        c.check("LSTM layer, float32, H 9", inputs(&c, .lstm, steps: 2, batch: 2, hidden: 9), layer(.lstm))
        c.check("GRU layer, float32, H 9, reverse", inputs(&c, .gru, steps: 2, batch: 2, hidden: 9), layer(.gru, reverse: true))
    }

    // math

    static func mathFunctions(_ c: inout GradientChecker) {
        c.check("log1p", [c.uniform([2, 3], -0.5, 2)]) { $0[0].log1p() }
        c.check("expm1", [c.normal([2, 3])]) { $0[0].expm1() }
        c.check("rsqrt", [c.uniform([2, 3], 0.3, 3)]) { $0[0].rsqrt() }
        c.check("tan", [c.uniform([2, 3], -1.2, 1.2)]) { $0[0].tan() }
        c.check("silu", [c.normal([2, 3])]) { $0[0].silu() }
        c.check("softplus", [c.normal([2, 3])]) { $0[0].softplus() }
        c.check("softplus(beta: 2, threshold: 1), both sides", [c.normal([3, 4], awayFrom: [0.5])]) {
            $0[0].softplus(beta: 2, threshold: 1)
        }
        c.check("sinh", [c.normal([2, 3])]) { $0[0].sinh() }
        c.check("cosh", [c.normal([2, 3])]) { $0[0].cosh() }
        c.check("asin", [c.uniform([2, 3], -0.8, 0.8)]) { $0[0].asin() }
        c.check("acos", [c.uniform([2, 3], -0.8, 0.8)]) { $0[0].acos() }
        c.check("atan", [c.normal([2, 3])]) { $0[0].atan() }
        // Piecewise constant: zero gradients away from the jumps.
        c.check("sign", [c.normal([2, 3], awayFrom: [0])]) { $0[0].sign() * 1.5 }
        c.check("floor, ceil, trunc", [c.uniform([2, 3], 0.2, 0.8)]) { $0[0].floor() + $0[0].ceil() + $0[0].trunc() }
        c.check("round", [c.uniform([2, 3], 0.6, 1.4)]) { $0[0].round() }
        let multiples = (-15...15).map { Float($0) * 0.3 }
        c.check("remainder(0.3)", [c.normal([2, 3], awayFrom: multiples, margin: 0.02)]) { $0[0].remainder(0.3) }
        c.check("fmod(0.3)", [c.normal([2, 3], awayFrom: multiples, margin: 0.02)]) { $0[0].fmod(0.3) }
        c.check("remainder(tensor), floor 2", [c.uniform([2, 3], 2.2, 2.8), c.uniform([3], 1, 1.05)]) { $0[0].remainder($0[1]) }
        c.check("fmod(tensor), trunc -2", [c.uniform([2, 3], -2.8, -2.2), c.uniform([2, 1], 1, 1.05)]) { $0[0].fmod($0[1]) }
        c.check("lerp(weight: 0.25) [2,3] with [3]", [c.normal([2, 3]), c.normal([3])]) { $0[0].lerp($0[1], weight: 0.25) }
        c.check("lerp(weight: 0.75)", [c.normal([2, 3]), c.normal([2, 3])]) { $0[0].lerp($0[1], weight: 0.75) }
        // Each element of x goes to x, the lower or the upper bound (fresh leaves per check).
        func x() -> Tensor { c.make([2, 3], [-1.0, -0.2, 0.1, 0.5, 1.2, 2.0], requiresGrad: true) }
        func low() -> Tensor { c.make([3], [-0.5, 0, 0.3], requiresGrad: true) }
        func high() -> Tensor { c.make([2, 1], [0.4, 1.5], requiresGrad: true) }
        c.check("clamp(min: [3], max: [2,1])", [x(), low(), high()]) { $0[0].clamp(min: $0[1], max: $0[2]) }
        c.check("clamp(min: [3])", [x(), low()]) { $0[0].clamp(min: $0[1]) }
        c.check("clamp(max: [2,1])", [x(), high()]) { $0[0].clamp(max: $0[1]) }
        let crossed = c.make([3], [0.55, 0.6, 0.7], requiresGrad: true)
        c.check("clamp with min above max", [x(), crossed, high()]) { $0[0].clamp(min: $0[1], max: $0[2]) }
        c.check("nanToNum of finite values", [c.normal([2, 3])]) { $0[0].nanToNum() }
    }

    /// GELU (both forms) and layer normalisation (with and without weight and bias, over
    /// one and two trailing dimensions), and their second derivatives.
    static func fusedLayers(_ c: inout GradientChecker) {
        c.check("gelu", [c.normal([3, 4])]) { $0[0].gelu() }
        c.check("gelu tanh", [c.normal([2, 5])]) { $0[0].gelu(tanhApproximation: true) }
        c.check("layerNorm affine [2,3,4] over [4]", [c.normal([2, 3, 4]), c.normal([4]), c.normal([4])]) {
            $0[0].layerNorm(normalizedShape: [4], weight: $0[1], bias: $0[2])
        }
        c.check("layerNorm weight only over [3,4]", [c.normal([2, 3, 4]), c.normal([3, 4])]) {
            $0[0].layerNorm(normalizedShape: [3, 4], weight: $0[1])
        }
        c.check("layerNorm plain 1-D", [c.normal([5])]) { $0[0].layerNorm(normalizedShape: [5]) }
        c.check("gelu and layerNorm, second derivative", [c.normal([2, 4]), c.normal([4]), c.normal([4])]) { x in
            let y = x[0].layerNorm(normalizedShape: [4], weight: x[1], bias: x[2]).gelu()
            let grads = grad(outputs: [(y * y).sum()], inputs: x, createGraph: true)
            return cat(grads.map { $0!.reshape([-1]) })
        }
    }

    static func mathReductions(_ c: inout GradientChecker) {
        c.check("var(dim: 1)", [c.normal([3, 4])]) { $0[0].var(dim: 1) }
        c.check("var()", [c.normal([2, 3])]) { $0[0].var() }
        c.check("var(dims: [0, 2], correction: 0, keepDim)", [c.normal([2, 3, 4])]) { $0[0].var(dims: [0, 2], correction: 0, keepDim: true) }
        c.check("std()", [c.normal([2, 3])]) { $0[0].std() }
        c.check("std(dim: -1, keepDim)", [c.normal([2, 3, 4])]) { $0[0].std(dim: -1, keepDim: true) }
        c.check("prod()", [c.normal([2, 3])]) { $0[0].prod() }
        c.check("prod(dim: 0)", [c.normal([3, 4])]) { $0[0].prod(dim: 0) }
        c.check("prod(dim: 1, keepDim)", [c.normal([2, 3, 2])]) { $0[0].prod(dim: 1, keepDim: true) }
        func zeros() -> Tensor { c.make([2, 4], [1.2, 0, -0.7, 0.9, 0.5, 0, 0, 1.1], requiresGrad: true) }
        c.check("prod(dim: 1) with one and two zeros", [zeros()]) { $0[0].prod(dim: 1) }
        c.check("prod() with zeros", [zeros()]) { $0[0].prod() }
        c.check("prod() with one zero", [c.make([2, 2], [1.2, 0, -0.7, 0.9], requiresGrad: true)]) { $0[0].prod() }
        c.check("logsumexp(dim: 1)", [c.normal([3, 4])]) { $0[0].logsumexp(dim: 1) }
        c.check("logsumexp(dims: [0, 2], keepDim)", [c.normal([2, 3, 4])]) { $0[0].logsumexp(dims: [0, 2], keepDim: true) }
        c.check("norm()", [c.normal([2, 3])]) { $0[0].norm() }
        c.check("norm(p: 1, dim: 0)", [c.normal([3, 4], awayFrom: [0])]) { $0[0].norm(p: 1, dim: 0) }
        c.check("norm(p: 3, dim: 1, keepDim)", [c.normal([3, 4], awayFrom: [0])]) { $0[0].norm(p: 3, dim: 1, keepDim: true) }
        c.check("norm(p: 0.5)", [c.normal([2, 3], awayFrom: [0])]) { $0[0].norm(p: 0.5) }
        c.check("norm(p: .infinity, dim: 1)", [c.distinct([3, 4])]) { $0[0].norm(p: .infinity, dim: 1) }
        c.check("cumsum(dim: 1)", [c.normal([3, 4])]) { $0[0].cumsum(dim: 1) }
        c.check("cumsum(dim: -1) of 3-D", [c.normal([2, 3, 4])]) { $0[0].cumsum(dim: -1) }
        c.check("cumprod(dim: 0)", [c.normal([4, 3], awayFrom: [0])]) { $0[0].cumprod(dim: 0) }
        c.check("cumprod(dim: 1) with zeros", [zeros()]) { $0[0].cumprod(dim: 1) }
        c.check("amax(dim: 1)", [c.distinct([3, 4])]) { $0[0].amax(dim: 1) }
        c.check("amin(dims: [0, 2])", [c.distinct([2, 3, 4])]) { $0[0].amin(dims: [0, 2]) }
        c.check("median()", [c.distinct([2, 3])]) { $0[0].median() }
        c.check("median(dim: 1)", [c.distinct([3, 4])]) { $0[0].median(dim: 1).values }
        c.check("median(dim: 0, keepDim)", [c.distinct([3, 2])]) { $0[0].median(dim: 0, keepDim: true).values }
        c.check("topk(2, dim: 1)", [c.distinct([3, 4])]) { $0[0].topk(2, dim: 1).values }
        c.check("topk(1, dim: 0, largest: false)", [c.distinct([3, 4])]) { $0[0].topk(1, dim: 0, largest: false).values }
        c.check("sort(dim: 1, descending)", [c.distinct([3, 4])]) { $0[0].sort(dim: 1, descending: true).values }
        c.check("sort(dim: 0, stable) of 3-D", [c.distinct([3, 2, 2])]) { $0[0].sort(dim: 0, stable: true).values }
        // Second derivatives: the rules are recorded during backward.
        func gradient(_ value: Tensor, _ inputs: [Tensor]) -> Tensor {
            grad(outputs: [value], inputs: inputs, createGraph: true)[0]!.reshape([-1])
        }
        c.check("d/dx of sum(sort(x) ** 3)", [c.distinct([2, 4])]) { x in gradient((x[0].sort(dim: 1).values ** 3).sum(), x) }
        c.check("d/dx of sum(topk(x) ** 3)", [c.distinct([2, 4])]) { x in gradient((x[0].topk(2, dim: 1).values ** 3).sum(), x) }
        c.check("d/dx of sum(cumsum(x) ** 3)", [c.normal([2, 4])]) { x in gradient((x[0].cumsum(dim: 1) ** 3).sum(), x) }
        c.check("d/dx of sum(cumprod(x))", [c.normal([2, 4], awayFrom: [0])]) { x in gradient(x[0].cumprod(dim: 1).sum(), x) }
        c.check("d/dx of var(x)", [c.normal([2, 3])]) { x in gradient(x[0].var(), x) }
        c.check("d/dx of std(x)", [c.normal([2, 3])]) { x in gradient(x[0].std(dim: 0).sum(), x) }
        c.check("d/dx of norm(x)", [c.normal([2, 3])]) { x in gradient(x[0].norm(), x) }
        c.check("d/dx of prod(x)", [c.normal([2, 3])]) { x in gradient(x[0].prod(), x) }
        c.check("d/dx of logsumexp(x)", [c.normal([2, 3])]) { x in gradient(x[0].logsumexp(dim: 1).sum(), x) }
        c.check("d/dx of sum(silu(x) + softplus(x) + log1p(x²))", [c.normal([2, 3])]) { x in
            gradient((x[0].silu() + x[0].softplus() + (x[0] * x[0]).log1p()).sum(), x)
        }
        c.check("d/dx of sum(asin, acos, atan, tan, rsqrt, expm1)", [c.uniform([2, 3], 0.2, 0.7)]) { x in
            let v = x[0]
            return gradient((v.asin() + v.acos() + v.atan() + v.tan() + v.rsqrt() + v.expm1() + v.sinh() + v.cosh()).sum(), x)
        }
    }
}

// indexing
extension GradientCheckTests {
    /// Subscripts (views, index tensors, masks, indexed writes), gather, scatter and the
    /// index ops, and the adjoints their backward passes record.
    static func subscriptsGatherAndScatter(_ c: inout GradientChecker) {
        let mask = Tensor([[true, false, true, true], [false, false, true, false], [true, true, false, false]])
        c.check("x[.all, .stride(from: 1, to: 4, by: 2)]", [c.normal([3, 5])]) { $0[0][.all, .stride(from: 1, to: 4, by: 2)] }
        c.check("x[.ellipsis] (alias)", [c.normal([2, 3])]) { $0[0][.ellipsis] * 2 }
        c.check("x[Tensor([2, 0, 2])], repeated rows", [c.normal([3, 2])]) { $0[0][Tensor([2, 0, 2])] }
        c.check("x[mask]", [c.normal([3, 4])]) { $0[0][mask] }
        c.check("x[i, .all, j] (index shape first)", [c.normal([3, 2, 4])]) { $0[0][Tensor([0, 2, 2]), .all, Tensor([[1], [3]])] }
        c.check("x.T[1..<3, Tensor([0, 2])]", [c.normal([3, 4])]) { $0[0].transpose(0, 1)[1..<3, Tensor([0, 2])] }
        c.check("y[mask] = v (IndexPut)", [c.normal([3, 4]), c.normal([])]) { inputs in
            let y = inputs[0] * 1
            y[mask] = inputs[1]
            return y
        }
        c.check("y[1..<3, Tensor([0, 0])] = v (CopySlices of IndexPut)", [c.normal([3, 4]), c.normal([2, 2])]) { inputs in
            let y = inputs[0] * 1
            y[1..<3, Tensor([0, 3])] = inputs[1]
            return y
        }
        c.check("gather(dim: 1)", [c.normal([3, 4])]) { $0[0].gather(dim: 1, index: Tensor([[0, 0, 3], [1, 2, 1], [3, 3, 3]])) }
        c.check("gather(dim: 0), index smaller", [c.normal([3, 4])]) { $0[0].gather(dim: 0, index: Tensor([[2, 0], [1, 1]])) }
        c.check("scatter(dim: 1)", [c.normal([3, 4]), c.normal([3, 2])]) {
            $0[0].scatter(dim: 1, index: Tensor([[0, 3], [2, 1], [1, 0]]), source: $0[1])
        }
        c.check("scatter(dim: 0), source larger than the index", [c.normal([3, 4]), c.normal([3, 4])]) {
            $0[0].scatter(dim: 0, index: Tensor([[2, 0, 1], [0, 1, 2]]), source: $0[1])
        }
        c.check("scatterAdd(dim: 1), repeated positions", [c.normal([2, 4]), c.normal([2, 3])]) {
            $0[0].scatterAdd(dim: 1, index: Tensor([[0, 0, 3], [2, 2, 2]]), source: $0[1])
        }
        c.check("indexSelect(dim: 1, index: Tensor([3, 0, 3]))", [c.normal([2, 4])]) {
            $0[0].indexSelect(dim: 1, index: Tensor([3, 0, 3]))
        }
        c.check("indexAdd(dim: 0, index: Tensor([0, 2, 0]))", [c.normal([3, 2]), c.normal([3, 2])]) {
            $0[0].indexAdd(dim: 0, index: Tensor([0, 2, 0]), source: $0[1])
        }
        c.check("maskedSelect(mask [4] broadcast)", [c.normal([3, 4])]) { $0[0].maskedSelect(Tensor([true, false, false, true])) }
        c.check("maskedSelect, input broadcast to the mask", [c.normal([4])]) { $0[0].maskedSelect(mask) }
        // The adjoints, through backward passes that record them (second derivatives).
        func gradient(_ value: Tensor, _ inputs: [Tensor]) -> Tensor {
            let grads = grad(outputs: [value], inputs: inputs, createGraph: true)
            return cat(grads.map { $0!.reshape([-1]) })
        }
        c.check("d/dx of sum(x[.all, .stride(by: 2)] ** 3)", [c.normal([2, 5])]) { x in
            gradient((x[0][.all, .stride(by: 2)] ** 3).sum(), x)
        }
        c.check("d/dx of sum(x[Tensor([1, 1, 0])] ** 3)", [c.normal([2, 3])]) { x in
            gradient((x[0][Tensor([1, 1, 0])] ** 3).sum(), x)
        }
        c.check("d/dx of sum(gather(x) ** 3)", [c.normal([2, 3])]) { x in
            gradient((x[0].gather(dim: 1, index: Tensor([[2, 2], [0, 1]])) ** 3).sum(), x)
        }
        c.check("d/d(x, s) of sum(scatter(x, s) ** 3)", [c.normal([2, 3]), c.normal([2, 2])]) { x in
            gradient((x[0].scatter(dim: 1, index: Tensor([[2, 0], [1, 2]]), source: x[1]) ** 3).sum(), x)
        }
        c.check("d/dx of sum(maskedSelect(x) ** 3)", [c.normal([3, 4])]) { x in
            gradient((x[0].maskedSelect(mask) ** 3).sum(), x)
        }
    }
}

extension Op {
    /// The case of this op, split where its rule or PyTorch's name depends on an attribute.
    /// Has no `default:`, so adding a case to `Op` stops the tests compiling until it is
    /// named here (and then ``GradientCheckTests`` fails until it is listed and checked).
    var coverageKey: String {
        switch self {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        case .divide: return "divide"
        case .power: return "power"
        case .maximum: return "maximum"
        case .minimum: return "minimum"
        case .addScalar: return "addScalar"
        case .subtractScalar: return "subtractScalar"
        case .reverseSubtractScalar: return "reverseSubtractScalar"
        case .multiplyScalar: return "multiplyScalar"
        case .divideScalar: return "divideScalar"
        case .powerScalar: return "powerScalar"
        case .reversePowerScalar: return "reversePowerScalar"
        case .negate: return "negate"
        case .exp: return "exp"
        case .log: return "log"
        case .sqrt: return "sqrt"
        case .abs: return "abs"
        case .sin: return "sin"
        case .cos: return "cos"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .relu: return "relu"
        case .reciprocal: return "reciprocal"
        case .clamp(let low, let high): return low == nil ? "clamp.max" : high == nil ? "clamp.min" : "clamp.both"
        case .erf: return "erf"
        case .sumAll: return "sumAll"
        case .sum: return "sum"
        case .meanAll: return "meanAll"
        case .mean: return "mean"
        case .extremeAll(let largest): return largest ? "extremeAll.max" : "extremeAll.min"
        case .extreme(_, _, let largest): return largest ? "extreme.max" : "extreme.min"
        case .softmax: return "softmax"
        case .logSoftmax: return "logSoftmax"
        case .reshape(let contiguousInput): return contiguousInput ? "reshape.view" : "reshape.unsafeView"
        case .clone: return "clone"
        case .transpose: return "transpose"
        case .permute: return "permute"
        case .squeeze(let dim): return dim == nil ? "squeeze.all" : "squeeze.dim"
        case .unsqueeze: return "unsqueeze"
        case .expand: return "expand"
        case .select: return "select"
        case .slice: return "slice"
        case .sliceBackward: return "sliceBackward"
        case .concatenate: return "concatenate"
        case .stack: return "stack"
        case .matmul(let kind):
            switch kind {
            case .dot: return "matmul.dot"
            case .matrixVector: return "matmul.matrixVector"
            case .vectorMatrix: return "matmul.vectorMatrix"
            case .matrixMatrix: return "matmul.matrixMatrix"
            case .batched(let clone): return clone ? "matmul.batchedClone" : "matmul.batched"
            }
        case .convolution(_, let hasBias): return hasBias ? "convolution.bias" : "convolution.noBias"
        case .unfold: return "unfold"
        case .fold: return "fold"
        case .maxPool2d: return "maxPool2d"
        case .indexSelect: return "indexSelect"
        case .indexAdd: return "indexAdd"
        case .toCopy: return "toCopy"
        case .selectWhere: return "selectWhere"
        case .maskedFill: return "maskedFill"
        case .copySlices: return "copySlices"
        case .detach: return "detach"
        case .custom: return "custom"
        // attention
        case .scaledDotProductAttention: return "scaledDotProductAttention"
        // math
        case .log1p: return "log1p"
        case .expm1: return "expm1"
        case .rsqrt: return "rsqrt"
        case .tan: return "tan"
        case .silu: return "silu"
        case .sinh: return "sinh"
        case .cosh: return "cosh"
        case .asin: return "asin"
        case .acos: return "acos"
        case .atan: return "atan"
        case .sign: return "sign"
        case .floor: return "floor"
        case .ceil: return "ceil"
        case .round: return "round"
        case .trunc: return "trunc"
        case .softplus: return "softplus"
        case .remainderScalar: return "remainderScalar"
        case .fmodScalar: return "fmodScalar"
        case .remainder: return "remainder"
        case .fmod: return "fmod"
        case .lerp: return "lerp"
        case .clampTensors(let hasMin, let hasMax):
            return hasMin && hasMax ? "clampTensors.both" : hasMin ? "clampTensors.min" : "clampTensors.max"
        case .nanToNum: return "nanToNum"
        case .variance: return "variance"
        case .standardDeviation: return "standardDeviation"
        case .productAll: return "productAll"
        case .product: return "product"
        case .logSumExp: return "logSumExp"
        case .vectorNorm: return "vectorNorm"
        case .cumulativeSum: return "cumulativeSum"
        case .cumulativeProduct: return "cumulativeProduct"
        case .extremeValues(_, _, let largest): return largest ? "extremeValues.max" : "extremeValues.min"
        case .medianAll: return "medianAll"
        case .median: return "median"
        case .topk: return "topk"
        case .sort(_, let stable): return stable ? "sort.stable" : "sort"
        case .unique: return "unique"
        // fused layers
        case .gelu(let tanh): return tanh ? "gelu.tanh" : "gelu.none"
        case .layerNorm(_, _, let hasWeight, let hasBias):
            return hasBias ? "layerNorm.affine" : (hasWeight ? "layerNorm.weightOnly" : "layerNorm.plain")
        // Shape ops, einsum and small linear algebra
        case .split(let part): return part.splitSize == nil ? "split.sizes" : "split.size"
        case .repetition: return "repetition"
        case .flip: return "flip"
        case .roll: return "roll"
        case .triangle(let upper, _): return upper ? "triangle.upper" : "triangle.lower"
        case .diagonal: return "diagonal"
        case .diagonalBackward: return "diagonalBackward"
        case .inverse: return "inverse"
        case .determinant: return "determinant"
        case .slogdet(let sign): return sign ? "slogdet.sign" : "slogdet.logabsdet"
        case .solve(let vectorRight): return vectorRight ? "solve.vector" : "solve.matrix"
        case .cholesky: return "cholesky"
        // indexing
        case .alias: return "alias"
        case .stridedSlice: return "stridedSlice"
        case .stridedSliceBackward: return "stridedSliceBackward"
        case .index: return "index"
        case .indexPut(_, let accumulate): return accumulate ? "indexPut.accumulate" : "indexPut.replace"
        case .gather: return "gather"
        case .scatter: return "scatter"
        case .scatterAdd: return "scatterAdd"
        case .indexAddSource: return "indexAddSource"
        case .maskedSelect: return "maskedSelect"
        // recurrent
        case .recurrentLayer(let mode, _, let cell):
            switch mode {
            case .lstm: return cell ? "recurrentLayer.lstmCell" : "recurrentLayer.lstm"
            case .gru: return cell ? "recurrentLayer.gruCell" : "recurrentLayer.gru"
            case .rnnTanh: return "recurrentLayer.rnnTanh"
            case .rnnRelu: return "recurrentLayer.rnnRelu"
            }
        }
    }
}
