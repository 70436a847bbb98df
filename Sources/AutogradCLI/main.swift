import ArgumentParser
import AutogradSeed

/// The `autograd` command-line tool.
struct AutogradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autograd",
        abstract: "PyTorch-style automatic differentiation in Swift.",
        subcommands: [Tour.self, Seed.self, GraphCommand.self, Train.self, Evaluate.self, Generate.self, Bench.self, CheckKernels.self],
        defaultSubcommand: Tour.self)
}

/// `autograd` with no subcommand: the seed exercises with drawings of their graphs, then
/// training the default model on the bundled digits.
struct Tour: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The seed exercises and their graphs, then training the default MLP on the digits.")

    func run() throws {
        print("# The seed exercises")
        print()
        try Seed.parse([]).run()
        print()
        print("# Training the default MLP on the bundled digits (autograd train)")
        print()
        try Train.parse([]).run()
    }
}

/// `autograd seed [ID ...]`: runs the seed study note's programs and prints their output.
struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the seed exercises (1, 2, 2b, 3, 4) and print what each prints.")

    @Argument(help: "Exercises to run: 1, 2, 2b, 3 or 4 (all when omitted).")
    var exercises: [String] = []

    @Option(help: "The folder where drawings of the exercises' graphs are written (made if missing; '' for the current folder).")
    var graphs = "graphs"

    func validate() throws {
        let known = SeedExercise.all.map(\.id)
        for id in exercises where !known.contains(id) {
            throw ValidationError("unknown exercise '\(id)'; choose from \(known.joined(separator: ", "))")
        }
        try OutputLocation.checkFolder(OutputLocation.folder(graphs), option: "--graphs")
    }

    func run() throws {
        let chosen = SeedExercise.all.filter { exercises.isEmpty || exercises.contains($0.id) }
        for (index, exercise) in chosen.enumerated() {
            if index > 0 { print() }
            print("## Exercise \(exercise.id): \(exercise.title)")
            exercise.run().forEach { print($0) }
        }
        print()
        print(try GraphFiles.drawings(of: chosen, in: OutputLocation.folder(graphs)))
    }
}

AutogradCommand.mainPrintingErrorsOnOneLine()
