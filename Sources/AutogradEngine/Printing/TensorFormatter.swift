import AutogradCore
import Foundation

/// Formats a tensor's values the way PyTorch's `repr(tensor)` does.
///
/// A port of `torch/_tensor_str.py` (PyTorch 2.x) for dense CPU tensors under the default
/// print options: precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode None.
/// Floating dtypes print their values widened to `Double`; integers print as integers
/// and bools as `True`/`False`, each right-aligned to the widest.
enum TensorFormatter {
    /// Element count above which a tensor is summarised with `...` (`PRINT_OPTS.threshold`).
    private static let threshold = 1000
    /// Items kept at each end of a summarised dimension (`PRINT_OPTS.edgeitems`).
    private static let edgeItems = 3
    /// Line width at which a row of elements wraps and suffixes move to a new line (`PRINT_OPTS.linewidth`).
    private static let lineWidth = 80
    /// The text every repr opens with; its length is the indent of continuation lines.
    private static let prefix = "tensor("

    /// The repr of `array`'s values.
    /// - suffixes: already-formatted suffix items such as "grad_fn=<MulBackward0>" or
    ///   "requires_grad=True"; the dtype (where PyTorch shows it) goes before them.
    static func repr(_ array: NDArray, suffixes: [String]) -> String {
        let indent = prefix.count
        let (shape, dtype) = (array.shape, array.dtype)
        guard array.count > 0 else {
            // PyTorch spells out the shape of an empty tensor unless it is 1-D, and its
            // dtype unless it is the default.
            let sizeSuffix = shape.count == 1 ? [] : ["size=" + pythonTuple(shape)]
            let dtypeSuffix = dtype == .float32 ? [] : ["dtype=\(dtype)"]
            return appendingSuffixes(sizeSuffix + dtypeSuffix + suffixes, to: prefix + "[]", indent: indent)
        }
        let layout = PrintLayout(shape: shape, summarize: array.count > threshold)
        let offsets = layout.printedOffsets()
        let body: String
        if dtype.isFloatingPoint {
            let values = array.doubles
            body = floatingValues(offsets.map { values[$0] }, layout: layout, indent: indent)
        } else {
            let values = array.integers
            let texts = offsets.map { dtype == .bool ? (values[$0] != 0 ? "True" : "False") : String(values[$0]) }
            body = rendered(texts, width: texts.map(\.count).max() ?? 1, layout: layout, indent: indent)
        }
        // float32 is the default dtype; int64 and bool are what integer and Boolean data give.
        let dtypeSuffix = [.float32, .int64, .bool].contains(dtype) ? [] : ["dtype=\(dtype)"]
        return appendingSuffixes(dtypeSuffix + suffixes, to: prefix + body, indent: indent)
    }

    /// The repr of a float32 tensor of `shape` holding `scalars` in row-major order.
    static func repr(shape: [Int], scalars: [Float], suffixes: [String]) -> String {
        repr(NDArray(shape: shape, scalars: scalars), suffixes: suffixes)
    }

    /// The nested, bracketed values of a floating tensor (`_tensor_str`): every element is
    /// written in one style and padded to one width, both chosen from the printed
    /// elements only.
    private static func floatingValues(_ printed: [Double], layout: PrintLayout, indent: Int) -> String {
        let style = ElementStyle(choosingFrom: printed)
        let texts = printed.map(style.text)
        return rendered(texts, width: columnWidth(values: printed, texts: texts), layout: layout, indent: indent)
    }

    /// `texts`, right-aligned to `width`, nested as `layout` says.
    private static func rendered(_ texts: [String], width: Int, layout: PrintLayout, indent: Int) -> String {
        var cells = texts.map { padded($0, to: width) }.makeIterator()
        return layout.render(indent: indent, cellWidth: width, cells: &cells)
    }

    /// The common column width (`_Formatter.max_width`): the longest text of a finite non-zero
    /// element, at least 1. Zeros, nan and infinities may overflow it.
    private static func columnWidth(values: [Double], texts: [String]) -> Int {
        zip(values, texts)
            .filter { value, _ in value.isFinite && value != 0 }
            .map { _, text in text.count }
            .max()
            .map { max($0, 1) } ?? 1
    }

    /// `text` right-aligned in `width` columns; longer text is left as it is.
    private static func padded(_ text: String, to width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// Python's `str(tuple(shape))`, e.g. `(0, 3)` or `(0,)`.
    private static func pythonTuple(_ shape: [Int]) -> String {
        let items = shape.map(String.init).joined(separator: ", ")
        return "(" + items + (shape.count == 1 ? ",)" : ")")
    }

    /// Appends `suffixes` and the closing parenthesis (`_add_suffixes`): each suffix follows `, `
    /// unless that would pass the line width, in which case it starts a new, indented line.
    private static func appendingSuffixes(_ suffixes: [String], to text: String, indent: Int) -> String {
        var result = text
        // PyTorch counts the last line as two characters longer than it is.
        var lastLineLength = lastLine(of: text).count + 2
        for suffix in suffixes {
            if lastLineLength + suffix.count + 2 > lineWidth {
                result += ",\n" + String(repeating: " ", count: indent) + suffix
                lastLineLength = indent + suffix.count
            } else {
                result += ", " + suffix
                lastLineLength += suffix.count + 2
            }
        }
        return result + ")"
    }

    /// The text after the last newline of `text`, or all of it.
    private static func lastLine(of text: String) -> Substring {
        guard let newline = text.lastIndex(of: "\n") else { return text[...] }
        return text[text.index(after: newline)...]
    }

    /// How every element of one tensor is written (`_Formatter`): as an integer with a trailing
    /// dot, in fixed point with 4 decimals, or in scientific notation with 4 decimals.
    private struct ElementStyle {
        /// Every finite non-zero element is a whole number.
        let integerMode: Bool
        /// Elements are written as `1.0000e+10`.
        let scientific: Bool

        /// Chooses the style from the finite non-zero `values`, as PyTorch does.
        init(choosingFrom values: [Double]) {
            let significant = values.filter { $0.isFinite && $0 != 0 }
            guard !significant.isEmpty else {
                integerMode = true
                scientific = false
                return
            }
            integerMode = significant.allSatisfy { $0 == $0.rounded(.up) }
            let magnitudes = significant.map { abs($0) }
            let smallest = magnitudes.min()!, largest = magnitudes.max()!
            scientific = largest / smallest > 1000 || largest > 1e8 || smallest < 1e-4
        }

        /// One element's unpadded text: Python's `'{:.4e}'`, `'{:.0f}.'` or `'{:.4f}'` of the
        /// value, with `nan`, `inf` and `-inf` written as Python writes them.
        func text(_ value: Double) -> String {
            if value.isNaN { return "nan" }
            if value.isInfinite { return value < 0 ? "-inf" : "inf" }
            if scientific { return String(format: "%.4e", value) }
            if integerMode { return String(format: "%.0f", value) + "." }
            return String(format: "%.4f", value)
        }
    }

    /// Which elements are printed and how they nest (`get_summarized_data` and
    /// `_tensor_str_with_formatter`).
    private struct PrintLayout {
        /// The tensor's shape.
        let shape: [Int]
        /// Whether long dimensions keep only their edge items.
        let summarize: Bool

        /// The printed indices along a dimension of `size`, with nil where `...` stands.
        func printedIndices(alongDimensionOf size: Int) -> [Int?] {
            guard summarize && size > 2 * edgeItems else { return Array(0..<size) }
            return Array(0..<edgeItems) + [nil] + Array((size - edgeItems)..<size)
        }

        /// The row-major offsets of the printed elements, in print order.
        func printedOffsets() -> [Int] {
            var offsets = [0]
            for size in shape {
                let kept = printedIndices(alongDimensionOf: size).compactMap { $0 }
                offsets = offsets.flatMap { base in kept.map { base * size + $0 } }
            }
            return offsets
        }

        /// The bracketed text of the sub-tensor at `dimension`, taking its already padded
        /// element texts from `cells` in print order.
        func render(
            dimension: Int = 0, indent: Int, cellWidth: Int, cells: inout IndexingIterator<[String]>
        ) -> String {
            let remaining = shape.count - dimension
            if remaining == 0 { return cells.next()! }
            if remaining == 1 {
                let items = printedIndices(alongDimensionOf: shape[dimension]).map { $0 == nil ? " ..." : cells.next()! }
                return wrappedRow(items, indent: indent, cellWidth: cellWidth)
            }
            var slices: [String] = []
            for index in printedIndices(alongDimensionOf: shape[dimension]) {
                slices.append(index == nil ? "..." : render(
                    dimension: dimension + 1, indent: indent + 1, cellWidth: cellWidth, cells: &cells))
            }
            let separator = "," + String(repeating: "\n", count: remaining - 1)
                + String(repeating: " ", count: indent + 1)
            return "[" + slices.joined(separator: separator) + "]"
        }

        /// A 1-D row (`_vector_str`), broken into lines of as many elements as fit the line width.
        private func wrappedRow(_ items: [String], indent: Int, cellWidth: Int) -> String {
            let perLine = max(1, (lineWidth - indent) / (cellWidth + 2))
            let lines = stride(from: 0, to: items.count, by: perLine).map {
                items[$0..<min($0 + perLine, items.count)].joined(separator: ", ")
            }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
    }
}
