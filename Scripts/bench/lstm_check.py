"""Loads a character-LSTM checkpoint written by `autograd train --model lstm` (safetensors with
word_language_model's RNNModel tensor names: encoder.weight, rnn.weight_ih_l0, ...,
decoder.bias; embedding_size, hidden_size, num_layers, vocab_size, block_size and vocab in the
metadata) into that architecture in PyTorch (a batch-first nn.LSTM), and prints the mean
cross-entropy over every non-overlapping block_size block of the validation split (the last
10% of the text), each block from a zero state. Last line: 'torch val loss X'.

python lstm_check.py CHECKPOINT TEXT.gz
"""
import gzip, json, sys
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file


class RNNModel(nn.Module):
    def __init__(self, vocab_size, embedding_size, hidden_size, num_layers):
        super().__init__()
        self.encoder = nn.Embedding(vocab_size, embedding_size)
        self.rnn = nn.LSTM(embedding_size, hidden_size, num_layers, batch_first=True)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens):
        output, _ = self.rnn(self.encoder(tokens))
        return self.decoder(output)


def main():
    checkpoint, text_path = sys.argv[1], sys.argv[2]
    with safe_open(checkpoint, "pt") as f:
        meta = f.metadata()
    assert meta.get("model") == "lstm", f"{checkpoint} is not an lstm checkpoint"
    sizes = {k: int(meta[k]) for k in ("vocab_size", "embedding_size", "hidden_size", "num_layers", "block_size")}
    vocab = json.loads(meta["vocab"])
    model = RNNModel(sizes["vocab_size"], sizes["embedding_size"], sizes["hidden_size"], sizes["num_layers"])
    model.load_state_dict(load_file(checkpoint))
    model.eval()

    with gzip.open(text_path, "rt", encoding="utf-8") as f:
        text = f.read()
    stoi = {ch: i for i, ch in enumerate(vocab)}
    data = torch.tensor([stoi[ch] for ch in text], dtype=torch.long)
    val = data[int(0.9 * len(data)):]
    block = sizes["block_size"]
    blocks = (len(val) - 1) // block
    x = val[: blocks * block].view(blocks, block)
    y = val[1 : blocks * block + 1].view(blocks, block)
    total = 0.0
    with torch.no_grad():
        for start in range(0, blocks, 64):
            logits = model(x[start : start + 64])
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[start : start + 64].reshape(-1), reduction="sum").item()
    loss = total / (blocks * block)
    print(f"{blocks} blocks of {block} characters, {sizes}")
    print(f"torch val loss {loss:.4f} ({loss:.6f})")


if __name__ == "__main__":
    main()
