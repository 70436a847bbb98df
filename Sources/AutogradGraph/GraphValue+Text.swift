import AutogradCore
import AutogradEngine
import Foundation

extension GraphValue {
    /// Element count up to which a drawing shows every element; larger values are
    /// summarised by their minimum, mean and maximum.
    public static let fullDisplayLimit = 16

    /// The value as a drawing shows it: every element when there are at most
    /// ``fullDisplayLimit`` (one line per row for matrices and larger), else one summary line.
    ///
    /// `[2, 2]` of 1...4 gives `["[1, 2]", "[3, 4]"]`; a 0-d tensor gives `["240"]`;
    /// a thousand elements give `["min -0.9 · mean 0.01 · max 0.97"]`.
    public var lines: [String] {
        if shape.isEmpty { return [Self.format(scalars[0])] }
        if scalars.isEmpty { return ["[]"] }
        guard scalars.count <= Self.fullDisplayLimit else { return [summary] }
        let rowLength = shape.last!
        guard shape.count > 1, rowLength > 0 else { return ["[" + scalars.map(Self.format).joined(separator: ", ") + "]"] }
        return stride(from: 0, to: scalars.count, by: rowLength).map { start in
            "[" + scalars[start..<start + rowLength].map(Self.format).joined(separator: ", ") + "]"
        }
    }

    /// The value on one line: every element when few, else the summary (for edge labels).
    public var shortText: String { lines.count == 1 ? lines[0] : "[" + lines.joined(separator: ", ") + "]" }

    /// Minimum, mean and maximum, e.g. `min -0.9 · mean 0.01 · max 0.97`.
    public var summary: String {
        guard let low = scalars.min(), let high = scalars.max() else { return "[]" }
        let mean = scalars.reduce(0.0) { $0 + Double($1) } / Double(scalars.count)
        return "min \(Self.format(low)) · mean \(Self.format(Float(mean))) · max \(Self.format(high))"
    }

    /// Every element as PyTorch prints the tensor (summarised with `...` beyond a thousand
    /// elements), e.g. `tensor([189., 126.,  42.,  42.])`.
    public var fullText: String { Tensor(NDArray(shape: shape, scalars: scalars)).description }

    /// A number as drawings show it: integers without a decimal point, others with four
    /// significant digits (`189`, `0.1235`, `1.5e-05`).
    public static func format(_ x: Float) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded(), Swift.abs(x) < 1e7 { return String(Int(x)) }
        return String(format: "%.4g", Double(x))
    }
}
