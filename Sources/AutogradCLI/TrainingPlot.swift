import Foundation

/// One epoch's results, as `train` prints and plots them.
struct EpochRecord {
    /// The epoch's number, from 1.
    let epoch: Int
    /// The mean training loss over the epoch's batches.
    let loss: Double
    /// Accuracy on the training set after the epoch (evaluation mode), 0...1.
    let trainAccuracy: Double
    /// Accuracy on the test set after the epoch, 0...1.
    let testAccuracy: Double
    /// The epoch's wall time in seconds, evaluation included.
    let seconds: Double
}

/// An SVG drawing of the training loss (left panel) and the train and test accuracy (right
/// panel) per epoch, with `title` above.
func trainingPlotSVG(_ history: [EpochRecord], title: String) -> String {
    let width = 860.0, height = 360.0
    var svg = [
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">",
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
        "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escapeXML(title))</text>",
    ]
    let epochs = history.map { Double($0.epoch) }
    let maximumLoss = max(history.map(\.loss).max() ?? 1, 1e-9)
    svg += panel(
        frame: (x: 60, y: 45, width: 340, height: 260), title: "training loss",
        xRange: (1, max(epochs.last ?? 1, 2)), yRange: (0, maximumLoss * 1.05),
        series: [("loss", "#1f77b4", Array(zip(epochs, history.map(\.loss))))], legendAtTop: true,
        yFormat: { String(format: "%.2f", $0) })
    let accuracies = history.flatMap { [$0.trainAccuracy, $0.testAccuracy] }.map { $0 * 100 }
    let lowest = min(accuracies.min() ?? 0, 90)
    svg += panel(
        frame: (x: 490, y: 45, width: 340, height: 260), title: "accuracy (%)",
        xRange: (1, max(epochs.last ?? 1, 2)), yRange: ((lowest / 5).rounded(.down) * 5, 100),
        series: [("train", "#ff7f0e", Array(zip(epochs, history.map { $0.trainAccuracy * 100 }))),
                 ("test", "#2ca02c", Array(zip(epochs, history.map { $0.testAccuracy * 100 })))], legendAtTop: false,
        yFormat: { String(format: "%.0f", $0) })
    svg.append("</svg>")
    return svg.joined(separator: "\n") + "\n"
}

/// One framed chart with axes, five ticks per axis, a line per series and a legend in the
/// top or bottom right corner (wherever the curves are not: loss falls, accuracy rises).
private func panel(
    frame: (x: Double, y: Double, width: Double, height: Double), title: String,
    xRange: (Double, Double), yRange: (Double, Double),
    series: [(name: String, color: String, points: [(Double, Double)])], legendAtTop: Bool,
    yFormat: (Double) -> String
) -> [String] {
    func px(_ x: Double) -> Double { frame.x + (x - xRange.0) / (xRange.1 - xRange.0) * frame.width }
    func py(_ y: Double) -> Double { frame.y + frame.height - (y - yRange.0) / (yRange.1 - yRange.0) * frame.height }
    func format(_ value: Double) -> String { String(format: "%.1f", value) }
    var lines = [
        "<rect x=\"\(frame.x)\" y=\"\(frame.y)\" width=\"\(frame.width)\" height=\"\(frame.height)\" fill=\"none\" stroke=\"#444\"/>",
        "<text x=\"\(frame.x + frame.width / 2)\" y=\"\(frame.y - 8)\" text-anchor=\"middle\">\(title)</text>",
        "<text x=\"\(frame.x + frame.width / 2)\" y=\"\(frame.y + frame.height + 36)\" text-anchor=\"middle\">epoch</text>",
    ]
    for tick in 0...4 {
        let y = yRange.0 + (yRange.1 - yRange.0) * Double(tick) / 4
        lines.append("<line x1=\"\(frame.x)\" x2=\"\(frame.x + frame.width)\" y1=\"\(format(py(y)))\" y2=\"\(format(py(y)))\" stroke=\"#ddd\"/>")
        lines.append("<text x=\"\(frame.x - 6)\" y=\"\(format(py(y) + 4))\" text-anchor=\"end\">\(yFormat(y))</text>")
        let x = (xRange.0 + (xRange.1 - xRange.0) * Double(tick) / 4).rounded()
        lines.append("<text x=\"\(format(px(x)))\" y=\"\(frame.y + frame.height + 18)\" text-anchor=\"middle\">\(Int(x))</text>")
    }
    for (index, line) in series.enumerated() {
        let points = line.points.map { "\(format(px($0.0))),\(format(py($0.1)))" }.joined(separator: " ")
        lines.append("<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"/>")
        for point in line.points {
            lines.append("<circle cx=\"\(format(px(point.0)))\" cy=\"\(format(py(point.1)))\" r=\"2.5\" fill=\"\(line.color)\"/>")
        }
        let legendY = legendAtTop
            ? frame.y + 18 + Double(index) * 16
            : frame.y + frame.height - 10 - Double(series.count - 1 - index) * 16
        lines.append("<line x1=\"\(frame.x + frame.width - 70)\" x2=\"\(frame.x + frame.width - 50)\" y1=\"\(legendY - 4)\" y2=\"\(legendY - 4)\" stroke=\"\(line.color)\" stroke-width=\"2\"/>")
        lines.append("<text x=\"\(frame.x + frame.width - 45)\" y=\"\(legendY)\">\(line.name)</text>")
    }
    return lines
}

/// `text` with XML's special characters escaped.
private func escapeXML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
