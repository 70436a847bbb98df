import CAutogradKernels
import XCTest
@testable import AutogradCore

/// im2col and col2im (im2col.c: 4-, 8- or 16-wide moves by kernel path) on every kernel path
/// this CPU runs, against their definitions evaluated element by element: image rows whose
/// output rows are 0, 1, 7, 15, 16, 17, 33 and 100 floats long (every path's vector width,
/// one more and one less), with padding, strides and dilation, whole images and blocks of
/// positions that start and end mid-row, with columns side by side. Only data moves and
/// single additions in a fixed order, so every result must be bit-exact.
final class Im2colKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        super.tearDown()
    }

    private func values(_ count: Int, seed: UInt64) -> [Float] {
        pseudoRandomFloats(count, seed: seed)
    }

    private let geometries = [
        ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1)),
        ConvolutionGeometry(kernel: (2, 5), stride: (1, 1), padding: (0, 2), dilation: (2, 1)),
        ConvolutionGeometry(kernel: (1, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 2)),
    ]

    /// Image widths whose output rows (for unit stride and "same" padding) have the lengths
    /// around the vector widths.
    private let widths = [1, 7, 15, 16, 17, 33, 100]

    /// The input position (y, x) that column row `row`, output position (oy, ox) reads, or nil
    /// in the padding.
    private func source(_ g: ConvolutionGeometry, row: Int, oy: Int, ox: Int, height: Int, width: Int)
        -> (channel: Int, y: Int, x: Int)? {
        let taps = g.kernel.0 * g.kernel.1
        let (c, tap) = (row / taps, row % taps)
        let y = oy * g.stride.0 - g.padding.0 + tap / g.kernel.1 * g.dilation.0
        let x = ox * g.stride.1 - g.padding.1 + tap % g.kernel.1 * g.dilation.1
        return y >= 0 && y < height && x >= 0 && x < width ? (c, y, x) : nil
    }

    func testIm2colAndCol2imMatchTheirDefinitionsOnEveryPath() {
        let (channels, height) = (2, 3)
        for path in TestedKernelPath.all {
            path.activate()
            for g in geometries {
                for width in widths {
                    let (oh, ow) = g.outputSize(height: height, width: width)
                    guard oh > 0, ow > 0 else { continue }
                    let image = values(channels * height * width, seed: UInt64(width))
                    let rows = channels * g.kernel.0 * g.kernel.1, positions = oh * ow
                    // Whole images, and blocks of positions that start and end mid-row, with
                    // their columns 3 floats further apart than the block.
                    for block in [positions, Swift.max(1, ow / 2 + 1), ow + 3] {
                        for first in stride(from: 0, to: positions, by: block) {
                            let last = Swift.min(first + block, positions), count = last - first
                            let label = "\(path) \(g.kernel) \(g.stride) \(g.padding) width \(width) [\(first), \(last))"
                            let rowStride = block == positions ? count : count + 3
                            var columns = [Float](repeating: .nan, count: rows * rowStride)
                            g.im2col(image, channels: channels, height: height, width: width, positions: first..<last,
                                     into: &columns, rowStride: rowStride)
                            var expected = [Float](repeating: .nan, count: rows * rowStride)
                            var folded = [Float](repeating: 0, count: image.count)
                            let gradient = values(rows * rowStride, seed: UInt64(first + 100))
                            for r in 0..<rows {
                                for p in first..<last {
                                    let at = source(g, row: r, oy: p / ow, ox: p % ow, height: height, width: width)
                                    expected[r * rowStride + p - first] = at.map { image[($0.channel * height + $0.y) * width + $0.x] } ?? 0
                                    if let at { folded[(at.channel * height + at.y) * width + at.x] += gradient[r * rowStride + p - first] }
                                }
                            }
                            XCTAssertEqual(columns.map(\.bitPattern), expected.map(\.bitPattern), "im2col \(label)")
                            var image2 = [Float](repeating: 0, count: image.count)
                            g.col2im(gradient, channels: channels, height: height, width: width, positions: first..<last,
                                     rowStride: rowStride, into: &image2)
                            XCTAssertEqual(image2.map(\.bitPattern), folded.map(\.bitPattern), "col2im \(label)")
                        }
                    }
                }
            }
        }
    }
}
