//// A shape, dimension, index or dtype that an op cannot accept, thrown by shape
/// computations before any work is done. Each case carries the op's name and the shapes
/// or values involved; ``message`` words it as PyTorch does, so the two can be compared.
public enum ShapeError: Error, CustomStringConvertible, Equatable {
    /// Two shapes that do not broadcast, e.g. `mul: shapes [2, 3] and [4] cannot be broadcast`.
    case notBroadcastable(op: String, [Int], [Int])
    /// A dimension outside `[-rank, rank - 1]` (a 0-d tensor accepts -1 and 0).
    case dimensionOutOfRange(op: String, dim: Int, rank: Int)
    /// An index outside `0..<size` along `dim`.
    case indexOutOfBounds(op: String, index: Int, dim: Int, size: Int)
    /// A dimension named twice in a list of dimensions to reduce.
    case repeatedDimension(op: String, dim: Int)
    /// `matmul` of an operand with fewer than two dimensions where two are needed.
    case matmulNeedsMatrices(lhs: [Int], rhs: [Int])
    /// `matmul` whose inner sizes differ.
    case matmulInnerSizes(lhs: [Int], rhs: [Int])
    /// Two operands that must share a dtype (as `torch.matmul` requires) but do not.
    case dtypeMismatch(op: String, DType, DType)
    /// An op that has no kernel for a dtype, e.g. bitwise ops on floats.
    case unsupportedDType(op: String, DType)
    /// A list of tensors that must not be empty.
    case emptyTensorList(op: String)
    /// A 0-d tensor passed to `cat`.
    case zeroDimensionalConcatenation(op: String)
    /// An index into a 0-d tensor.
    case zeroDimensionalIndex(op: String)
    /// A slice of a 0-d tensor.
    case zeroDimensionalSlice(op: String)
    /// Tensors joined along `dim` whose other sizes differ (tensor `index` against tensor 0).
    case joinedSizesDiffer(op: String, dim: Int, first: [Int], index: Int, other: [Int])
    /// A target shape with more than one `-1`.
    case multipleInferredDimensions(op: String)
    /// A target shape whose element count differs from the input's.
    case invalidShape(op: String, shape: [Int], count: Int)
    /// `permute` with a list of dimensions whose length is not the rank.
    case permuteRankMismatch(dims: [Int], shape: [Int])
    /// `permute` with a dimension listed twice.
    case permuteRepeatedDimension(dims: [Int])
    /// `expand` to fewer dimensions than the tensor has.
    case expandTooFewSizes(sizes: [Int], rank: Int)
    /// `expand` with -1 in a new leading dimension.
    case expandInferredLeadingDimension
    /// `expand` that would stretch a dimension whose size is not 1.
    case expandSizeMismatch(sizes: [Int], shape: [Int], dim: Int)
    /// A window setting (kernel size, stride, dilation, padding) out of its range.
    case invalidWindowSetting(op: String, setting: WindowSetting, value: [Int])
    /// Negative input sizes for a windowed op.
    case negativeInputSize(op: String, height: Int, width: Int)
    /// An input smaller than one window: the output would be empty.
    case outputTooSmall(op: String, input: [Int], output: [Int])
    /// A convolution weight that is not `[out_channels, in_channels, kH, kW]`.
    case convolutionWeightRank(weight: [Int])
    /// A convolution input that is not `[N, C, H, W]`.
    case convolutionInputRank(input: [Int], weight: [Int])
    /// A convolution input whose channels differ from the weight's.
    case convolutionChannels(input: [Int], weight: [Int])
    /// A convolution bias that is not one value per output channel.
    case convolutionBias(bias: [Int], weight: [Int])
    /// A (dilated) kernel larger than the padded input.
    case kernelLargerThanInput(paddedInput: [Int], kernel: [Int])
    /// A reduction with no identity (amax, amin, median) over a dimension of size 0.
    case emptyReductionDimension(op: String, dim: Int)
    /// `topk` asking for more elements than the dimension has, or fewer than none.
    case selectedIndexOutOfRange(op: String, k: Int, size: Int)
    /// An op defined for floating-point tensors only (var, std, norm, ...) given another dtype.
    case floatingPointRequired(op: String, DType)
    /// A second operand whose dtype must equal the first's (`lerp`'s `end`).
    case expectedDType(op: String, argument: String, expected: DType, got: DType)
    // Shape ops, einsum and linear algebra
    /// `split` or `chunk` of a 0-d tensor.
    case splitOfScalar(op: String)
    /// `split` with a negative size.
    case negativeSplitSize(Int)
    /// `split` with size 0 along a dimension that is not empty.
    case zeroSplitSize(dimensionSize: Int)
    /// `split(sizes:)` whose sizes do not add up to the size of `dim`.
    case splitSizesSum(sizes: [Int], dimensionSize: Int, dim: Int)
    /// `split(sizes:)` with a negative size.
    case negativeSplitSizes(sizes: [Int])
    /// `chunk` into no chunks or a negative number of them.
    case nonPositiveChunks(Int)
    /// `repeat` with fewer repetitions than the tensor has dimensions.
    case repeatTooFewDimensions(repeats: [Int], rank: Int)
    /// An op whose result would have a negative size.
    case negativeDimension(op: String, shape: [Int])
    /// `roll` with a different number of shifts and dimensions.
    case rollMisaligned(shifts: Int, dims: Int)
    /// `roll` without shifts.
    case rollWithoutShifts
    /// A dimension of a 0-d tensor that must have one (`roll`, `unflatten`).
    case dimensionOfScalar(op: String, dim: Int)
    /// `tril` or `triu` of a tensor with fewer than two dimensions.
    case triangleNeedsMatrix(op: String, rank: Int)
    /// `diagonal` between a dimension and itself.
    case identicalDiagonalDimensions(Int, Int)
    /// `unflatten` into sizes whose product is not the size of the dimension.
    case unflattenSizes(sizes: [Int], dim: Int, size: Int)
    /// `unflatten` into no sizes.
    case unflattenEmptySizes
    /// `narrow` of a 0-d tensor.
    case narrowOfScalar
    /// `narrow` with a start outside `[-size, size]`.
    case narrowStartOutOfRange(start: Int, size: Int)
    /// `narrow` with a negative length.
    case narrowNegativeLength(Int)
    /// `narrow` past the end of the dimension.
    case narrowPastEnd(start: Int, length: Int, size: Int)
    /// `movedim` with lists of different lengths.
    case movedimCounts(source: [Int], destination: [Int])
    /// `movedim` with a dimension listed twice in `source` (or `destination`).
    case movedimRepeated(argument: String, dims: [Int])
    /// `outer` of an argument that is not 1-D (`self` or `vec2`).
    case outerNeedsVectors(argument: String, rank: Int)
    /// `dot` of arguments that are not both 1-D.
    case dotNeedsVectors(lhsRank: Int, rhsRank: Int)
    /// `dot` of vectors of different lengths.
    case dotSizes(lhs: Int, rhs: Int)
    /// `dot` of vectors of different dtypes.
    case dotDTypes(DType, DType)
    /// An `einsum` equation that does not fit its operands.
    case einsum(EinsumFault)
    /// A linear-algebra argument (`A` or `B`) with fewer than two dimensions.
    case linalgNeedsMatrices(op: String, argument: String)
    /// A linear-algebra input whose matrices are not square.
    case notSquareMatrices(op: String, rows: Int, columns: Int)
    /// A linear-algebra input that is not floating point.
    case linalgNeedsFloatingPoint(op: String, DType)
    /// A linear-algebra input in float16 or bfloat16.
    case linalgLowPrecision(op: String, DType)
    /// `solve` with `A` and `B` whose sizes do not fit `AX = B` (the matrices' sizes).
    case solveShapes(a: [Int], b: [Int])
    /// `solve` with `A` and `B` of different dtypes.
    case solveDTypes(DType, DType)
    // Indexing, gather and scatter.
    /// An index tensor of a dtype the op does not take (index ops take int64 and int32;
    /// subscripts also take bool and uint8 masks).
    case invalidIndexDType(op: String, DType)
    /// A slice step that is zero or negative (slices cannot run backwards).
    case invalidSliceStep(Int)
    /// A subscript with more indices than the tensor has dimensions.
    case tooManyIndices(rank: Int)
    /// A bool mask whose size at `maskDim` differs from the indexed tensor's at `dim`.
    case maskShapeMismatch(mask: [Int], maskDim: Int, shape: [Int], dim: Int)
    /// Index tensors of a subscript whose shapes do not broadcast together.
    case indicesNotBroadcastable([[Int]])
    /// Values for an indexed assignment that do not broadcast to the indexing result.
    case indexPutValueShape(value: [Int], result: [Int])
    /// Values of another dtype than the tensor they are written into.
    case sourceDTypeMismatch(op: String, destination: DType, source: DType)
    /// A gather or scatter index whose rank differs from the `operand` tensor's
    /// (`input`, `self` or `src`).
    case indexRankMismatch(operand: String)
    /// A gather index larger than the input outside `dim` (first at `at`).
    case gatherIndexTooLarge(index: [Int], input: [Int], dim: Int, at: Int)
    /// A scatter index larger than the tensor outside `dim`, or than the source anywhere.
    case scatterIndexTooLarge(index: [Int], destination: [Int], source: [Int], dim: Int)
    /// An index that must be one-dimensional (or a single value) but is not.
    case indexNotVector(op: String)
    /// `index_add` with a different number of indices than source slices along `dim`.
    case indexCountMismatch(op: String, count: Int, sourceSize: Int, dim: Int)
    /// `index_add` whose source differs from the tensor outside `dim`.
    case indexedSourceShape(shape: [Int], source: [Int])
    /// A mask that is not a bool tensor.
    case invalidMaskDType(op: String, DType)

    /// The settings of a sliding window, as ``invalidWindowSetting(op:setting:value:)`` names them.
    public enum WindowSetting: String, Equatable, Sendable {
        /// `kernel_size`, which must be positive.
        case kernelSize = "kernel size"
        /// `stride`, which must be positive.
        case stride
        /// `dilation`, which must be positive.
        case dilation
        /// `padding`, which must not be negative.
        case padding
    }

    /// What went wrong, naming the op and the shapes, in PyTorch's words.
    public var message: String {
        switch self {
        case .notBroadcastable(let op, let a, let b):
            return "\(op): shapes \(a) and \(b) cannot be broadcast"
        case .dimensionOutOfRange(let op, let dim, let rank):
            let bound = Swift.max(rank, 1)
            return "\(op): dimension out of range (expected to be in range of [\(-bound), \(bound - 1)], but got \(dim))"
        case .indexOutOfBounds(let op, let index, let dim, let size):
            return "\(op): index \(index) is out of bounds for dimension \(dim) with size \(size)"
        case .repeatedDimension(let op, let dim):
            return "\(op): dim \(dim) appears multiple times in the list of dims"
        case .matmulNeedsMatrices(let lhs, let rhs):
            return "matmul: both arguments need at least 2 dimensions, got \(lhs) and \(rhs)"
        case .matmulInnerSizes(let lhs, let rhs):
            let (m, k) = (lhs[lhs.count - 2], lhs[lhs.count - 1]), (k2, n) = (rhs[rhs.count - 2], rhs[rhs.count - 1])
            return "matmul: mat1 and mat2 shapes cannot be multiplied (\(m)x\(k) and \(k2)x\(n)); shapes \(lhs) and \(rhs)"
        case .dtypeMismatch(_, let a, let b):
            return "expected m1 and m2 to have the same dtype, but got: \(a.rawValue) != \(b.rawValue)"
        case .unsupportedDType(let op, let dtype):
            return "\(op): not implemented for '\(dtype.scalarTypeName)'"
        case .emptyTensorList(let op):
            return "\(op): expected a non-empty list of Tensors"
        case .zeroDimensionalConcatenation(let op):
            return "\(op): zero-dimensional tensor cannot be concatenated"
        case .zeroDimensionalIndex(let op):
            return "\(op): invalid index of a 0-dim tensor"
        case .zeroDimensionalSlice(let op):
            return "\(op): cannot slice a 0-dim tensor"
        case .joinedSizesDiffer(let op, let dim, let first, let index, let other):
            return "\(op): sizes of tensors must match except in dimension \(dim); tensor 0 has shape \(first) and tensor \(index) has shape \(other)"
        case .multipleInferredDimensions(let op):
            return "\(op): only one dimension can be inferred"
        case .invalidShape(let op, let shape, let count):
            return "\(op): shape '\(shape)' is invalid for input of size \(count)"
        case .permuteRankMismatch(let dims, let shape):
            return "permute: number of dims \(dims) don't match the tensor's shape \(shape)"
        case .permuteRepeatedDimension(let dims):
            return "permute: repeated dim in \(dims)"
        case .expandTooFewSizes(let sizes, let rank):
            return "expand: the number of sizes provided (\(sizes.count)) must be greater or equal to the number of dimensions in the tensor (\(rank))"
        case .expandInferredLeadingDimension:
            return "expand: -1 is not allowed in a leading, non-existing dimension"
        case .expandSizeMismatch(let sizes, let shape, let dim):
            let own = shape[dim - (sizes.count - shape.count)]
            return "expand: the expanded size of the tensor (\(sizes[dim])) must match the existing size (\(own)) at non-singleton dimension \(dim). Target sizes: \(sizes). Tensor sizes: \(shape)"
        case .invalidWindowSetting(let op, let setting, let value):
            let argument = setting == .kernelSize ? "kernel_size" : setting.rawValue
            let requirement = setting == .padding ? "be non-negative" : "be greater than zero"
            return "\(op): \(setting.rawValue) should \(requirement), but got \(argument)=\(Self.pair(value))"
        case .negativeInputSize(let op, let height, let width):
            return "\(op): input sizes must not be negative, got \(height)x\(width)"
        case .outputTooSmall(let op, let input, let output):
            return "\(op): Given input size: (\(input.map(String.init).joined(separator: "x"))). Calculated output size: (\(output.map(String.init).joined(separator: "x"))). Output size is too small"
        case .convolutionWeightRank(let weight):
            return "conv2d: expected weight to be 4-D [out_channels, in_channels, kH, kW], but got weight of size \(weight)"
        case .convolutionInputRank(let input, let weight):
            return "conv2d: expected 4-D input [N, C, H, W] for weight of size \(weight), but got input of size \(input)"
        case .convolutionChannels(let input, let weight):
            return "conv2d: Given groups=1, weight of size \(weight), expected input\(input) to have \(weight[1]) channels, but got \(input[1]) channels instead"
        case .convolutionBias(let bias, let weight):
            return "conv2d: Given weight of size \(weight), expected bias to be 1-dimensional with \(weight[0]) elements, but got bias of size \(bias) instead"
        case .emptyReductionDimension(let op, let dim):
            return "\(op)(): Expected reduction dim \(dim) to have non-zero size."
        case .selectedIndexOutOfRange(let op, _, _):
            return "\(op): selected index k out of range"
        case .floatingPointRequired(let op, let dtype):
            switch op {
            case "var", "std": return "\(op): std and var only support floating point and complex dtypes"
            case "linalg.vector_norm":
                return "linalg.vector_norm: Expected a floating point or complex tensor as input. Got \(dtype.scalarTypeName)"
            default: return "\(op): expected a floating point tensor as input. Got \(dtype.scalarTypeName)"
            }
        case .expectedDType(let op, let argument, let expected, let got):
            return "\(op): expected dtype \(Self.cppTypeName(expected)) for `\(argument)` but got dtype \(Self.cppTypeName(got))"
        case .kernelLargerThanInput(let padded, let kernel):
            return "conv2d: Calculated padded input size per channel: (\(padded[0]) x \(padded[1])). Kernel size: (\(kernel[0]) x \(kernel[1])). Kernel size can't be greater than actual input size"
        // Shape ops, einsum and linear algebra
        case .splitOfScalar(let op):
            return "\(op) expects at least a 1-dimensional tensor"
        case .negativeSplitSize(let size):
            return "split expects split_size be non-negative, but got split_size=\(size)"
        case .zeroSplitSize(let size):
            return "split_size can only be 0 if dimension size is 0, but got dimension size of \(size)"
        case .splitSizesSum(let sizes, let size, let dim):
            return "split_with_sizes expects split_sizes to sum exactly to \(size) (input tensor's size at dimension \(dim)), but got split_sizes=\(sizes)"
        case .negativeSplitSizes(let sizes):
            return "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=\(sizes)"
        case .nonPositiveChunks(let chunks):
            return "chunk expects `chunks` to be greater than 0, got: \(chunks)"
        case .repeatTooFewDimensions:
            return "repeat: Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        case .negativeDimension(let op, let shape):
            let negative = shape.first { $0 < 0 } ?? -1
            return "\(op): Trying to create tensor with negative dimension \(negative): \(shape)"
        case .rollMisaligned(let shifts, let dims):
            return "roll: shifts and dimensions must align. shifts: \(shifts), dims:\(dims)"
        case .rollWithoutShifts:
            return "roll: `shifts` required"
        case .dimensionOfScalar(let op, let dim):
            return "\(op): Dimension specified as \(dim) but tensor has no dimensions"
        case .triangleNeedsMatrix(let op, _):
            return "\(op): input tensor must have at least 2 dimensions"
        case .identicalDiagonalDimensions(let a, let b):
            return "diagonal: diagonal dimensions cannot be identical \(a), \(b)"
        case .unflattenSizes(let sizes, let dim, let size):
            return "unflatten: Provided sizes \(sizes) don't multiply up to the size of dim \(dim) (\(size)) in the input tensor"
        case .unflattenEmptySizes:
            return "unflatten: sizes must be non-empty"
        case .narrowOfScalar:
            return "narrow() cannot be applied to a 0-dim tensor."
        case .narrowStartOutOfRange(let start, let size):
            return "narrow: start out of range (expected to be in range of [\(-size), \(size)], but got \(start))"
        case .narrowNegativeLength:
            return "narrow(): length must be non-negative."
        case .narrowPastEnd(let start, let length, let size):
            return "narrow: start (\(start)) + length (\(length)) exceeds dimension size (\(size))."
        case .movedimCounts(let source, let destination):
            return "movedim: Invalid source or destination dims: source (\(source) dims) should contain the same number of dims as destination (\(destination) dims)"
        case .movedimRepeated(let argument, let dims):
            return "movedim: repeated dim in `\(argument)` (\(dims))"
        case .outerNeedsVectors(let argument, let rank):
            return "outer: Expected 1-D argument \(argument), but got \(rank)-D"
        case .dotNeedsVectors(let a, let b):
            return "dot: 1D tensors expected, but got \(a)D and \(b)D tensors"
        case .dotSizes(let a, let b):
            return "dot: inconsistent tensor size, expected tensor [\(a)] and src [\(b)] to have the same number of elements, but got \(a) and \(b) elements respectively"
        case .dotDTypes(let a, let b):
            return "dot : expected both vectors to have same dtype, but found \(a.scalarTypeName) and \(b.scalarTypeName)"
        case .einsum(let fault):
            return "einsum(): \(fault.message)"
        case .linalgNeedsMatrices(let op, let argument):
            return "\(op): The input tensor \(argument) must have at least 2 dimensions."
        case .notSquareMatrices(let op, let rows, let columns):
            return "\(op): A must be batches of square matrices, but they are \(rows) by \(columns) matrices"
        case .linalgNeedsFloatingPoint(let op, let dtype):
            return "\(op): Expected a floating point or complex tensor as input. Got \(dtype.scalarTypeName)"
        case .linalgLowPrecision(let op, let dtype):
            return "\(op): Low precision dtypes not supported. Got \(dtype.scalarTypeName)"
        case .solveShapes(let a, let b):
            return "linalg.solve: Incompatible shapes of A and B for the equation AX = B (\(a[0])x\(a[1]) and \(b[0])x\(b[1]))"
        case .solveDTypes(let a, let b):
            return "linalg.solve: Expected A and B to have the same dtype, but found A of type \(a.scalarTypeName) and B of type \(b.scalarTypeName) instead"
        // Indexing, gather and scatter.
        case .invalidIndexDType(let op, let dtype):
            switch op {
            case "index": return "tensors used as indices must be long, int, byte or bool tensors"
            case "index_select": return "index_select(): Expected dtype int32 or int64 for index"
            case "index_add_": return "index_add_(): Expected dtype int32/int64 for index but got: \(dtype.scalarTypeName)"
            default: return "\(op)(): Expected dtype int32/int64 for index"
            }
        case .invalidSliceStep(let step):
            return step == 0 ? "slice step cannot be zero" : "step must be greater than zero"
        case .tooManyIndices(let rank):
            return "too many indices for tensor of dimension \(rank)"
        case .maskShapeMismatch(let mask, let maskDim, let shape, let dim):
            return "The shape of the mask \(mask) at index \(maskDim) does not match the shape of the indexed tensor \(shape) at index \(dim)"
        case .indicesNotBroadcastable(let shapes):
            return "shape mismatch: indexing tensors could not be broadcast together with shapes \(shapes.map { "\($0)" }.joined(separator: ", "))"
        case .indexPutValueShape(let value, let result):
            return "shape mismatch: value tensor of shape \(value) cannot be broadcast to indexing result of shape \(result)"
        case .sourceDTypeMismatch(let op, let destination, let source):
            switch op {
            case "index_put":
                return "Index put requires the source and destination dtypes match, got \(destination.scalarTypeName) for the destination and \(source.scalarTypeName) for the source."
            case "index_add_":
                return "index_add_(): self (\(destination.scalarTypeName)) and source (\(source.scalarTypeName)) must have the same scalar type"
            default: return "\(op)(): Expected self.dtype to be equal to src.dtype"
            }
        case .indexRankMismatch(let operand):
            return "Index tensor must have the same number of dimensions as \(operand) tensor"
        case .gatherIndexTooLarge(let index, let input, let dim, let at):
            return "Size does not match at dimension \(at) expected index \(index) to be no larger than self \(input) apart from dimension \(dim)"
        case .scatterIndexTooLarge(let index, let destination, let source, let dim):
            return "Expected index \(index) to be no larger than self \(destination) apart from dimension \(dim) and to be no larger size than src \(source)"
        case .indexNotVector(let op):
            return "\(op)(): Index is supposed to be a vector"
        case .indexCountMismatch(let op, let count, let sourceSize, let dim):
            return "\(op)(): Number of indices (\(count)) should be equal to source.size(dim): (\(sourceSize)), for dim: \(dim)"
        case .indexedSourceShape(let shape, let source):
            return "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = \(shape) source.shape = \(source)"
        case .invalidMaskDType(let op, _):
            return "\(op): expected BoolTensor for mask"
        }
    }

    /// The message.
    public var description: String { message }

    /// A dtype as PyTorch's C++ messages name it: `float`, `double`, `c10::Half`, ...
    private static func cppTypeName(_ dtype: DType) -> String {
        switch dtype {
        case .float32: return "float"
        case .float64: return "double"
        case .float16: return "c10::Half"
        case .bfloat16: return "c10::BFloat16"
        case .bool: return "bool"
        default: return dtype.scalarTypeName.lowercased()
        }
    }

    /// A pair of window sizes as PyTorch prints them: `(2, 3)`.
    private static func pair(_ value: [Int]) -> String {
        "(\(value.map(String.init).joined(separator: ", ")))"
    }
}

/// Runs a shape check and stops with its message (in every build, see
/// ``usageFailure(_:file:line:)``) if it fails.
@inline(__always)
public func trapOnShapeError<T>(
    file: StaticString = #fileID, line: UInt = #line, _ check: () throws(ShapeError) -> T
) -> T {
    do {
        return try check()
    } catch {
        usageFailure(error.message, file: file, line: line)
    }
}

/// Turns a possibly negative dimension index into one in `0..<rank`.
///
/// A 0-d tensor accepts dimensions -1 and 0, as in PyTorch.
public func normalizedDimension(_ dim: Int, rank: Int, op: String) throws(ShapeError) -> Int {
    let bound = Swift.max(rank, 1)
    guard dim >= -bound && dim < bound else {
        throw .dimensionOutOfRange(op: op, dim: dim, rank: rank)
    }
    return dim < 0 ? dim + bound : dim
}
