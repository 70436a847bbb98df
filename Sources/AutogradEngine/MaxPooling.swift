import AutogradCore

extension Tensor {
    /// Max pooling of a batch of images `[N, C, H, W]` with the windows of `geometry`
    /// (PyTorch's `max_pool2d_with_indices`): each output is the largest tap of its window,
    /// over the image padded with `-∞`; the gradient goes to that tap (the first one on a
    /// tie). Recorded as `MaxPool2DWithIndicesBackward0`; the NN layer
    /// `maxPool2d(_:kernelSize:stride:padding:dilation:)` checks the settings and calls this.
    public func maxPool2d(_ geometry: ConvolutionGeometry) -> Tensor {
        let (values, indices) = array.maxPooled(geometry)
        return Tensor.record(values, .maxPool2d(geometry), input: self, auxiliary: .array(indices))
    }
}

/// The input gradient of max pooling: `grad` `[N, C, outH, outW]` added into zeros of
/// `inputShape` at the saved positions of the maxima. When the backward pass is recorded
/// (double backward) the scatter is an `indexAdd` over the flattened input, whose own
/// backward gathers the gradient back; otherwise one fused kernel does it.
func maxPool2dGradient(_ grad: Tensor, indices: NDArray, inputShape: [Int]) -> Tensor {
    guard GradMode.isEnabled else {
        return Tensor(NDArray.maxPoolGradient(grad.array, indices: indices, inputShape: inputShape))
    }
    let (planeSize, outputPlaneSize) = (inputShape[2] * inputShape[3], indices.shape[2] * indices.shape[3])
    let positions = indices.contiguous().scalars
    let flatPositions = positions.indices.map { i in i / outputPlaneSize * planeSize + Int(positions[i]) }
    return grad.reshape([-1])
        .indexAdd(dim: 0, indices: flatPositions, size: inputShape.reduce(1, *))
        .reshape(inputShape)
}
