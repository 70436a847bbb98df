import CAutogradKernels
import Foundation

// GELU and layer normalisation as single passes over the data (PyTorch's `gelu` and
// `native_layer_norm` kernels), each with its backward, in float32 and float64; the
// two-byte floats compute in float32. The exact GELU in float32 runs in the C kernels
// (elementwise.c: erf and exp by polynomials, 4, 8 or 16 lanes at a time by kernel path);
// float64 and the tanh approximation use the C library's functions one element at a time. Layer norm in
// float32 also runs in C (layer_norm.c, sums over eight lanes).

extension NDArray {
    /// `x·Φ(x)` elementwise, Φ the standard normal CDF, or its tanh approximation
    /// `x/2·(1 + tanh(√(2/π)·(x + 0.044715x³)))`.
    public func gelu(tanhApproximation: Bool) -> NDArray {
        withKernelFloat { (source: NDArray, type) in
            source.geluPass(type, grad: nil, tanhApproximation: tanhApproximation)
        }
    }

    /// `grad · d gelu(x)/dx` elementwise, `self` being x.
    public func geluBackward(_ grad: NDArray, tanhApproximation: Bool) -> NDArray {
        withKernelFloat { (source: NDArray, type) in
            source.geluPass(type, grad: grad.converted(to: source.dtype).contiguous(), tanhApproximation: tanhApproximation)
        }
    }

    /// Runs `body` on this array made contiguous in float32 or float64 (two-byte floats are
    /// widened to float32) and converts its result back to this array's dtype.
    private func withKernelFloat(_ body: (NDArray, any KernelFloat.Type) -> NDArray) -> NDArray {
        switch dtype {
        case .float32: return body(contiguous(), Float.self)
        case .float64: return body(contiguous(), Double.self)
        default: return body(converted(to: .float32).contiguous(), Float.self).converted(to: dtype)
        }
    }

    private func geluPass<T: KernelFloat>(_: T.Type, grad: NDArray?, tanhApproximation: Bool) -> NDArray {
        let result = NDArray(uninitialized: shape, dtype: dtype)
        let input = rawPointer.assumingMemoryBound(to: T.self)
        let output = result.rawPointer.assumingMemoryBound(to: T.self)
        let upstream = grad.map { $0.rawPointer.assumingMemoryBound(to: T.self) }
        if T.self == Float.self && !tanhApproximation {
            // The exact GELU in single precision: the C kernel's polynomial erf and exp.
            let x = rawPointer.assumingMemoryBound(to: Float.self)
            let y = result.rawPointer.assumingMemoryBound(to: Float.self)
            let g = grad.map { $0.rawPointer.assumingMemoryBound(to: Float.self) }
            forEachChunk(count) { start, length in
                if let g {
                    ag_gelu_backward(Int64(length), x + start, g + start, y + start)
                } else {
                    ag_gelu_forward(Int64(length), x + start, y + start)
                }
            }
            return result
        }
        let (half, inverseRoot2, normalDensity) = (T(0.5), T(0.5.squareRoot()), T(1 / (2 * Double.pi).squareRoot()))
        let (root2OverPi, cubic) = (T((2 / Double.pi).squareRoot()), T(0.044715))
        forEachChunk(count) { start, length in
            for i in start..<(start + length) {
                let x = input[i]
                if tanhApproximation {
                    let inner = root2OverPi * (x + cubic * x * x * x)
                    let t = T.hyperbolicTangent(inner)
                    if let upstream {
                        let dInner = root2OverPi * (1 + 3 * cubic * x * x)
                        output[i] = upstream[i] * (half * (1 + t) + half * x * (1 - t * t) * dInner)
                    } else {
                        output[i] = half * x * (1 + t)
                    }
                } else {
                    let cdf = half * (1 + T.errorFunction(x * inverseRoot2))
                    if let upstream {
                        output[i] = upstream[i] * (cdf + x * normalDensity * T.exponential(-half * x * x))
                    } else {
                        output[i] = x * cdf
                    }
                }
            }
        }
        return result
    }

    /// Layer normalisation over the last `width` elements of each row:
    /// `(x - mean)·rstd·weight + bias` with `rstd = 1/√(var + eps)` (biased variance). Returns
    /// the output and each row's mean and rstd (in float32 for two-byte floats), which
    /// ``layerNormBackward(_:mean:reciprocalStd:weight:width:)`` needs.
    public func layerNormalized(width: Int, weight: NDArray?, bias: NDArray?, eps: Double)
        -> (output: NDArray, mean: NDArray, reciprocalStd: NDArray) {
        let compute: DType = dtype == .float64 ? .float64 : .float32
        let source = converted(to: compute).contiguous()
        let rows = width == 0 ? 0 : count / width
        let output = NDArray(uninitialized: shape, dtype: compute)
        let statistics = (NDArray(uninitialized: [rows], dtype: compute), NDArray(uninitialized: [rows], dtype: compute))
        let (w, b) = (weight.map { $0.converted(to: compute).contiguous() }, bias.map { $0.converted(to: compute).contiguous() })
        if compute == .float64 {
            source.layerNormPass(Double.self, rows: rows, width: width, weight: w, bias: b, eps: eps,
                                 output: output, statistics: statistics)
        } else {
            source.layerNormPass(Float.self, rows: rows, width: width, weight: w, bias: b, eps: eps,
                                 output: output, statistics: statistics)
        }
        return (output.converted(to: dtype), statistics.0, statistics.1)
    }

    private func layerNormPass<T: KernelFloat>(
        _: T.Type, rows: Int, width: Int, weight: NDArray?, bias: NDArray?, eps: Double, output: NDArray,
        statistics: (NDArray, NDArray)
    ) {
        let input = rawPointer.assumingMemoryBound(to: T.self), out = output.rawPointer.assumingMemoryBound(to: T.self)
        let means = statistics.0.rawPointer.assumingMemoryBound(to: T.self)
        let scales = statistics.1.rawPointer.assumingMemoryBound(to: T.self)
        let w = weight.map { $0.rawPointer.assumingMemoryBound(to: T.self) }
        let b = bias.map { $0.rawPointer.assumingMemoryBound(to: T.self) }
        let epsilon = T(eps)
        if T.self == Float.self {
            // Single precision runs in the C kernel, whose sums have eight lanes.
            let f = { (p: UnsafeMutablePointer<T>) in UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
            let (wf, bf) = (w.map(f), b.map(f))
            NDArray.forEachRowBlock(rows: rows, width: width) { range in
                let start = range.lowerBound
                ag_layer_norm_forward(Int64(range.count), Int64(width), f(input) + start * width, wf, bf, Float(eps),
                                      f(out) + start * width, f(means) + start, f(scales) + start)
            }
            return
        }
        NDArray.forEachRowBlock(rows: rows, width: width) { range in
            for row in range {
                let x = input + row * width, y = out + row * width
                var sum: T = 0
                for i in 0..<width { sum += x[i] }
                let mean = sum / T(width)
                var squares: T = 0
                for i in 0..<width {
                    let d = x[i] - mean
                    squares += d * d
                }
                let rstd = 1 / (squares / T(width) + epsilon).squareRoot()
                means[row] = mean
                scales[row] = rstd
                for i in 0..<width {
                    var value = (x[i] - mean) * rstd
                    if let w { value *= w[i] }
                    if let b { value += b[i] }
                    y[i] = value
                }
            }
        }
    }

    /// The gradients of layer normalisation's input, weight and bias given `grad`, `self`
    /// being the input and `mean`/`reciprocalStd` the statistics the forward pass returned:
    /// with x̂ = (x - mean)·rstd and g = grad·weight,
    /// dx = rstd·(g - mean(g) - x̂·mean(g·x̂)), dweight = Σ grad·x̂, dbias = Σ grad over rows.
    public func layerNormBackward(
        _ grad: NDArray, mean: NDArray, reciprocalStd: NDArray, weight: NDArray?, width: Int
    ) -> (input: NDArray, weight: NDArray?, bias: NDArray) {
        let compute = mean.dtype
        let source = converted(to: compute).contiguous(), upstream = grad.converted(to: compute).contiguous()
        let rows = width == 0 ? 0 : count / width
        let w = weight.map { $0.converted(to: compute).contiguous() }
        let inputGradient = NDArray(uninitialized: shape, dtype: compute)
        let parameterGradients = (NDArray(zeros: [width], dtype: compute), NDArray(zeros: [width], dtype: compute))
        if compute == .float64 {
            source.layerNormBackwardPass(Double.self, upstream, mean, reciprocalStd, w, rows: rows, width: width,
                                         into: inputGradient, parameterGradients)
        } else {
            source.layerNormBackwardPass(Float.self, upstream, mean, reciprocalStd, w, rows: rows, width: width,
                                         into: inputGradient, parameterGradients)
        }
        let weightGradient = weight.map { parameterGradients.0.converted(to: $0.dtype) }
        return (inputGradient.converted(to: dtype), weightGradient, parameterGradients.1.converted(to: weight?.dtype ?? dtype))
    }

    private func layerNormBackwardPass<T: KernelFloat>(
        _: T.Type, _ grad: NDArray, _ mean: NDArray, _ reciprocalStd: NDArray, _ weight: NDArray?,
        rows: Int, width: Int, into inputGradient: NDArray, _ parameterGradients: (NDArray, NDArray)
    ) {
        let x = rawPointer.assumingMemoryBound(to: T.self), g = grad.rawPointer.assumingMemoryBound(to: T.self)
        let means = mean.rawPointer.assumingMemoryBound(to: T.self)
        let scales = reciprocalStd.rawPointer.assumingMemoryBound(to: T.self)
        let w = weight.map { $0.rawPointer.assumingMemoryBound(to: T.self) }
        let dx = inputGradient.rawPointer.assumingMemoryBound(to: T.self)
        let blocks = NDArray.rowBlocks(rows: rows, width: width)
        // Each block sums its own weight and bias gradients; the blocks are added after.
        let partials = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(blocks * 2 * width, 1))
        partials.initialize(repeating: 0, count: blocks * 2 * width)
        defer { partials.deallocate() }
        NDArray.forEachRowBlock(rows: rows, width: width) { range, block in
            let dw = partials + block * 2 * width, db = dw + width
            if T.self == Float.self {
                // Single precision runs in the C kernel, whose sums have eight lanes.
                let f = { (p: UnsafeMutablePointer<T>) in UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
                let start = range.lowerBound
                ag_layer_norm_backward(Int64(range.count), Int64(width), f(x) + start * width, f(g) + start * width,
                                       f(means) + start, f(scales) + start, w.map(f), f(dx) + start * width, f(dw), f(db))
                return
            }
            for row in range {
                let (xr, gr, dxr) = (x + row * width, g + row * width, dx + row * width)
                let (mu, rstd) = (means[row], scales[row])
                var sumG: T = 0, sumGX: T = 0
                for i in 0..<width {
                    let xhat = (xr[i] - mu) * rstd
                    let gi = w.map { gr[i] * $0[i] } ?? gr[i]
                    sumG += gi
                    sumGX += gi * xhat
                    dw[i] += gr[i] * xhat
                    db[i] += gr[i]
                }
                let (meanG, meanGX) = (sumG / T(width), sumGX / T(width))
                for i in 0..<width {
                    let xhat = (xr[i] - mu) * rstd
                    let gi = w.map { gr[i] * $0[i] } ?? gr[i]
                    dxr[i] = rstd * (gi - meanG - xhat * meanGX)
                }
            }
        }
        let (dw, db) = (parameterGradients.0.rawPointer.assumingMemoryBound(to: T.self),
                        parameterGradients.1.rawPointer.assumingMemoryBound(to: T.self))
        for block in 0..<blocks {
            let source = partials + block * 2 * width
            for i in 0..<width {
                dw[i] += source[i]
                db[i] += source[width + i]
            }
        }
    }

    /// The number of row blocks ``forEachRowBlock(rows:width:_:)`` splits `rows` into.
    static func rowBlocks(rows: Int, width: Int) -> Int {
        rows * width >= parallelElementwiseMinimum ? Swift.max(Swift.min(Kernels.threadCount, rows), 1) : 1
    }

    /// Calls `body` with runs of rows (and the run's index), in parallel for large arrays.
    static func forEachRowBlock(rows: Int, width: Int, _ body: (Range<Int>, Int) -> Void) {
        let blocks = rowBlocks(rows: rows, width: width)
        if blocks == 1 {
            body(0..<rows, 0)
            return
        }
        parallelFor(blocks) { block in body((rows * block / blocks)..<(rows * (block + 1) / blocks), block) }
    }

    /// ``forEachRowBlock(rows:width:_:)`` for a body that needs no block index.
    static func forEachRowBlock(rows: Int, width: Int, _ body: (Range<Int>) -> Void) {
        forEachRowBlock(rows: rows, width: width) { range, _ in body(range) }
    }
}
