// generate.py: samples words from the trained model, feeding each one back in.
import Autograd

/// `words` words drawn from `model` one at a time, starting from a random word, with the
/// next word's probabilities sharpened (`temperature` below 1) or flattened (above 1);
/// twenty words to a line, as generate.py writes them. Progress goes to standard output
/// every `logInterval` words.
func generate(_ model: RNNModel, _ corpus: Corpus, words: Int, temperature: Float, logInterval: Int) -> String {
    model.eval()
    let ntokens = corpus.dictionary.count
    var hidden = model.initHidden(1)
    var input = Tensor.randint(high: ntokens, shape: [1, 1])
    var outf = ""
    noGrad { // no tracking history
        for i in 0..<words {
            let output: Tensor
            (output, hidden) = model(input, hidden)
            let wordWeights = (output.squeeze() / temperature).exp()
            let wordIdx = Tensor.multinomial(wordWeights, numSamples: 1).asArray(Int.self)[0]
            input = Tensor([[wordIdx]])
            let word = corpus.dictionary.idx2word[wordIdx]
            outf += word + (i % 20 == 19 ? "\n" : " ")
            if i % logInterval == 0 { print("| Generated \(i)/\(words) words") }
        }
    }
    return outf
}
