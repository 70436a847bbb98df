import Testing
import AutogradCore

/// Output sizes of convolution and pooling windows follow PyTorch's formula, rounded down,
/// and windows that do not fit are errors (not a size of 1 that reads past the image).
@Suite struct ConvolutionGeometryTests {
    /// One axis: input size, kernel, stride, padding, dilation, and the size PyTorch gives
    /// (`torch.nn.functional.max_pool2d` / `conv2d` on such an input), or nil where PyTorch
    /// raises.
    struct Axis: Sendable, CustomTestStringConvertible {
        let input, kernel, stride, padding, dilation: Int
        let expected: Int?
        var testDescription: String { "size \(input) kernel \(kernel) stride \(stride) padding \(padding) dilation \(dilation)" }
    }

    static let axes: [Axis] = [
        Axis(input: 1, kernel: 2, stride: 2, padding: 0, dilation: 1, expected: nil),
        Axis(input: 0, kernel: 2, stride: 2, padding: 0, dilation: 1, expected: nil),
        Axis(input: 2, kernel: 3, stride: 1, padding: 0, dilation: 1, expected: nil),
        Axis(input: 3, kernel: 2, stride: 2, padding: 0, dilation: 1, expected: 1),
        Axis(input: 4, kernel: 2, stride: 2, padding: 0, dilation: 1, expected: 2),
        Axis(input: 5, kernel: 3, stride: 2, padding: 1, dilation: 1, expected: 3),
        Axis(input: 1, kernel: 3, stride: 1, padding: 1, dilation: 1, expected: 1),
        Axis(input: 7, kernel: 3, stride: 3, padding: 0, dilation: 2, expected: 1),
        Axis(input: 4, kernel: 3, stride: 1, padding: 0, dilation: 2, expected: nil),
        Axis(input: 28, kernel: 5, stride: 1, padding: 0, dilation: 1, expected: 24),
    ]

    @Test(arguments: axes)
    func outputSizeIsPyTorchs(_ axis: Axis) throws {
        let geometry = ConvolutionGeometry(
            kernel: (axis.kernel, 1), stride: (axis.stride, 1), padding: (axis.padding, 0), dilation: (axis.dilation, 1))
        if let expected = axis.expected {
            let (height, width) = try geometry.checkedOutputSize(height: axis.input, width: 4, op: "max_pool2d")
            #expect(height == expected)
            #expect(width == 4)
        } else {
            #expect(geometry.outputSize(height: axis.input, width: 4).0 <= 0, "rounded down, never up to 1")
            let error = #expect(throws: ShapeError.self) {
                try geometry.checkedOutputSize(height: axis.input, width: 4, op: "max_pool2d")
            }
            #expect(error?.message.hasSuffix("Output size is too small") == true)
            #expect(error?.message.hasPrefix("max_pool2d: Given input size: (\(axis.input)x4).") == true)
        }
    }

    @Test func nonPositiveSettingsAreErrors() {
        func message(_ geometry: ConvolutionGeometry) -> String? {
            #expect(throws: ShapeError.self) { try geometry.checkedOutputSize(height: 8, width: 8, op: "unfold") }?.message
        }
        #expect(message(.init(kernel: (0, 2), stride: (1, 1), padding: (0, 0), dilation: (1, 1)))
                == "unfold: kernel size should be greater than zero, but got kernel_size=(0, 2)")
        #expect(message(.init(kernel: (2, 2), stride: (1, 0), padding: (0, 0), dilation: (1, 1)))
                == "unfold: stride should be greater than zero, but got stride=(1, 0)")
        #expect(message(.init(kernel: (2, 2), stride: (1, 1), padding: (0, 0), dilation: (0, 1)))
                == "unfold: dilation should be greater than zero, but got dilation=(0, 1)")
        #expect(message(.init(kernel: (2, 2), stride: (1, 1), padding: (-1, 0), dilation: (1, 1)))
                == "unfold: padding should be non-negative, but got padding=(-1, 0)")
    }

    @Test func maxPoolingAnImageThatHoldsOneWindowReadsOnlyThatWindow() {
        // A 2×3 image pooled 2×2: one window (columns 0-1); column 2 is left out, as in PyTorch.
        let image = NDArray(shape: [1, 1, 2, 3], scalars: [1, 5, 9, 2, 3, 9])
        let geometry = ConvolutionGeometry(kernel: (2, 2), stride: (2, 2), padding: (0, 0), dilation: (1, 1))
        let (values, indices) = image.maxPooled(geometry)
        #expect(values.shape == [1, 1, 1, 1])
        #expect(values.scalars == [5])
        #expect(indices.scalars == [1])
    }
}
