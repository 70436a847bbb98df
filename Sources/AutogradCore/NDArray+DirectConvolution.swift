import CAutogradKernels

// Convolution without unfolding (conv_direct.c): for kernels with few input channels and taps,
// or small images, summing each output straight from the image beats im2col + GEMM, whose
// unfolded columns cost as much to write and read as the arithmetic. The rules below pick
// the direct kernels per piece (forward, weight gradient, input gradient) where they measured
// faster on an AVX2 machine (AMD EPYC, Zen 3, one thread, against im2col + GEMM blocked as
// in NDArray+Convolution.swift; Scripts/bench has no per-layer workload, these came from a
// C harness over the same kernels):
//
//   layer (N, C→O, H×W, k, pad)      im2col + GEMM fwd / dW / dx µs   direct fwd / dW / dx µs
//   LeNet 64, 1→6, 28×28, 5            813 /   971 /   858               322 /   318 /   755
//   LeNet 64, 6→16, 12×12, 5          1248 /  1285 /   962               463 /   670 /   771
//   64, 16→32, 12×12, 5               4351 /  4431 /  3591              2346 /  3918 /  3547
//   64, 32→64, 12×12, 5               8458 /  8401 /  7690              5681 /  9899 /  8508
//   64, 3→16, 32×32, 5                3040 /  3431 /  2944              2436 /  2844 /  3806
//   16, 3→64, 56×56, 3, pad 1         7910 /  5968 /  7531              6279 /  5715 / 13607
//   16, 8→64, 56×56, 3, pad 1        14588 / 13201 / 13907             16999 / 14846 / 28701
//   16, 32→64, 56×56, 3, pad 1       59253 / 45668 / 41992             58329 / 64259 / 83676
//
// The input gradient reads every output channel's gradient rows for each input row, so it
// pays only while one image's output gradient is small. Stride-1 3×3 layers with at least 16
// channels on each side go to the Winograd kernels before these rules are asked: forward and
// backward together ran 1.1-1.7× faster than with the direct kernels over 32×32, 28×28, 14×14
// and 4×4 images of 16 to 64 channels, and about as fast (0.97×) over 8×8 images of 64 (batch
// 16, two threads on a Zen 1, 3 alternating runs each of conv_fwd_bwd in a local build that
// read its shapes from the environment).

extension ConvolutionGeometry {
    /// Whether the direct kernels handle this geometry well: unit horizontal stride (other
    /// strides gather their inputs lane by lane).
    var suitsDirectKernels: Bool { stride.1 == 1 }

    /// Whether the forward pass of a convolution with `rows` = C·kh·kw unfolded rows and
    /// `positions` output positions per image runs directly: few rows, or a small image.
    func usesDirectForward(rows: Int, positions: Int) -> Bool {
        suitsDirectKernels && (rows <= 32 || positions <= 1024 && rows <= 1024)
    }

    /// Whether the weight gradient runs directly: few rows, or a small image and at most
    /// 256 rows.
    func usesDirectWeightGradient(rows: Int, positions: Int) -> Bool {
        suitsDirectKernels && (rows <= 32 || positions <= 1024 && rows <= 256)
    }

    /// Whether the input gradient runs directly: one image's output gradient (`outChannels`
    /// planes of `positions`) within 16 KB, and at most 256 unfolded rows.
    func usesDirectInputGradient(rows: Int, positions: Int, outChannels: Int) -> Bool {
        suitsDirectKernels && outChannels * positions <= 4096 && rows <= 256
    }
}

extension NDArray {
    /// ``convolution2d(_:_:bias:_:)`` by the direct kernels: `[N, C, H, W]` images, `[O, C, kh,
    /// kw]` kernels, optional `[O]` bias; any stride, padding and dilation.
    static func directConvolution2d(
        _ input: NDArray, _ weight: NDArray, bias: NDArray?, _ geometry: ConvolutionGeometry
    ) -> NDArray {
        let source = input.contiguous(), kernels = weight.contiguous(), biasValues = bias?.contiguous()
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let outChannels = kernels.shape[0]
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let result = NDArray(uninitialized: [n, outChannels, oh, ow])
        ag_conv2d_direct(source.pointer, Int64(n), Int64(c), Int64(h), Int64(w),
                         kernels.pointer, Int64(outChannels), Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                         Int64(geometry.stride.0), Int64(geometry.stride.1),
                         Int64(geometry.padding.0), Int64(geometry.padding.1),
                         Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                         biasValues?.pointer, Int64(oh), Int64(ow), result.storage.base)
        return result
    }

    /// The kernels' gradient `[O, C, kh, kw]` of ``directConvolution2d(_:_:bias:_:)`` from the
    /// output gradient `grad` `[N, O, outH, outW]`.
    static func directConvolution2dWeightGradient(
        _ grad: NDArray, input: NDArray, weightShape: [Int], geometry: ConvolutionGeometry
    ) -> NDArray {
        let gradient = grad.contiguous(), source = input.contiguous()
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let result = NDArray(uninitialized: weightShape)
        ag_conv2d_direct_weight_gradient(gradient.pointer, source.pointer, Int64(n), Int64(c), Int64(h), Int64(w),
                                         Int64(weightShape[0]), Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                                         Int64(geometry.stride.0), Int64(geometry.stride.1),
                                         Int64(geometry.padding.0), Int64(geometry.padding.1),
                                         Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                                         Int64(oh), Int64(ow), result.storage.base)
        return result
    }

    /// The input's gradient `inputShape` (`[N, C, H, W]`) of
    /// ``directConvolution2d(_:_:bias:_:)`` from the output gradient `grad` and the kernels.
    static func directConvolution2dInputGradient(
        _ grad: NDArray, weight: NDArray, inputShape: [Int], geometry: ConvolutionGeometry
    ) -> NDArray {
        let gradient = grad.contiguous(), kernels = weight.contiguous()
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let result = NDArray(uninitialized: inputShape)
        ag_conv2d_direct_input_gradient(gradient.pointer, kernels.pointer, Int64(n), Int64(c), Int64(h), Int64(w),
                                        Int64(kernels.shape[0]), Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                                        Int64(geometry.stride.0), Int64(geometry.stride.1),
                                        Int64(geometry.padding.0), Int64(geometry.padding.1),
                                        Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                                        Int64(oh), Int64(ow), result.storage.base)
        return result
    }
}
