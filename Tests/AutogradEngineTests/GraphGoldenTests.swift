import Foundation
import XCTest
import Autograd
import AutogradSeed

/// The DOT and Mermaid text drawn for each seed program, compared with committed files in
/// `Fixtures/graphs/`. After an intended change, regenerate them with
/// `UPDATE_GRAPH_GOLDENS=1 swift test --filter GraphGoldenTests` and review the diff.
final class GraphGoldenTests: XCTestCase {
    func testDOTOfEachSeedExerciseMatchesItsGoldenFile() throws {
        for exercise in SeedExercise.all {
            try assertGolden(exercise.tracedRun().output.graph().dot(), named: "exercise-\(exercise.id).dot")
        }
    }

    func testMermaidOfEachSeedExerciseMatchesItsGoldenFile() throws {
        for exercise in SeedExercise.all {
            try assertGolden(exercise.tracedRun().output.graph().mermaid(), named: "exercise-\(exercise.id).mmd")
        }
    }

    /// Compares `text` with the golden file `name`, or rewrites the file when asked to.
    private func assertGolden(_ text: String, named name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        if ProcessInfo.processInfo.environment["UPDATE_GRAPH_GOLDENS"] == "1" {
            let source = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
                .appendingPathComponent("Fixtures/graphs/\(name)")
            try Data(text.utf8).write(to: source)
            return
        }
        let parts = name.split(separator: ".")
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Fixtures/graphs"),
            "missing golden file Fixtures/graphs/\(name); run with UPDATE_GRAPH_GOLDENS=1 to create it", file: file, line: line)
        let golden = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, golden, "\(name) differs from its golden file", file: file, line: line)
    }
}
