import AutogradCore
import AutogradEngine

/// How ``interpolate(_:size:mode:alignCorners:)`` computes new values, like the `mode` of
/// `torch.nn.functional.interpolate`.
public enum InterpolationMode: String, Sendable {
    /// The value of the source position below the scaled one (PyTorch's `'nearest'`).
    case nearest
    /// The value of the source position nearest the scaled pixel centre (`'nearest-exact'`).
    case nearestExact = "nearest-exact"
    /// Linear interpolation of `[N, C, L]` inputs.
    case linear
    /// Bilinear interpolation of `[N, C, H, W]` inputs.
    case bilinear
    /// Trilinear interpolation of `[N, C, D, H, W]` inputs.
    case trilinear

    /// Whether the mode blends neighbouring values (and so takes `alignCorners`).
    var isInterpolating: Bool { self == .linear || self == .bilinear || self == .trilinear }
}

/// `input` (`[N, C, spatial...]`, 1 to 3 spatial dimensions) resized to the spatial `size`,
/// like `torch.nn.functional.interpolate(input, size=size, mode=mode)`.
///
/// The linear modes take `alignCorners` (false when nil): with it, the corner pixels of
/// input and output line up; without, their edges do (each output pixel centre is mapped
/// into the input). Gradients flow back to the input positions each output reads.
public func interpolate(
    _ input: Tensor, size: [Int], mode: InterpolationMode = .nearest, alignCorners: Bool? = nil
) -> Tensor {
    checkInterpolation(input, spatialCount: size.count, mode: mode, alignCorners: alignCorners)
    return resample(input, outputSizes: size, scaleFactors: Array(repeating: nil, count: size.count),
                    mode: mode, alignCorners: alignCorners ?? false)
}

/// `input` resized by `scaleFactor` in every spatial dimension (the new size rounded
/// down), like `torch.nn.functional.interpolate(input, scale_factor=scaleFactor, mode=mode)`;
/// see ``interpolate(_:size:mode:alignCorners:)``.
public func interpolate(
    _ input: Tensor, scaleFactor: Double, mode: InterpolationMode = .nearest, alignCorners: Bool? = nil
) -> Tensor {
    interpolate(input, scaleFactors: Array(repeating: scaleFactor, count: Swift.max(input.rank - 2, 0)),
                mode: mode, alignCorners: alignCorners)
}

/// `input` resized by one scale factor per spatial dimension; see
/// ``interpolate(_:scaleFactor:mode:alignCorners:)``.
public func interpolate(
    _ input: Tensor, scaleFactors: [Double], mode: InterpolationMode = .nearest, alignCorners: Bool? = nil
) -> Tensor {
    checkInterpolation(input, spatialCount: scaleFactors.count, mode: mode, alignCorners: alignCorners)
    let sizes = scaleFactors.enumerated().map { i, factor -> Int in
        checkUsage(factor > 0, "interpolate: scale_factor must be positive, got \(factor)")
        return Int((Double(input.shape[2 + i]) * factor).rounded(.down))
    }
    return resample(input, outputSizes: sizes, scaleFactors: scaleFactors, mode: mode, alignCorners: alignCorners ?? false)
}

/// Stops with PyTorch's messages when the input's rank, the number of sizes or the
/// corner option do not fit the mode.
private func checkInterpolation(_ input: Tensor, spatialCount: Int, mode: InterpolationMode, alignCorners: Bool?) {
    checkUsage(alignCorners == nil || mode.isInterpolating,
               "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    let needed: [InterpolationMode: Int] = [.linear: 3, .bilinear: 4, .trilinear: 5]
    if let rank = needed[mode] {
        checkUsage(input.rank == rank, "Got \(input.rank)D input, but \(mode.rawValue) mode needs \(rank)D input")
    } else {
        checkUsage((3...5).contains(input.rank),
                   "Input Error: Only 3D, 4D and 5D input Tensors supported (got \(input.rank)D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got \(mode.rawValue))")
    }
    checkUsage(spatialCount == input.rank - 2,
               "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of \(Array(input.shape.dropFirst(2))) and output size of \(spatialCount) dimensions")
}

/// Resizes each spatial dimension in turn: nearest modes gather one source position per
/// output position; linear modes blend two, which done dimension by dimension gives
/// exactly the bilinear and trilinear weights.
private func resample(
    _ input: Tensor, outputSizes: [Int], scaleFactors: [Double?], mode: InterpolationMode, alignCorners: Bool
) -> Tensor {
    var result = input
    for (i, outputSize) in outputSizes.enumerated() {
        let dim = 2 + i
        let inputSize = input.shape[dim]
        checkUsage(inputSize > 0 && outputSize > 0,
                   "Input and output sizes should be greater than 0, but got input (\(Array(input.shape.dropFirst(2)))) and output (\(outputSizes))")
        if !mode.isInterpolating {
            let indices = nearestIndices(inputSize, outputSize, scaleFactors[i], exact: mode == .nearestExact)
            result = result.indexSelect(dim: dim, indices: indices)
            continue
        }
        let taps = input.dtype == .float64
            ? linearTaps(inputSize, outputSize, scaleFactors[i], alignCorners: alignCorners, as: Double.self)
            : linearTaps(inputSize, outputSize, scaleFactors[i], alignCorners: alignCorners, as: Float.self)
        let weightShape = [outputSize] + Array(repeating: 1, count: input.rank - dim - 1)
        func weights(_ values: [Double]) -> Tensor {
            Tensor(NDArray(shape: weightShape, doubles: values, dtype: input.dtype))
        }
        result = result.indexSelect(dim: dim, indices: taps.map(\.low)) * weights(taps.map(\.lowWeight))
            + result.indexSelect(dim: dim, indices: taps.map(\.high)) * weights(taps.map(\.highWeight))
    }
    return result
}

/// The scale from output to input positions, as PyTorch's `compute_scales_value`: the
/// reciprocal of the given scale factor, or the ratio of the sizes.
private func sourceScale<T: BinaryFloatingPoint>(_ inputSize: Int, _ outputSize: Int, _ scaleFactor: Double?) -> T {
    if let scaleFactor, scaleFactor > 0 { return T(1 / scaleFactor) }
    return T(inputSize) / T(outputSize)
}

/// The source position of each output position in nearest mode, computed in float as
/// PyTorch's `nearest_idx` and `nearest_neighbor_exact_compute_source_index` do.
private func nearestIndices(_ inputSize: Int, _ outputSize: Int, _ scaleFactor: Double?, exact: Bool) -> [Int] {
    let scale: Float = sourceScale(inputSize, outputSize, scaleFactor)
    return (0..<outputSize).map { j in
        if !exact && outputSize == inputSize { return j }
        if !exact && outputSize == 2 * inputSize { return j >> 1 }
        let offset: Float = exact ? 0.5 : 0
        return Swift.min(Int(((Float(j) + offset) * scale).rounded(.down)), inputSize - 1)
    }
}

/// The two source positions each output position blends, and their weights, computed in
/// `T` (float for float32 inputs, as PyTorch's kernels do; double for float64) as
/// PyTorch's `compute_source_index_and_lambda`.
private func linearTaps<T: BinaryFloatingPoint>(
    _ inputSize: Int, _ outputSize: Int, _ scaleFactor: Double?, alignCorners: Bool, as _: T.Type
) -> [(low: Int, high: Int, lowWeight: Double, highWeight: Double)] {
    let scale: T = alignCorners
        ? (outputSize > 1 ? T(inputSize - 1) / T(outputSize - 1) : 0)
        : sourceScale(inputSize, outputSize, scaleFactor)
    return (0..<outputSize).map { j in
        if outputSize == inputSize { return (j, j, 1, 0) }
        let source = alignCorners ? scale * T(j) : Swift.max(scale * (T(j) + T(0.5)) - T(0.5), 0)
        let low = Swift.min(Int(source.rounded(.down)), inputSize - 1)
        let lambda = Swift.min(Swift.max(source - T(low), 0), 1)
        let high = low + (low < inputSize - 1 ? 1 : 0)
        return (low, high, Double(1 - lambda), Double(lambda))
    }
}

/// Resizes images (or sequences, or volumes), like `torch.nn.Upsample`: to a fixed `size`
/// or by a `scaleFactor`, with nearest-neighbour or (bi/tri)linear interpolation; see
/// ``interpolate(_:size:mode:alignCorners:)``.
/// ```swift
/// let up = Upsample(scaleFactor: 2, mode: .bilinear)
/// let y = up(x)                  // x: [N, C, H, W] → [N, C, 2H, 2W]
/// ```
public final class Upsample: Module {
    /// The output's spatial size, or nil when a scale factor is given.
    public let size: [Int]?
    /// The scale factor per spatial dimension (one value for all), or nil when a size is given.
    public let scaleFactors: [Double]?
    /// How new values are computed.
    public let mode: InterpolationMode
    /// Whether corner pixels line up (linear modes only; nil means false).
    public let alignCorners: Bool?

    /// A layer resizing to the spatial `size`.
    public init(size: [Int], mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) {
        self.size = size
        self.scaleFactors = nil
        self.mode = mode
        self.alignCorners = alignCorners
    }

    /// A layer scaling every spatial dimension by `scaleFactor`.
    public convenience init(scaleFactor: Double, mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) {
        self.init(scaleFactors: [scaleFactor], mode: mode, alignCorners: alignCorners)
    }

    /// A layer scaling each spatial dimension by its own factor (one factor applies to all).
    public init(scaleFactors: [Double], mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) {
        checkUsage(!scaleFactors.isEmpty, "Upsample: scale_factor must not be empty")
        self.size = nil
        self.scaleFactors = scaleFactors
        self.mode = mode
        self.alignCorners = alignCorners
    }

    /// The input resized.
    public override func forward(_ input: Tensor) -> Tensor {
        if let size { return interpolate(input, size: size, mode: mode, alignCorners: alignCorners) }
        let factors = scaleFactors!
        let spatial = Swift.max(input.rank - 2, 0)
        return interpolate(input, scaleFactors: factors.count == 1 ? Array(repeating: factors[0], count: spatial) : factors,
                           mode: mode, alignCorners: alignCorners)
    }

    /// PyTorch's settings string, such as `scale_factor=2.0, mode='nearest'`.
    public override var extraDescription: String {
        let setting: String
        if let scaleFactors {
            setting = "scale_factor=" + (scaleFactors.count == 1
                ? "\(scaleFactors[0])" : "(\(scaleFactors.map { "\($0)" }.joined(separator: ", ")))")
        } else {
            setting = "size=" + (size!.count == 1 ? "\(size![0])" : formatPyTorchTuple(size!))
        }
        return "\(setting), mode='\(mode.rawValue)'"
    }
}
