import XCTest

/// The one rule for output paths (`train --save` and `--plot`, `graph --output`, `seed
/// --graphs`): the folder that will hold the output must exist, checked before any work.
final class CLIOutputPathTests: XCTestCase {
    private var cli: CLIProcess!

    override func setUpWithError() throws { cli = try CLIProcess() }
    override func tearDown() { cli.removeFolder() }

    func testAnOutputInAMissingFolderFailsBeforeAnyWork() throws {
        let missing = cli.path("missing")
        let cases: [([String], String)] = [
            (["train", "--save", "\(missing)/x.safetensors"], "--save: the folder \(missing) does not exist"),
            (["train", "--save", cli.path("x.safetensors"), "--plot", "\(missing)/x.svg"], "--plot: the folder \(missing) does not exist"),
            (["graph", "3", "--output", "\(missing)/g.svg"], "--output: the folder \(missing) does not exist"),
            (["seed", "--graphs", "\(missing)/graphs"], "--graphs: the folder \(missing) does not exist"),
        ]
        for (arguments, message) in cases {
            let result = try cli.expectFailure(arguments, status: 64, message: message)
            XCTAssertEqual(result.output, "", "\(arguments) did work before failing")
        }
        XCTAssertEqual(try cli.files(), [])
    }

    func testAnOutputThatIsAFolderOrEmptyIsRejected() throws {
        try FileManager.default.createDirectory(atPath: cli.path("taken"), withIntermediateDirectories: false)
        try cli.expectFailure(["train", "--save", cli.path("taken")], status: 64, message: "--save: \(cli.path("taken")) is a folder")
        try cli.expectFailure(["graph", "1", "--output", cli.path("taken")], status: 64, message: "--output: \(cli.path("taken")) is a folder")
        try cli.expectFailure(["graph", "1", "--output", ""], status: 64, message: "--output needs a file name")
        try Data().write(to: URL(fileURLWithPath: cli.path("plain")))
        try cli.expectFailure(["seed", "1", "--graphs", cli.path("plain")], status: 64, message: "--graphs: \(cli.path("plain")) is a file, not a folder")
        try cli.expectFailure(["train", "--save", cli.path("plain") + "/x.safetensors"], status: 64, message: "is a file, not a folder")
    }

    func testSeedGraphsMakesItsFolderWhenItsParentExists() throws {
        let result = try cli.run(["seed", "1", "--graphs", cli.path("drawings")])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("in \(cli.path("drawings"))/: "), result.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("drawings/exercise-1.html")))
    }

    func testSeedGraphsEmptyWritesInTheCurrentFolderAndSaysWhere() throws {
        let result = try cli.run(["seed", "1", "--graphs", ""])
        XCTAssertEqual(result.status, 0, result.errors)
        let here = cli.folder.resolvingSymlinksInPath().path
        let said = result.output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(said.contains(" in \(here)/: ") || said.contains(" in \(cli.folder.path)/: "), said)
        let files = try cli.files()
        XCTAssertTrue(files.isSuperset(of: ["exercise-1.html", "exercise-1.dot"]), "\(files)")
    }

    func testGraphWritesWhereItIsTold() throws {
        let result = try cli.run(["graph", "1", "--format", "html", "--output", cli.path("g.html")])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(try cli.files(), ["g.html"])
    }
}
