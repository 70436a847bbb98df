// data.py: the word vocabulary and the tokenised corpus.
import Autograd
import Foundation

/// The vocabulary: every distinct word, numbered in order of first appearance
/// (data.py's `Dictionary`).
struct Dictionary {
    /// `word2idx`: each word's number.
    private(set) var word2idx: [String: Int] = [:]
    /// `idx2word`: the words in number order.
    private(set) var idx2word: [String] = []

    /// `add_word`: the number of `word`, adding it when new.
    @discardableResult
    mutating func addWord(_ word: String) -> Int {
        if let index = word2idx[word] { return index }
        idx2word.append(word)
        word2idx[word] = idx2word.count - 1
        return idx2word.count - 1
    }

    /// `__len__`: the number of words.
    var count: Int { idx2word.count }
}

/// The three splits as int64 token tensors and their shared ``Dictionary`` (data.py's
/// `Corpus`).
///
/// The original reads `train.txt`, `valid.txt` and `test.txt` from a folder (Wikitext-2's
/// layout); so does this port when `--data` names a folder. Given one text file, or nothing
/// (the bundled Shakespeare), it splits the lines: the first 80% train, the next 10%
/// validate, the last 10% test.
struct Corpus {
    /// The vocabulary of all three splits.
    private(set) var dictionary = Dictionary()
    /// The training tokens, `[N]`.
    private(set) var train = Tensor([Int]())
    /// The validation tokens.
    private(set) var valid = Tensor([Int]())
    /// The test tokens.
    private(set) var test = Tensor([Int]())

    /// The corpus of `path` (a folder with the three files, or a text file), or of the
    /// bundled Shakespeare text when nil; with `maxWords`, only each text's lines up to its
    /// `maxWords`-th word are read.
    init(path: String?, maxWords: Int?) throws {
        var isFolder: ObjCBool = false
        if let path, FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            let folder = URL(fileURLWithPath: path)
            train = tokenize(try Self.lines(of: folder.appendingPathComponent("train.txt").path, maxWords: maxWords))
            valid = tokenize(try Self.lines(of: folder.appendingPathComponent("valid.txt").path, maxWords: maxWords))
            test = tokenize(try Self.lines(of: folder.appendingPathComponent("test.txt").path, maxWords: maxWords))
        } else {
            let lines = Self.truncate(Self.split(try path.map(Self.read) ?? ShakespeareText.text()), maxWords: maxWords)
            let (trainEnd, validEnd) = (lines.count * 8 / 10, lines.count * 9 / 10)
            train = tokenize(lines[..<trainEnd])
            valid = tokenize(lines[trainEnd..<validEnd])
            test = tokenize(lines[validEnd...])
        }
    }

    /// `tokenize`: every word of every line, then `<eos>`, added to the dictionary and
    /// numbered.
    private mutating func tokenize(_ lines: ArraySlice<Substring>) -> Tensor {
        var ids: [Int] = []
        for line in lines {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init) + ["<eos>"]
            for word in words { ids.append(dictionary.addWord(word)) }
        }
        return Tensor(ids)
    }

    /// The lines of the text file at `path`, up to its `maxWords`-th word.
    private static func lines(of path: String, maxWords: Int?) throws -> ArraySlice<Substring> {
        truncate(split(try read(path)), maxWords: maxWords)
    }

    /// The text of the UTF-8 file at `path`.
    private static func read(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw RunError("no such file: \(path)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw RunError("cannot read \(path)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// `text`'s lines, as Python's `for line in f` gives them.
    private static func split(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The first lines of `lines` that hold at most `maxWords` words, or all of them.
    private static func truncate(_ lines: [Substring], maxWords: Int?) -> ArraySlice<Substring> {
        guard let maxWords else { return lines[...] }
        var words = 0
        for (index, line) in lines.enumerated() {
            words += line.split(whereSeparator: \.isWhitespace).count
            if words > maxWords { return lines[..<index] }
        }
        return lines[...]
    }
}

/// A failure while the program runs (a missing corpus file, a corpus too short, a loss gone
/// infinite), printed as `Error: <message>`.
struct RunError: Error, CustomStringConvertible {
    /// The message.
    let description: String
    /// An error with `description` as its message.
    init(_ description: String) { self.description = description }
}
