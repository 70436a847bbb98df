import ArgumentParser
import Autograd
import Foundation

/// `autograd generate --checkpoint FILE`: text sampled from a character-level language model
/// written by `autograd train --model gpt` (as nanoGPT's `sample.py` makes it) or `--model lstm`.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print text sampled from a gpt or lstm checkpoint written by `autograd train --model gpt` or `--model lstm`.",
        discussion: """
            Starting from --prompt, each next character is drawn from the model's softmax of \
            the logits divided by --temperature, keeping only the --top-k most likely \
            characters; the same --seed gives the same text. An lstm reads the prompt, then \
            each new character, carrying its state; a gpt rereads its last block_size characters.
            """)

    @Option(help: "The safetensors checkpoint.")
    var checkpoint: String

    @Option(help: "Characters to generate, 0 to \(Generate.maximumTokens).")
    var tokens = 500

    @Option(help: "Divides the logits: below 1 is more conservative, above 1 more random.")
    var temperature = 0.8

    @Option(help: "Sample among the k most likely characters only; 0 keeps them all.")
    var topK = 200

    @Option(help: "The seed of the sampling.")
    var seed: UInt64 = 1337

    @Option(help: "The text to continue (printed first); its characters must be in the model's vocabulary.")
    var prompt = "\n"

    /// The most characters `--tokens` asks for.
    static let maximumTokens = 1_000_000

    func validate() throws {
        guard (0...Generate.maximumTokens).contains(tokens) else {
            throw ValidationError("--tokens must be from 0 to \(Generate.maximumTokens), got \(tokens)")
        }
        guard temperature > 0 && temperature.isFinite else { throw ValidationError("--temperature must be positive, got \(temperature)") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 (all) or positive, got \(topK)") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt needs at least one character") }
    }

    func run() throws {
        let contents = try Safetensors.read(from: URL(fileURLWithPath: checkpoint))
        guard let file = try LanguageModelCheckpoint(file: checkpoint, contents: contents) else {
            throw CommandError("\(checkpoint) is not a language-model checkpoint (its metadata names no gpt or lstm); `autograd train --model gpt` or `--model lstm` writes one")
        }
        let model = try file.kind.load(file)
        let vocabulary = file.vocabulary
        let unknown = prompt.unicodeScalars.map(Character.init).filter { !vocabulary.contains($0) }
        guard unknown.isEmpty else {
            throw CommandError("the prompt has characters outside the model's vocabulary: \(String(reflecting: String(Set(unknown).sorted())))")
        }
        let promptTokens = prompt.unicodeScalars.map { scalar in vocabulary.firstIndex(of: Character(scalar))! }
        let generated = model.sample(prompt: promptTokens, count: tokens, temperature: temperature,
                                     topK: topK == 0 ? nil : topK, generator: RandomGenerator(seed: seed))
        // A model whose vocab_size exceeds its vocabulary (padded, as nanoGPT pads GPT-2's) may
        // sample an index without a character.
        print(String(generated.map { $0 < vocabulary.count ? vocabulary[$0] : "\u{FFFD}" }))
    }
}
