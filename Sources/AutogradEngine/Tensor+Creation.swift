import AutogradCore

extension Tensor {
    /// A float32 tensor of `shape` holding `scalars` in row-major order.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        self.init(NDArray(shape: shape, scalars: scalars), requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` and `dtype` filled with `value`, like `torch.full`.
    public convenience init(repeating value: Float, shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) {
        let array = dtype == .float32
            ? NDArray(repeating: value, shape: shape)
            : NDArray(repeating: Double(value), shape: shape, dtype: dtype)
        self.init(array, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros, like `torch.zeros`.
    public static func zeros(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        Tensor(NDArray(zeros: shape, dtype: dtype), requiresGrad: requiresGrad)
    }

    /// A tensor of ones, like `torch.ones`.
    public static func ones(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        Tensor(repeating: 1, shape: shape, dtype: dtype, requiresGrad: requiresGrad)
    }
}
