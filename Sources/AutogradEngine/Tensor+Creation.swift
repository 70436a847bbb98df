import AutogradCore

extension Tensor {
    /// A 0-d tensor holding `value`.
    public convenience init(_ value: Float, requiresGrad: Bool = false) {
        self.init(NDArray(shape: [], scalars: [value]), requiresGrad: requiresGrad)
    }

    /// A 1-D tensor of `scalars`.
    public convenience init(_ scalars: [Float], requiresGrad: Bool = false) {
        self.init(NDArray(shape: [scalars.count], scalars: scalars), requiresGrad: requiresGrad)
    }

    /// A 2-D tensor from rows of equal length.
    public convenience init(_ rows: [[Float]], requiresGrad: Bool = false) {
        let (shape, scalars) = Tensor.flatten(rows.map { ([$0.count], $0) })
        self.init(shape: shape, scalars: scalars, requiresGrad: requiresGrad)
    }

    /// A 3-D tensor from nested arrays of equal lengths.
    public convenience init(_ blocks: [[[Float]]], requiresGrad: Bool = false) {
        let (shape, scalars) = Tensor.flatten(blocks.map { Tensor.flatten($0.map { ([$0.count], $0) }) })
        self.init(shape: shape, scalars: scalars, requiresGrad: requiresGrad)
    }

    /// A 4-D tensor from nested arrays of equal lengths, such as `[[[[2, 2], [4, 3]]]]`.
    public convenience init(_ batches: [[[[Float]]]], requiresGrad: Bool = false) {
        let (shape, scalars) = Tensor.flatten(
            batches.map { Tensor.flatten($0.map { Tensor.flatten($0.map { ([$0.count], $0) }) }) })
        self.init(shape: shape, scalars: scalars, requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        self.init(NDArray(shape: shape, scalars: scalars), requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        self.init(NDArray(repeating: value, shape: shape), requiresGrad: requiresGrad)
    }

    /// A tensor of zeros, like `torch.zeros`.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(NDArray(zeros: shape), requiresGrad: requiresGrad)
    }

    /// A tensor of ones, like `torch.ones`.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(repeating: 1, shape: shape, requiresGrad: requiresGrad)
    }

    /// Stacks equally shaped parts into one shape and one row-major list of values.
    private static func flatten(_ parts: [([Int], [Float])]) -> ([Int], [Float]) {
        guard let first = parts.first else { return ([0], []) }
        for part in parts where part.0 != first.0 {
            usageFailure("tensor: expected sequence of length \(first.0) but got \(part.0) (nested arrays must be rectangular)")
        }
        return ([parts.count] + first.0, parts.flatMap { $0.1 })
    }
}
