// main.py: trains a word-level RNN/LSTM/GRU language model, a port of pytorch/examples'
// word_language_model. The original reads Wikitext-2; this port reads the bundled
// Shakespeare text unless --data names a folder (train.txt, valid.txt, test.txt) or a file.
import ArgumentParser
import Autograd
import Foundation

/// main.py's command line (argparse's flags, same names and defaults).
struct WordLanguageModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-word-language-model",
        abstract: "PyTorch Wikitext-2 RNN/LSTM/GRU Language Model, ported (it reads the bundled Shakespeare text unless --data says otherwise).")

    @Option(help: "location of the data corpus: a folder holding train.txt, valid.txt and test.txt, or one text file to split 80/10/10 by lines (default: the bundled Shakespeare text)")
    var data: String?
    @Option(help: "type of network (LSTM, GRU, RNN_TANH, RNN_RELU)")
    var model: RNNType = .LSTM
    @Option(help: "size of word embeddings")
    var emsize = 200
    @Option(help: "number of hidden units per layer")
    var nhid = 200
    @Option(help: "number of layers")
    var nlayers = 2
    @Option(help: "initial learning rate")
    var lr: Float = 20
    @Option(help: "gradient clipping")
    var clip: Float = 0.25
    @Option(help: "upper epoch limit")
    var epochs = 40
    @Option(name: .customLong("batch_size"), help: "batch size")
    var batchSize = 20
    @Option(help: "sequence length")
    var bptt = 35
    @Option(help: "dropout applied to layers (0 = no dropout)")
    var dropout: Float = 0.2
    @Flag(help: "tie the word embedding and softmax weights")
    var tied = false
    @Option(help: "random seed")
    var seed: UInt64 = 1111
    @Option(name: .customLong("log-interval"), help: "report interval")
    var logInterval = 200
    @Option(help: "path to save the final model (safetensors)")
    var save = "model.safetensors"
    @Flag(name: .customLong("dry-run"), help: "verify the code and the model (one batch per epoch)")
    var dryRun = false
    @Option(name: .customLong("max-words"), help: "read only each text's lines up to its Nth word (not in the original; for quick runs)")
    var maxWords: Int?
    @Option(help: "after training, sample this many words from the best model, as generate.py does (not in the original's main.py)")
    var words = 0
    @Option(help: "temperature for --words - higher will increase diversity")
    var temperature: Float = 1

    func validate() throws {
        let positive = [("--emsize", emsize), ("--nhid", nhid), ("--nlayers", nlayers), ("--epochs", epochs),
                        ("--batch_size", batchSize), ("--bptt", bptt), ("--log-interval", logInterval)]
        if let (name, value) = positive.first(where: { $0.1 < 1 }) { throw ValidationError("\(name) must be positive, got \(value)") }
        if !(lr >= 0) || !(clip > 0) { throw ValidationError("--lr must be at least 0 and --clip positive, got \(lr) and \(clip)") }
        if !(0...1).contains(dropout) { throw ValidationError("dropout probability has to be between 0 and 1, but got \(dropout)") }
        if tied && nhid != emsize { throw ValidationError("When using the tied flag, nhid must be equal to emsize") }
        if let maxWords, maxWords < 1 { throw ValidationError("--max-words must be positive, got \(maxWords)") }
        if words < 0 || !(temperature > 0) { throw ValidationError("--words must be at least 0 and --temperature positive") }
    }

    func run() throws {
        let args = self
        // Set the random seed manually for reproducibility.
        manualSeed(args.seed)

        ///////////////////////////////////////////////////////////////////////////////
        // Load data
        ///////////////////////////////////////////////////////////////////////////////

        let corpus = try Corpus(path: args.data, maxWords: args.maxWords)

        // Starting from sequential data, batchify arranges the dataset into columns.
        // For instance, with the alphabet as the sequence and batch size 4, we'd get
        // ┌ a g m s ┐
        // │ b h n t │
        // │ c i o u │
        // │ d j p v │
        // │ e k q w │
        // └ f l r x ┘.
        // These columns are treated as independent by the model, which means that the
        // dependence of e. g. 'g' on 'f' can not be learned, but allows more efficient
        // batch processing.
        func batchify(_ data: Tensor, _ bsz: Int) throws -> Tensor {
            // Work out how cleanly we can divide the dataset into bsz parts.
            let nbatch = data.shape[0] / bsz
            guard nbatch >= 2 else {
                throw RunError("a split of \(data.shape[0]) words is too short for batches of \(bsz) columns")
            }
            // Trim off any extra elements that wouldn't cleanly fit (remainders).
            let trimmed = data.narrow(dim: 0, start: 0, length: nbatch * bsz)
            // Evenly divide the data across the bsz batches.
            return trimmed.reshape([bsz, -1]).transpose(0, 1).contiguous()
        }

        let evalBatchSize = 10
        let trainData = try batchify(corpus.train, args.batchSize)
        let valData = try batchify(corpus.valid, evalBatchSize)
        let testData = try batchify(corpus.test, evalBatchSize)

        ///////////////////////////////////////////////////////////////////////////////
        // Build the model
        ///////////////////////////////////////////////////////////////////////////////

        let ntokens = corpus.dictionary.count
        let model = RNNModel(args.model, ntoken: ntokens, ninp: args.emsize, nhid: args.nhid, nlayers: args.nlayers,
                             dropout: args.dropout, tieWeights: args.tied)
        let criterion = { (output: Tensor, target: Tensor) in nllLoss(output, target) }  // nn.NLLLoss()

        ///////////////////////////////////////////////////////////////////////////////
        // Training code
        ///////////////////////////////////////////////////////////////////////////////

        // get_batch subdivides the source data into chunks of length args.bptt.
        // If source is equal to the example output of the batchify function, with
        // a bptt-limit of 2, we'd get the following two Variables for i = 0:
        // ┌ a g m s ┐ ┌ b h n t ┐
        // └ b h n t ┘ └ c i o u ┘
        // Note that despite the name of the function, the subdivison of data is not
        // done along the batch dimension (i.e. dimension 1), since that was handled
        // by the batchify function. The chunks are along dimension 0, corresponding
        // to the seq_len dimension in the LSTM.
        func getBatch(_ source: Tensor, _ i: Int) -> (data: Tensor, target: Tensor) {
            let seqLen = min(args.bptt, source.shape[0] - 1 - i)
            let data = source.slice(dim: 0, start: i, end: i + seqLen)
            let target = source.slice(dim: 0, start: i + 1, end: i + 1 + seqLen).reshape([-1])
            return (data, target)
        }

        func evaluate(_ dataSource: Tensor) -> Double {
            // Turn on evaluation mode which disables dropout.
            model.eval()
            var totalLoss = 0.0
            var hidden = model.initHidden(evalBatchSize)
            noGrad {
                for i in stride(from: 0, to: dataSource.shape[0] - 1, by: args.bptt) {
                    let (data, targets) = getBatch(dataSource, i)
                    let output: Tensor
                    (output, hidden) = model(data, hidden)
                    hidden = repackageHidden(hidden)
                    totalLoss += Double(data.shape[0]) * Double(criterion(output, targets).item())
                }
            }
            return totalLoss / Double(dataSource.shape[0] - 1)
        }

        var lr = args.lr
        func train(epoch: Int) throws {
            // Turn on training mode which enables dropout.
            model.train()
            var totalLoss = 0.0
            var startTime = Date()
            var hidden = model.initHidden(args.batchSize)
            for (batch, i) in stride(from: 0, to: trainData.shape[0] - 1, by: args.bptt).enumerated() {
                let (data, targets) = getBatch(trainData, i)
                // Starting each batch, we detach the hidden state from how it was previously produced.
                // If we didn't, the model would try backpropagating all the way to start of the dataset.
                model.zeroGrad()
                hidden = repackageHidden(hidden)
                let output: Tensor
                (output, hidden) = model(data, hidden)
                let loss = criterion(output, targets)
                loss.backward()

                // `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
                clipGradNorm(model.parameters(), maxNorm: args.clip)
                noGrad {
                    for p in model.parameters() {
                        if let grad = p.grad { p.addInPlace(grad, alpha: -lr) }  // p.data.add_(p.grad, alpha=-lr)
                    }
                }

                let value = loss.item()
                guard value.isFinite else { throw RunError("the loss became \(value) at epoch \(epoch), batch \(batch)") }
                totalLoss += Double(value)

                if batch % args.logInterval == 0 && batch > 0 {
                    let curLoss = totalLoss / Double(args.logInterval)
                    let elapsed = Date().timeIntervalSince(startTime)
                    print(String(format: "| epoch %3d | %5d/%5d batches | lr %02.2f | ms/batch %5.2f | loss %5.2f | ppl %8.2f",
                                 epoch, batch, trainData.shape[0] / args.bptt, lr,
                                 elapsed * 1000 / Double(args.logInterval), curLoss, exp(curLoss)))
                    fflush(nil)
                    totalLoss = 0
                    startTime = Date()
                }
                if args.dryRun { break }
            }
        }

        // Loop over epochs.
        var bestValLoss: Double?
        let saveURL = URL(fileURLWithPath: args.save)

        for epoch in 1...args.epochs {
            let epochStartTime = Date()
            try train(epoch: epoch)
            let valLoss = evaluate(valData)
            print(String(repeating: "-", count: 89))
            print(String(format: "| end of epoch %3d | time: %5.2fs | valid loss %5.2f | valid ppl %8.2f",
                         epoch, Date().timeIntervalSince(epochStartTime), valLoss, exp(valLoss)))
            print(String(repeating: "-", count: 89))
            fflush(nil)
            // Save the model if the validation loss is the best we've seen so far.
            if bestValLoss == nil || valLoss < bestValLoss! {
                try model.save(to: saveURL)
                bestValLoss = valLoss
            } else {
                // Anneal the learning rate if no improvement has been seen in the validation dataset.
                lr /= 4.0
            }
        }

        // Load the best saved model.
        _ = try model.load(from: saveURL)

        // Run on test data.
        let testLoss = evaluate(testData)
        print(String(repeating: "=", count: 89))
        print(String(format: "| End of training | test loss %5.2f | test ppl %8.2f", testLoss, exp(testLoss)))
        print(String(repeating: "=", count: 89))

        // generate.py, on the best model.
        if args.words > 0 {
            print(generate(model, corpus, words: args.words, temperature: args.temperature, logInterval: 100))
        }
    }
}

extension RNNType: ExpressibleByArgument {}

WordLanguageModel.main()
