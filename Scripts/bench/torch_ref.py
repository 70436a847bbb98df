"""Reference workloads on PyTorch CPU, for measuring swift-autograd side by side.

Each workload prints one line: NAME value unit. `autograd bench` prints the same names for
the same workloads, shapes and units, so the two outputs compare line by line:

    pip install torch
    THREADS=2 python3 Scripts/bench/torch_ref.py [names...]
    swift run -c release autograd bench --threads 2 [names...]

THREADS (default 2) is passed to torch.set_num_threads. Timing: median of several timed
runs after warm-up (see timeit); the Swift side uses the same counts.
"""
import resource, sys, time, statistics
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(int(__import__("os").environ.get("THREADS", "2")))


def timeit(fn, warm=3, reps=7, inner=1):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t) / inner)
    return statistics.median(ts)


def op_overhead():
    # chain of 10,000 elementwise ops on shape-[1] tensors, then backward; ns per op (fwd+bwd)
    n = 10_000
    def run():
        p = torch.tensor([1.0001], requires_grad=True)
        c = torch.tensor([0.9999])
        x = p
        for i in range(n // 2):
            x = x * c
            x = x + c
        x.sum().backward()
    t = timeit(run, warm=1, reps=5)
    return t / n * 1e9, "ns/op"


def matmul(n, dtype=torch.float32):
    a = torch.randn(n, n, dtype=dtype)
    b = torch.randn(n, n, dtype=dtype)
    t = timeit(lambda: a @ b, inner=3 if n <= 512 else 1)
    return 2 * n**3 / t / 1e9, "GFLOP/s"


def matmul_bwd(n):
    a = torch.randn(n, n, requires_grad=True)
    b = torch.randn(n, n, requires_grad=True)
    def run():
        a.grad = None; b.grad = None
        (a @ b).sum().backward()
    t = timeit(run)
    return 6 * n**3 / t / 1e9, "GFLOP/s"


def make_mlp_training():
    # the mlp_step workload: returns a function that takes one training step
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(128, 784)
    y = torch.randint(0, 10, (128,))
    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def mlp_step():
    t = timeit(make_mlp_training(), warm=5, reps=7, inner=20)
    return 1 / t, "steps/s"


def mlp_peak_rss():
    # peak resident memory of this process after 200 mlp_step steps; MiB (lower is better)
    step = make_mlp_training()
    for _ in range(200):
        step()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MiB"


def lenet_step():
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    t = timeit(step, warm=5, reps=7, inner=10)
    return 1 / t, "steps/s"


def conv_fwd_bwd():
    conv = nn.Conv2d(32, 64, 3, padding=1)
    x = torch.randn(16, 32, 56, 56, requires_grad=True)
    def run():
        conv.zero_grad(); x.grad = None
        conv(x).sum().backward()
    t = timeit(run, warm=2, reps=5)
    flops = 3 * 2 * 16 * 64 * 56 * 56 * 32 * 9
    return flops / t / 1e9, "GFLOP/s"


def index_gather():
    # x.gather(1, i).scatter_add(1, i, s).sum().backward() on [4096, 512] with random int64
    # indices, x and s requiring grad; ms per step, forward and backward (lower is better)
    x = torch.randn(4096, 512, requires_grad=True)
    s = torch.randn(4096, 512, requires_grad=True)
    i = torch.randint(0, 512, (4096, 512))
    def run():
        x.grad = None; s.grad = None
        x.gather(1, i).scatter_add(1, i, s).sum().backward()
    t = timeit(run)
    return t * 1e3, "ms"


def lstm_step():
    # character LSTM: embedding 65x64, 2-layer LSTM with 256 hidden units, batch_first, batch 32,
    # sequence 64, linear head; Adam(2e-3), gradient clipping at 1.0
    torch.manual_seed(0)
    emb, lstm, head = nn.Embedding(65, 64), nn.LSTM(64, 256, num_layers=2, batch_first=True), nn.Linear(256, 65)
    params = list(emb.parameters()) + list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    x = torch.randint(0, 65, (32, 64))
    y = torch.randint(0, 65, (32, 64))
    def step():
        opt.zero_grad(set_to_none=True)
        out, _ = lstm(emb(x))
        F.cross_entropy(head(out).reshape(-1, 65), y.reshape(-1)).backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    t = timeit(step, warm=2, reps=5, inner=3)
    return 1 / t, "steps/s"


def make_gpt_training():
    # nanoGPT's CPU configuration (README "I only have a macbook"): 4 layers, 4 heads, 128 wide,
    # block 64, batch 12, vocabulary 65, no bias, no dropout; AdamW(1e-3, betas (0.9, 0.99), wd 0.1)
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    from nanogpt_check import GPT
    torch.manual_seed(0)
    c = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, vocab_size=65, bias=False)
    model = GPT(c)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    x = torch.randint(0, 65, (12, 64))
    y = torch.randint(0, 65, (12, 64))
    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        F.cross_entropy(logits.view(-1, 65), y.view(-1)).backward()
        opt.step()
    return step


def gpt_step():
    t = timeit(make_gpt_training(), warm=3, reps=7, inner=5)
    return 1 / t, "steps/s"


def gpt_peak_rss():
    # peak resident memory of this process after 50 gpt_step steps; MiB (lower is better)
    step = make_gpt_training()
    for _ in range(50):
        step()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MiB"


WORKLOADS = {
    "op_overhead": op_overhead,
    "matmul_256": lambda: matmul(256),
    "matmul_1024": lambda: matmul(1024),
    "matmul_f64_1024": lambda: matmul(1024, torch.float64),
    "matmul_bwd_512": lambda: matmul_bwd(512),
    "mlp_step": mlp_step,
    "lenet_step": lenet_step,
    "conv_fwd_bwd": conv_fwd_bwd,
    "mlp_peak_rss": mlp_peak_rss,
    "index_gather": index_gather,
    # sequence models
    "gpt_step": gpt_step,
    "gpt_peak_rss": gpt_peak_rss,
    "lstm_step": lstm_step,
}

if __name__ == "__main__":
    names = sys.argv[1:] or list(WORKLOADS)
    for name in names:
        v, unit = WORKLOADS[name]()
        print(f"{name} {v:.4g} {unit}", flush=True)
