import AutogradCore
import AutogradEngine

/// A lookup table of vectors, like `torch.nn.Embedding`: index `i` gives row `i` of
/// `weight`, and the gradient of each looked-up row adds up in that row.
/// ```swift
/// let embedding = Embedding(numEmbeddings: 100, embeddingDim: 8)
/// let vectors = embedding(Tensor([[3, 14], [15, 92]]))   // [2, 2] indices → [2, 2, 8]
/// ```
public final class Embedding: Module {
    /// The table, `[numEmbeddings, embeddingDim]`, initialised from the standard normal
    /// distribution as in PyTorch.
    public var weight: Parameter
    /// The number of rows.
    public let numEmbeddings: Int
    /// The length of each row.
    public let embeddingDim: Int

    /// A table of `numEmbeddings` random vectors of length `embeddingDim`.
    public init(numEmbeddings: Int, embeddingDim: Int, generator: RandomGenerator = .default) {
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        weight = Parameter(Tensor.randn([numEmbeddings, embeddingDim], generator: generator))
    }

    /// The rows at `indices` (an integer tensor of any shape), giving
    /// `indices.shape + [embeddingDim]`.
    public override func forward(_ indices: Tensor) -> Tensor {
        checkUsage(indices.dtype.isInteger,
                   "embedding: Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got \(indices.dtype) instead")
        let rows = indices.asArray(Int.self).map { value -> Int in
            checkUsage(value >= 0 && value < numEmbeddings,
                       "embedding: index \(value) is out of range for a table of \(numEmbeddings) rows")
            return value
        }
        return weight.indexSelect(dim: 0, indices: rows).reshape(indices.shape + [embeddingDim])
    }

    /// PyTorch's settings string, `100, 8`.
    public override var extraDescription: String { "\(numEmbeddings), \(embeddingDim)" }
}
