import ArgumentParser
import AutogradSeed
import Foundation

/// `autograd graph ID [--format F] [--output FILE] [--depth N]`: draws a seed exercise's
/// computation graph after its backward pass, with values, gradients and detach cuts.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a seed exercise's computation graph with its values and gradients.",
        discussion: """
            SVG and PNG are rendered with Graphviz's `dot` when it is installed; without it \
            the DOT file is written instead. HTML is one self-contained page: hover over or \
            click a node to see its full value and gradient.
            """)

    @Argument(help: "The exercise: 1, 2, 2b, 3 or 4.")
    var exercise: String

    @Option(help: "dot, svg, png, html or mermaid.")
    var format: GraphFormat = .svg

    @Option(name: .shortAndLong, help: "The file to write (default: exercise-ID.EXT).")
    var output: String?

    @Option(help: "Draw this many levels of layer clusters open; deeper ones become one box each.")
    var depth: Int?

    func validate() throws {
        let known = SeedExercise.all.map(\.id)
        guard known.contains(exercise) else {
            throw ValidationError("unknown exercise '\(exercise)'; choose from \(known.joined(separator: ", "))")
        }
        if let depth, depth < 0 { throw ValidationError("--depth must be 0 or more, got \(depth)") }
        try OutputLocation.checkFile(outputPath, option: "--output")
    }

    /// Where the drawing goes.
    private var outputPath: String { output ?? "exercise-\(exercise).\(format.fileExtension)" }

    func run() throws {
        guard let chosen = SeedExercise.all.first(where: { $0.id == exercise }) else {
            throw ValidationError("unknown exercise '\(exercise)'")
        }
        let url = URL(fileURLWithPath: outputPath)
        let graph = GraphFiles.graph(of: chosen, depth: depth)
        let (written, note) = try GraphFiles.write(graph, title: GraphFiles.title(of: chosen), format: format, to: url)
        if let note { print(note) } else { print("Wrote \(written.path)") }
    }
}
