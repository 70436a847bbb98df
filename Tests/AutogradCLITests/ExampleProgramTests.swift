import Foundation
import XCTest

/// The programs of `Examples/` (nanoGPT's train.py, word_language_model's main.py and
/// mnist's main.py, ported) run as a user runs them, with their tiniest settings: each
/// prints the original's report lines with finite losses that fall, writes what the
/// original writes, and refuses a bad flag with a message.
final class ExampleProgramTests: XCTestCase {
    private var process: CLIProcess!

    /// The temporary folder the programs run in.
    private var folder: URL { process.folder }

    override func setUpWithError() throws { process = try CLIProcess() }

    override func tearDown() { process.removeFolder() }

    // MARK: - nanoGPT

    func testNanoGPTTrainsAndSamples() throws {
        let result = try run("example-nanogpt", [
            "--max_iters=12", "--eval_interval=6", "--eval_iters=2", "--log_interval=1", "--batch_size=4",
            "--block_size=16", "--n_layer=1", "--n_head=2", "--n_embd=16", "--learning_rate=0.01",
            "--warmup_iters=2", "--lr_decay_iters=12", "--max_new_tokens=30",
        ])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("tokens per iteration will be: 64\n"), result.output)
        XCTAssertTrue(result.output.contains("found vocab_size = 66 "), result.output)
        // train.py's two reports: the estimates every eval_interval steps, the loss every step.
        let estimates = numbers(in: result.output, matching: #"^step (\d+): train loss (\S+), val loss (\S+)$"#)
        XCTAssertEqual(estimates.map { Int($0[0]) }, [0, 6, 12], result.output)
        let losses = numbers(in: result.output, matching: #"^iter (\d+): loss (\S+), time \S+ms$"#)
        XCTAssertEqual(losses.map { Int($0[0]) }, Array(0...12), result.output)
        XCTAssertTrue(losses.allSatisfy { $0[1].isFinite })
        // The untrained model predicts about uniformly over 66 characters: ln 66 ≈ 4.19.
        XCTAssertEqual(estimates[0][1], log(66), accuracy: 0.3)
        XCTAssertLessThan(estimates[2][1], estimates[0][1] - 0.3, "the training loss estimate did not fall")
        XCTAssertLessThan(estimates[2][2], estimates[0][2] - 0.3, "the validation loss estimate did not fall")
        // sample.py: one sample of a newline and 30 characters, then its separator.
        let sample = try XCTUnwrap(result.output.components(separatedBy: "iter 12: ").last)
        let lines = sample.components(separatedBy: "\n")
        XCTAssertEqual(lines.suffix(2), ["---------------", ""], sample)
        XCTAssertEqual(lines.dropFirst().dropLast(2).joined(separator: "\n").count, 31, sample)
    }

    func testNanoGPTRefusesBadSettings() throws {
        try expectFailure("example-nanogpt", ["--n_embd=30", "--n_head=4"], message: "n_embd (30) must be a multiple of n_head (4)")
        try expectFailure("example-nanogpt", ["--max-iters", "3"], message: "Unknown option '--max-iters'")
    }

    // MARK: - word_language_model

    func testWordLanguageModelTrainsOnShakespeare() throws {
        let result = try run("example-word-language-model", [
            "--max-words", "1000", "--emsize", "16", "--nhid", "16", "--nlayers", "1", "--epochs", "3",
            "--bptt", "10", "--batch_size", "4", "--log-interval", "5", "--dropout", "0", "--words", "25",
        ])
        XCTAssertEqual(result.status, 0, result.errors)
        // main.py's report every log_interval batches, of 21 batches of 10 words per epoch
        // (the first 1000 words and their lines' <eos>, 80% of them, in 4 columns).
        let reports = try trainingReports(result.output)
        XCTAssertEqual(reports.map { [$0.epoch, $0.batch] }, [1, 2, 3].flatMap { epoch in [5, 10, 15, 20].map { [epoch, $0] } },
                       result.output)
        XCTAssertTrue(reports.allSatisfy { $0.batches == 21 }, result.output)
        XCTAssertEqual(reports[0].lr, 20)
        XCTAssertLessThan(try XCTUnwrap(reports.last).loss, reports[0].loss - 0.5, "the training loss did not fall")
        let ends = try epochEnds(result.output, epochs: 3)
        try checkAnnealing(reports, ends)
        let test = numbers(in: result.output, matching: #"^\| End of training \| test loss +(\S+) \| test ppl +(\S+)$"#)
        XCTAssertEqual(test.count, 1, result.output)
        XCTAssertTrue(test.allSatisfy { $0[0].isFinite && $0[0] < log(1000.0) }, result.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("model.safetensors")))
        // generate.py's words: 25 of them, twenty to a line.
        let generated = try XCTUnwrap(result.output.components(separatedBy: "| Generated 0/25 words\n").last)
        XCTAssertEqual(generated.split(whereSeparator: \.isWhitespace).count, 25, generated)
        XCTAssertEqual(generated.split(separator: "\n").first?.split(separator: " ").count, 20, generated)
    }

    func testWordLanguageModelReadsAFolderOfSplitsWithGRUAndRNN() throws {
        let sentence = "the cat sat on the mat and the dog sat on the log"
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        for (name, lines) in [("train.txt", 40), ("valid.txt", 8), ("test.txt", 8)] {
            try String(repeating: sentence + "\n", count: lines).write(to: corpus.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let gru = try run("example-word-language-model", [
            "--data", corpus.path, "--model", "GRU", "--tied", "--emsize", "12", "--nhid", "12", "--epochs", "3",
            "--bptt", "8", "--batch_size", "2", "--log-interval", "10", "--dropout", "0.1", "--save", "gru.safetensors",
        ])
        XCTAssertEqual(gru.status, 0, gru.errors)
        // 40 lines of 13 words and <eos> in 2 columns: 280 rows, 35 batches of 8.
        let reports = try trainingReports(gru.output)
        XCTAssertEqual(reports.map { [$0.epoch, $0.batch, $0.batches] }, [1, 2, 3].flatMap { epoch in [10, 20, 30].map { [epoch, $0, 35] } },
                       gru.output)
        let ends = try epochEnds(gru.output, epochs: 3)
        try checkAnnealing(reports, ends)
        // Eight distinct words and <eos>: the repeated sentence becomes easy to predict.
        let best = try XCTUnwrap(ends.map(\.loss).min())
        XCTAssertLessThan(best, log(9.0) - 1, gru.output)
        // The test split is the validation split here, so the best model, loaded back for
        // the test, scores the best validation loss.
        let test = numbers(in: gru.output, matching: #"^\| End of training \| test loss +(\S+) \| test ppl +(\S+)$"#)
        XCTAssertEqual(test.map { $0[0] }, [best], gru.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("gru.safetensors")))

        // --dry-run: one batch per epoch (too few to report), then the evaluations.
        let rnn = try run("example-word-language-model", [
            "--data", corpus.path, "--model", "RNN_RELU", "--emsize", "8", "--nhid", "6", "--epochs", "2", "--dry-run",
        ])
        XCTAssertEqual(rnn.status, 0, rnn.errors)
        XCTAssertEqual(try trainingReports(rnn.output).count, 0, rnn.output)
        _ = try epochEnds(rnn.output, epochs: 2)
        XCTAssertTrue(rnn.output.contains("| End of training | test loss "), rnn.output)
    }

    func testWordLanguageModelRefusesBadSettings() throws {
        try expectFailure("example-word-language-model", ["--tied", "--emsize", "16", "--nhid", "32"],
                          message: "When using the tied flag, nhid must be equal to emsize")
        try expectFailure("example-word-language-model", ["--model", "Transformer"], message: "'Transformer' is invalid for '--model")
        try expectFailure("example-word-language-model", ["--data", path("missing.txt")], status: 1, message: "no such file")
    }

    // MARK: - mnist

    func testMNISTTrainsOnTheDigits() throws {
        let result = try run("example-mnist", ["--epochs", "1", "--log-interval", "5", "--test-batch-size", "400", "--save-model"])
        XCTAssertEqual(result.status, 0, result.errors)
        // main.py's lines: 1,438 training images in 23 batches of 64, logged every 5.
        let reports = numbers(in: result.output, matching: #"^Train Epoch: (\d+) \[(\d+)/(\d+) \((\d+)%\)\]\tLoss: (\S+)$"#)
        XCTAssertEqual(reports.map { [$0[0], $0[1], $0[2]] }, [0.0, 320, 640, 960, 1280].map { [1, $0, 1438] }, result.output)
        XCTAssertEqual(reports.map { $0[3] }, [0, 22, 43, 65, 87])
        XCTAssertTrue(reports.allSatisfy { $0[4].isFinite })
        XCTAssertEqual(reports[0][4], log(10), accuracy: 0.3, "the untrained network's loss")
        XCTAssertLessThan(reports[4][4], reports[0][4] - 0.5, "the training loss did not fall")
        let tests = numbers(in: result.output, matching: #"^Test set: Average loss: (\S+), Accuracy: (\d+)/(\d+) \((\d+)%\)$"#)
        XCTAssertEqual(tests.count, 1, result.output)
        let (loss, correct, count, percent) = (tests[0][0], tests[0][1], tests[0][2], tests[0][3])
        XCTAssertEqual(count, 359)
        XCTAssertLessThan(loss, 1.5, "the test loss after one epoch of Adadelta")
        XCTAssertGreaterThan(correct, 250, "the test accuracy after one epoch of Adadelta")
        XCTAssertEqual(percent, (100 * correct / count).rounded(.toNearestOrEven))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("mnist_cnn.safetensors")))
    }

    func testMNISTReadsIDXFilesAndSizesTheNetworkForThem() throws {
        // Twelve 10×10 images (fc1 then takes 64·3·3 features) of two kinds, in MNIST's files.
        let data = folder.appendingPathComponent("mnist")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for prefix in ["train", "t10k"] {
            let labels = (0..<12).map { UInt8($0 % 2) }
            let images: [UInt8] = labels.flatMap { label in
                (0..<100).map { (pixel: Int) -> UInt8 in (pixel % 10 < 5) == (label == 0) ? 255 : 0 }
            }
            try idx(magic: 0x0803, dimensions: [12, 10, 10], images).write(to: data.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try idx(magic: 0x0801, dimensions: [12], labels).write(to: data.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
        let result = try run("example-mnist", ["--data", data.path, "--epochs", "1", "--batch-size", "4", "--log-interval", "1"])
        XCTAssertEqual(result.status, 0, result.errors)
        let reports = numbers(in: result.output, matching: #"^Train Epoch: (\d+) \[(\d+)/(\d+) \((\d+)%\)\]\tLoss: (\S+)$"#)
        XCTAssertEqual(reports.map { $0[1] }, [0, 4, 8], result.output)
        XCTAssertTrue(result.output.contains("Accuracy: "), result.output)
        XCTAssertTrue(result.output.contains("/12 ("), result.output)
    }

    func testMNISTRefusesBadSettings() throws {
        try expectFailure("example-mnist", ["--epochs", "0"], message: "--epochs must be positive, got 0")
        try expectFailure("example-mnist", ["--bogus"], message: "Unknown option '--bogus'")
        try expectFailure("example-mnist", ["--data", path("nowhere")], status: 1, message: "data file not found")
    }

    // MARK: - word_language_model's reports

    /// One `| epoch ... | lr ... | loss ... | ppl ...` line.
    private struct TrainingReport {
        let epoch: Int, batch: Int, batches: Int, lr: Double, loss: Double
    }

    /// The training reports in `output`, each checked: finite loss, perplexity its exponential.
    private func trainingReports(_ output: String, file: StaticString = #filePath, line: UInt = #line) throws -> [TrainingReport] {
        let pattern = #"^\| epoch +(\d+) \| +(\d+)/ *(\d+) batches \| lr (\d+\.\d\d) \| ms/batch +\S+ \| loss +(\S+) \| ppl +(\S+)$"#
        return numbers(in: output, matching: pattern).map { report in
            XCTAssertTrue(report[4].isFinite && report[4] > 0, "\(report)", file: file, line: line)
            XCTAssertEqual(report[5], exp(report[4]), accuracy: exp(report[4]) * 0.01, "\(report)", file: file, line: line)
            return TrainingReport(epoch: Int(report[0]), batch: Int(report[1]), batches: Int(report[2]), lr: report[3], loss: report[4])
        }
    }

    /// The validation loss of each `| end of epoch ...` line, checked: one per epoch, finite,
    /// perplexity its exponential.
    private func epochEnds(_ output: String, epochs: Int, file: StaticString = #filePath, line: UInt = #line) throws
        -> [(epoch: Int, loss: Double)]
    {
        let ends = numbers(in: output, matching: #"^\| end of epoch +(\d+) \| time: +\S+s \| valid loss +(\S+) \| valid ppl +(\S+)$"#)
        XCTAssertEqual(ends.map { Int($0[0]) }, Array(1...epochs), output, file: file, line: line)
        for end in ends {
            XCTAssertTrue(end[1].isFinite, "\(end)", file: file, line: line)
            XCTAssertEqual(end[2], exp(end[1]), accuracy: exp(end[1]) * 0.01, "\(end)", file: file, line: line)
        }
        return ends.map { (Int($0[0]), $0[1]) }
    }

    /// main.py's annealing: an epoch's learning rate is the previous epoch's, divided by 4
    /// when that epoch's validation loss was not the best so far (where the printed losses,
    /// rounded to two places, can tell).
    private func checkAnnealing(_ reports: [TrainingReport], _ ends: [(epoch: Int, loss: Double)],
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let lr = Dictionary(reports.map { ($0.epoch, $0.lr) }, uniquingKeysWith: { first, _ in first })
        var best = Double.infinity
        for (epoch, loss) in ends.dropLast() {
            defer { best = min(best, loss) }
            guard let current = lr[epoch], let next = lr[epoch + 1], loss != best else { continue }
            let expected = loss < best ? current : current / 4
            XCTAssertEqual(next, (expected * 100).rounded() / 100, accuracy: 1e-9,
                           "epoch \(epoch + 1)'s learning rate after a validation loss of \(loss) (best \(best))", file: file, line: line)
        }
    }

    // MARK: - Running the programs

    /// The path of `name` in the test's folder.
    private func path(_ name: String) -> String { process.path(name) }

    /// Runs the example program `name` with `arguments` in the test's folder.
    private func run(_ name: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIProcess.Result {
        try process.run(product: name, arguments, file: file, line: line)
    }

    /// Runs `name` and checks that it exits with a non-zero status (`status` when given),
    /// without a crash, printing `Error: ...` with `message` on standard error.
    private func expectFailure(_ name: String, _ arguments: [String], status: Int32? = nil, message: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(name, arguments, file: file, line: line)
        let command = "\(name) \(arguments.joined(separator: " "))"
        XCTAssertTrue(result.exited && result.status > 0, "\(command) succeeded or crashed: \(result.output)\(result.errors)", file: file, line: line)
        if let status { XCTAssertEqual(result.status, status, "\(command): exit status", file: file, line: line) }
        XCTAssertTrue(result.errors.hasPrefix("Error: "), "\(command): \(result.errors)", file: file, line: line)
        XCTAssertTrue(result.errors.contains(message), "\(command): expected '\(message)' in: \(result.errors)", file: file, line: line)
    }

    /// The numbers captured by `pattern` on each line of `text` that it matches.
    private func numbers(in text: String, matching pattern: String) -> [[Double]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return text.split(separator: "\n").compactMap { line in
            let line = String(line)
            guard let match = regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) else { return nil }
            return (1..<match.numberOfRanges).map { index in
                Range(match.range(at: index), in: line).flatMap { Double(line[$0]) } ?? .nan
            }
        }
    }

    /// An IDX file: the magic number, the dimensions (big-endian 32-bit), the bytes.
    private func idx(magic: UInt32, dimensions: [UInt32], _ bytes: [UInt8]) -> Data {
        let header = ([magic] + dimensions).flatMap { value in (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
        return Data(header + bytes)
    }
}
