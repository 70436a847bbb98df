import ArgumentParser
import Autograd
import AutogradSeed
import Foundation

/// The file formats `autograd graph` writes.
enum GraphFormat: String, CaseIterable, ExpressibleByArgument {
    case dot, svg, png, html, mermaid

    /// The file extension for this format.
    var fileExtension: String { self == .mermaid ? "mmd" : rawValue }

    /// Whether Graphviz's `dot` renders this format.
    var needsGraphviz: Bool { self == .svg || self == .png }
}

/// Writes drawings of the seed exercises' graphs to files.
enum GraphFiles {
    /// The graph of `exercise` after its backward pass, with every cluster open up to `depth`.
    static func graph(of exercise: SeedExercise, depth: Int? = nil) -> ComputationGraph {
        exercise.tracedRun().output.graph(depth: depth)
    }

    /// A page title for `exercise`'s drawing.
    static func title(of exercise: SeedExercise) -> String {
        "Exercise \(exercise.id): \(exercise.title)"
    }

    /// Writes `graph` to `url` in `format`. For SVG and PNG without Graphviz, writes the
    /// DOT file next to it instead and returns a one-line explanation.
    /// - Returns: the file written and, when the format could not be rendered, why.
    static func write(
        _ graph: ComputationGraph, title: String, format: GraphFormat, to url: URL
    ) throws -> (written: URL, note: String?) {
        switch format {
        case .dot: try write(graph.dot(), to: url)
        case .mermaid: try write(graph.mermaid(), to: url)
        case .html: try write(graph.html(title: title), to: url)
        case .svg, .png:
            guard Graphviz.isInstalled else {
                let dotURL = url.deletingPathExtension().appendingPathExtension("dot")
                try write(graph.dot(), to: dotURL)
                return (dotURL, "\(url.lastPathComponent) not rendered: \(GraphvizError.notInstalled); wrote \(dotURL.path) instead")
            }
            try Graphviz.render(graph.dot(), format: format.rawValue, to: url)
        }
        return (url, nil)
    }

    /// Writes each exercise's graph into `folder` as `exercise-ID.dot`, `.html` and, when
    /// Graphviz is installed, `.svg`, and returns one line saying where.
    /// - Throws: a one-line ``CommandError`` when a file cannot be written.
    static func drawings(of exercises: [SeedExercise], in folder: String) throws -> String {
        var formats: [GraphFormat] = [.html, .dot]
        if Graphviz.isInstalled { formats.append(.svg) }
        do {
            for exercise in exercises {
                let graph = graph(of: exercise)
                for format in formats {
                    let url = URL(fileURLWithPath: folder).appendingPathComponent("exercise-\(exercise.id).\(format.fileExtension)")
                    _ = try write(graph, title: title(of: exercise), format: format, to: url)
                }
            }
        } catch {
            throw CommandError("could not write the graph drawings to \(folder)/: \(AutogradCommand.oneLine(String(describing: error)))")
        }
        let names = formats.map { "exercise-N.\($0.fileExtension)" }.joined(separator: ", ")
        let missing = Graphviz.isInstalled ? "" : " (no SVG: Graphviz's `dot` is not installed; install the \(Graphviz.packageName) package)"
        let shown = folder.hasSuffix("/") ? folder : folder + "/"
        return "Drew each exercise's computation graph, with values and gradients, in \(shown): \(names)\(missing)"
    }

    /// Writes `text` to `url` as UTF-8, creating the folder if needed.
    private static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
