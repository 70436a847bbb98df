import AutogradEngine

/// Inputs kept as the bytes a file stores, made into floats (`byte / divisor`) only for the
/// examples a batch takes, as torchvision's MNIST keeps `uint8` images and `ToTensor`
/// divides them by 255 per example: a quarter of the memory of a float tensor.
struct ByteInputs {
    /// All inputs, row-major.
    let bytes: [UInt8]
    /// Their shape, `[count, ...]`.
    let shape: [Int]
    /// The float each byte value becomes.
    private let table: [Float]

    /// Inputs of `shape` whose floats are `byte / divisor`.
    init(bytes: [UInt8], shape: [Int], divisor: Float) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == bytes.count,
                     "TensorDataset: \(bytes.count) input bytes do not fill the shape \(shape)")
        self.bytes = bytes
        self.shape = shape
        self.table = (0...255).map { Float($0) / divisor }
    }

    /// The examples at `indices` as floats, stacked along a new first dimension.
    func batch(_ indices: [Int]) -> Tensor {
        Tensor(shape: [indices.count] + shape.dropFirst(), scalars: floats(indices))
    }

    /// The example at `index` as floats.
    func example(_ index: Int) -> Tensor {
        Tensor(shape: Array(shape.dropFirst()), scalars: floats([index]))
    }

    /// The floats of the examples at `indices`, one after another.
    private func floats(_ indices: [Int]) -> [Float] {
        let size = shape.dropFirst().reduce(1, *)
        var scalars: [Float] = []
        scalars.reserveCapacity(indices.count * size)
        for index in indices {
            precondition(index >= 0 && index < shape[0], "TensorDataset: index \(index) is out of range for \(shape[0]) examples")
            scalars += bytes[(index * size)..<((index + 1) * size)].lazy.map { table[Int($0)] }
        }
        return scalars
    }
}
