import Foundation
import XCTest
import Autograd

/// The character-level corpus: vocabulary, encoding, the 90/10 split and batches.
final class CharacterDatasetTests: XCTestCase {
    private let text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"

    func testVocabularyIsTheSortedDistinctCharacters() {
        let data = CharacterDataset(text: text)
        XCTAssertEqual(String(data.vocabulary), "\n ,.:ABCFSacdefhiklmnoprstuwyz")
        XCTAssertEqual(data.vocabularySize, 30)
        XCTAssertEqual(data.tokens.count, text.count)
        XCTAssertEqual(data.decode(data.tokens), text)
        XCTAssertEqual(data.encode("Speak"), [9, 22, 13, 10, 17])
        XCTAssertEqual(data.unknownCharacters(in: "Speak, Xerxes! Xx"), ["X", "x", "!"])
    }

    func testNonASCIITextIsEncodedByCodePoint() {
        let data = CharacterDataset(text: "é\r\nà é")
        XCTAssertEqual(data.vocabulary, ["\n", "\r", " ", "à", "é"])
        XCTAssertEqual(data.tokens, [4, 1, 0, 3, 2, 4])
        XCTAssertEqual(data.decode(data.tokens), "é\r\nà é")
    }

    func testAGivenVocabularyEncodesInItsOrder() throws {
        let data = try XCTUnwrap(CharacterDataset(text: "abba c", vocabulary: ["c", "b", "a", " ", "z"]))
        XCTAssertEqual(data.tokens, [2, 1, 1, 2, 3, 0])
        XCTAssertEqual(data.vocabularySize, 5)
        XCTAssertEqual(data.decode([4, 0]), "zc")
        XCTAssertNil(CharacterDataset(text: "abd", vocabulary: ["a", "b", "c"]), "d is not in the vocabulary")
        XCTAssertNil(CharacterDataset(text: "ab", vocabulary: ["a", "b", "a"]), "a repeats")
        XCTAssertNil(CharacterDataset(text: "", vocabulary: []), "empty")
        XCTAssertNil(CharacterDataset(text: "a", vocabulary: ["a", "\r\n"]), "two scalars")
    }

    func testSplitIsTheFirstNinetyPercent() {
        let data = CharacterDataset(text: text)
        XCTAssertEqual(data.splitIndex, Int(0.9 * Double(text.count)))
        XCTAssertEqual(Array(data.tokens(.train)) + Array(data.tokens(.validation)), data.tokens)
        XCTAssertEqual(data.tokens(.validation).count, text.count - data.splitIndex)
    }

    func testBatchesAreInt64BlocksAndTheirNextTokens() {
        let data = CharacterDataset(text: String(repeating: text, count: 5))
        let (x, y) = data.batch(.train, batchSize: 6, blockSize: 9, generator: RandomGenerator(seed: 3))
        XCTAssertEqual(x.shape, [6, 9])
        XCTAssertEqual(y.shape, [6, 9])
        XCTAssertEqual(x.dtype, .int64)
        XCTAssertEqual(y.dtype, .int64)
        let train = Array(data.tokens(.train))
        let (xs, ys) = (x.asArray(Int.self), y.asArray(Int.self))
        for row in 0..<6 {
            let block = Array(xs[(row * 9)..<(row * 9 + 9)]), next = Array(ys[(row * 9)..<(row * 9 + 9)])
            XCTAssertEqual(Array(block.dropFirst()), Array(next.dropLast()))
            let starts = (0..<(train.count - 9)).filter { Array(train[$0..<($0 + 9)]) == block && train[$0 + 9] == next[8] }
            XCTAssertFalse(starts.isEmpty, "row \(row) is a block of the training split")
        }
        let again = data.batch(.train, batchSize: 6, blockSize: 9, generator: RandomGenerator(seed: 3))
        XCTAssertEqual(again.x.asArray(Int.self), xs)
        let validation = data.batch(.validation, batchSize: 2, blockSize: 4, generator: RandomGenerator(seed: 3))
        let validationTokens = Array(data.tokens(.validation))
        let first = Array(validation.x.asArray(Int.self).prefix(4))
        XCTAssertTrue((0..<(validationTokens.count - 4)).contains { Array(validationTokens[$0..<($0 + 4)]) == first })
    }

    func testSequentialBlocksCoverTheSplitWithoutOverlap() {
        let data = CharacterDataset(text: String(repeating: "abcdefghij", count: 10))   // validation: 10 tokens
        let (x, y) = data.sequentialBlocks(.validation, blockSize: 3)
        XCTAssertEqual(x.shape, [3, 3])                                                  // (10 - 1) / 3
        XCTAssertEqual(data.decode(x.asArray(Int.self)), "abcdefghi")
        XCTAssertEqual(data.decode(y.asArray(Int.self)), "bcdefghij")
    }

    func testTheBundledShakespeareText() throws {
        let data = try ShakespeareText.load()
        XCTAssertEqual(data.tokens.count, 1_321_853)
        XCTAssertEqual(data.vocabularySize, 66)
        XCTAssertEqual(String(data.vocabulary), "\n !&',-.:;?ABCDEFGHIJKLMNOPQRSTUVWYZ[\\]_abcdefghijklmnopqrstuvwxyz")
        XCTAssertEqual(data.splitIndex, 1_189_667)
        XCTAssertEqual(data.decode(data.tokens.prefix(23)), "Bernardo:\nWho's there?\n")
        XCTAssertFalse(ShakespeareText.attribution.isEmpty)
    }
}
