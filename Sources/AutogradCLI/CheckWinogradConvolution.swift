import Autograd

/// The `winograd` check of `autograd check-kernels`: 3×3 stride-1 convolutions of 16 channels
/// (which run by Winograd's F(2×2, 3×3), conv_winograd.c) forward and backward through
/// `conv2d` on the path in use, against the same sums in double precision. Rows wide enough
/// for every path's vectors of tiles, odd output sizes and unequal paddings. Returns the
/// largest difference relative to the larger of 1 and the reference value.
enum WinogradConvolutionCheck {
    /// One convolution: images [n, c, h, w], 3×3 kernels [o, c, 3, 3] and the padding.
    private struct Case {
        let n, c, h, w, o: Int
        let padding: (Int, Int)
    }

    private static let cases = [
        Case(n: 2, c: 16, h: 9, w: 37, o: 16, padding: (1, 1)),
        Case(n: 1, c: 17, h: 8, w: 41, o: 20, padding: (2, 0)),
    ]

    /// The largest relative difference over every case's output, input gradient and weight gradient.
    static func largestError() -> Double {
        var worst = 0.0
        for (index, test) in cases.enumerated() {
            let seed = UInt64(60 + 4 * index)
            let x = values([test.n, test.c, test.h, test.w], seed: seed)
            let w = values([test.o, test.c, 3, 3], seed: seed + 1)
            let (oh, ow) = (test.h + 2 * test.padding.0 - 2, test.w + 2 * test.padding.1 - 2)
            let r = values([test.n, test.o, oh, ow], seed: seed + 2)
            let output = conv2d(x, w, stride: (1, 1), padding: test.padding)
            (output * r).sum().backward()
            let expected = reference(test, x: x.scalars, w: w.scalars, r: r.scalars, outSize: (oh, ow))
            for (actual, wanted) in [(output.scalars, expected.output), (x.grad!.scalars, expected.inputGradient),
                                     (w.grad!.scalars, expected.weightGradient)] {
                for (a, e) in zip(actual, wanted) { worst = max(worst, abs(Double(a) - e) / max(1, abs(e))) }
            }
        }
        return worst
    }

    /// A leaf of `shape` holding deterministic values in (-1, 1), requiring grad.
    private static func values(_ shape: [Int], seed: UInt64) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: GemmProblem.values(count, seed: seed).map(Float.init), requiresGrad: true)
    }

    /// The output, and the gradients of Σ output·r, summed in double precision.
    private static func reference(
        _ test: Case, x: [Float], w: [Float], r: [Float], outSize: (Int, Int)
    ) -> (output: [Double], inputGradient: [Double], weightGradient: [Double]) {
        let (oh, ow) = outSize
        var output = [Double](repeating: 0, count: test.n * test.o * oh * ow)
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        for n in 0..<test.n {
            for o in 0..<test.o {
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let at = ((n * test.o + o) * oh + y) * ow + xo
                        let g = Double(r[at])
                        for c in 0..<test.c {
                            for i in 0..<3 {
                                let row = y + i - test.padding.0
                                guard row >= 0 && row < test.h else { continue }
                                for j in 0..<3 {
                                    let column = xo + j - test.padding.1
                                    guard column >= 0 && column < test.w else { continue }
                                    let xi = ((n * test.c + c) * test.h + row) * test.w + column
                                    let wi = ((o * test.c + c) * 3 + i) * 3 + j
                                    output[at] += Double(w[wi]) * Double(x[xi])
                                    dx[xi] += Double(w[wi]) * g
                                    dw[wi] += Double(x[xi]) * g
                                }
                            }
                        }
                    }
                }
            }
        }
        return (output, dx, dw)
    }
}
