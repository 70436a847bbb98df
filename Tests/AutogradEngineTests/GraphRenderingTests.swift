import Foundation
import XCTest
import Autograd
import AutogradSeed

/// The drawings as a person sees them: the SVG Graphviz renders from our DOT, and the HTML
/// page opened in headless Chromium.
final class GraphRenderingTests: XCTestCase {
    private func tracedGraph(_ id: String) throws -> ComputationGraph {
        try XCTUnwrap(SeedExercise.all.first { $0.id == id }).tracedRun().output.graph()
    }

    private func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("graph-test-\(UUID().uuidString)-\(name)")
    }

    func testGraphvizRendersSVGWithLabelsAndGradients() throws {
        guard Graphviz.isInstalled else {
            throw XCTSkip("Graphviz's `dot` is not installed (apt-get install graphviz); SVG rendering not checked")
        }
        let output = temporaryFile("exercise-3.svg")
        defer { try? FileManager.default.removeItem(at: output) }
        try Graphviz.render(try tracedGraph("3").dot(), format: "svg", to: output)
        let svg = try String(contentsOf: output, encoding: .utf8)
        for text in ["params", "params[0]", "MulBackward0", "AddBackward0", "value [2, 3, 5, 4]",
                     "grad [189, 126, 42, 42]", "grad 189 = 105 + 84", "grad [5]", "grad [4]", "leaf, requires grad"] {
            XCTAssertTrue(svg.contains(text), "the SVG should show \(text)")
        }

        let cut = temporaryFile("exercise-2b.svg")
        defer { try? FileManager.default.removeItem(at: cut) }
        try Graphviz.render(try tracedGraph("2b").dot(), format: "svg", to: cut)
        let cutSVG = try String(contentsOf: cut, encoding: .utf8)
        XCTAssertTrue(cutSVG.contains("cut by detach(): no gradient"))
        XCTAssertTrue(cutSVG.contains("stroke-dasharray"), "the cut edge is dashed")
        XCTAssertTrue(cutSVG.contains("grad [18]"))
    }

    func testHTMLPageLoadsInChromiumWithoutErrorsAndShowsTheLabels() throws {
        guard let chromium = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap(Self.executable).first else {
            throw XCTSkip("Chromium is not installed (apt-get install chromium); the HTML page was not opened in a browser")
        }
        let page = temporaryFile("exercise-2b.html")
        defer { try? FileManager.default.removeItem(at: page) }
        try Data(try tracedGraph("2b").html(title: "Exercise 2b").utf8).write(to: page)
        let profile = temporaryFile("chromium-profile")
        defer { try? FileManager.default.removeItem(at: profile) }
        let (dom, log) = try Self.run(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom", page.absoluteString,
        ])
        // The page logs nothing, so any console message (an error, an uncaught exception) fails.
        let consoleMessages = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        XCTAssertEqual(consoleMessages, [], "the page wrote to the console")
        XCTAssertTrue(dom.contains("data-graph-ready=\"true\""), "the page's script did not finish")
        XCTAssertFalse(dom.contains("data-graph-error=\""), "the page's script raised an error")
        for label in ["params", "params.detach()", "loss", "MulBackward0", "Detach", "cut by detach(): no gradient"] {
            XCTAssertTrue(dom.contains(">\(label)<"), "the rendered page should show \(label)")
        }
        XCTAssertTrue(dom.contains("tensor([54.])"), "the details panel shows the output's full value")
    }

    /// The full path of `name` on `PATH`, if it is there.
    private static func executable(_ name: String) -> URL? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs `program` with `arguments`, stopping it after a minute; returns its output and
    /// error output.
    private static func run(_ program: URL, _ arguments: [String]) throws -> (output: String, errors: String) {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        let output = temporaryLog("out")
        let errors = temporaryLog("err")
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(program.lastPathComponent) did not finish within a minute")
        }
        return (try String(contentsOf: output, encoding: .utf8), try String(contentsOf: errors, encoding: .utf8))
    }

    /// An empty temporary file for a process's output.
    private static func temporaryLog(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("graph-test-\(UUID().uuidString).\(name)")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }
}
