import CAutogradKernels

/// The geometry of a 2-D convolution: kernel size, stride, padding and dilation per axis.
public struct ConvolutionGeometry: Equatable, Sendable {
    /// Kernel height and width.
    public var kernel: (Int, Int)
    /// Step between windows, per axis.
    public var stride: (Int, Int)
    /// Zeros added on each side, per axis.
    public var padding: (Int, Int)
    /// Spacing between kernel taps, per axis.
    public var dilation: (Int, Int)

    /// A geometry from its parts.
    public init(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// The output height and width for an input of `height` x `width`.
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        let h = (height + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1
        let w = (width + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        return (h, w)
    }

    public static func == (a: ConvolutionGeometry, b: ConvolutionGeometry) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
    }
}

extension NDArray {
    /// Unfolds a batch of images `[N, C, H, W]` into columns
    /// `[N, C * kh * kw, outH * outW]` (PyTorch's `unfold` / im2col).
    public func unfolded(_ geometry: ConvolutionGeometry) -> NDArray {
        precondition(rank == 4, "unfold: expected a 4-D input [N, C, H, W], got \(shape)")
        let source = contiguous()
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let rows = c * geometry.kernel.0 * geometry.kernel.1
        let result = NDArray(uninitialized: [n, rows, oh * ow])
        for image in 0..<n {
            ag_im2col(source.pointer + image * c * h * w, Int64(c), Int64(h), Int64(w),
                      Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                      Int64(geometry.stride.0), Int64(geometry.stride.1),
                      Int64(geometry.padding.0), Int64(geometry.padding.1),
                      Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                      Int64(oh), Int64(ow), result.storage.base + image * rows * oh * ow)
        }
        return result
    }

    /// Folds columns `[N, C * kh * kw, outH * outW]` back into images `[N, C, H, W]`,
    /// adding overlapping entries: the adjoint of ``unfolded(_:)``.
    public func folded(_ geometry: ConvolutionGeometry, imageShape: [Int]) -> NDArray {
        let source = contiguous()
        let (n, c, h, w) = (imageShape[0], imageShape[1], imageShape[2], imageShape[3])
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let rows = c * geometry.kernel.0 * geometry.kernel.1
        precondition(shape == [n, rows, oh * ow], "fold: expected columns of shape \([n, rows, oh * ow]), got \(shape)")
        let result = NDArray(zeros: imageShape)
        for image in 0..<n {
            ag_col2im(source.pointer + image * rows * oh * ow, Int64(c), Int64(h), Int64(w),
                      Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                      Int64(geometry.stride.0), Int64(geometry.stride.1),
                      Int64(geometry.padding.0), Int64(geometry.padding.1),
                      Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                      Int64(oh), Int64(ow), result.storage.base + image * c * h * w)
        }
        return result
    }
}
