"""Runs the benchmark workloads on PyTorch and on swift-autograd, interleaved, and prints a
Markdown table of the medians with the ratio Swift / PyTorch.

    swift build -c release --product autograd
    python3 Scripts/bench/compare.py [--rounds 5] [--threads 2] [--bin PATH] [names...]

Each round runs every workload once on each side, one after the other (PyTorch first), so
both sides see the same machine state; the table gives the median over rounds of each side,
their ratio, and the median of the rounds' own ratios ("paired"), which holds up better
when the machine switches speed between rounds (both sides of a round see the same). The raw
`NAME VALUE UNIT` lines of every run are printed first. For op_overhead (ns per op, lower
is better), mlp_peak_rss and gpt_peak_rss (MiB, lower is better) and index_gather (ms per step, lower is
better) the ratio is PyTorch / Swift, so above 1 always means Swift is ahead. Each workload runs in a process of its own.
"""
import argparse, os, statistics, subprocess, sys

NAMES = ["op_overhead", "matmul_256", "matmul_1024", "matmul_f64_1024", "matmul_bwd_512", "mlp_step", "lenet_step",
         "conv_fwd_bwd", "mlp_peak_rss", "index_gather", "gpt_step", "gpt_peak_rss", "lstm_step"]
# Workloads where lower is better (time per op, memory): their ratio is PyTorch / Swift.
LOWER_IS_BETTER = {"op_overhead", "mlp_peak_rss", "gpt_peak_rss", "index_gather"}
HERE = os.path.dirname(os.path.abspath(__file__))


def run(command, env=None):
    """Runs one workload; a failed run counts as no value (its line says why)."""
    process = subprocess.run(command, capture_output=True, text=True, env=env)
    out = process.stdout.strip()
    if process.returncode != 0 or len(out.split()) < 3:
        return f"{command[-1]} failed (exit {process.returncode})", None, ""
    name, value, unit = out.split()[:3]
    return out, (float(value) if value != "n/a" else None), unit


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bin", default=None, help="the autograd binary (default: swift build's release bin path)")
    parser.add_argument("names", nargs="*", default=NAMES)
    args = parser.parse_args()
    binary = args.bin or os.path.join(
        subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], capture_output=True, text=True,
                       check=True).stdout.strip(), "autograd")
    env = dict(os.environ, THREADS=str(args.threads))
    results = {name: ([], [], "") for name in args.names}
    paired = {name: [] for name in args.names}   # each round's own ratio, when both sides ran
    for round_index in range(args.rounds):
        for name in args.names:
            torch_line, torch_value, unit = run([sys.executable, os.path.join(HERE, "torch_ref.py"), name], env)
            swift_line, swift_value, _ = run([binary, "bench", "--threads", str(args.threads), name])
            print(f"round {round_index + 1}  torch: {torch_line:<40} swift: {swift_line}", flush=True)
            if torch_value is not None:
                results[name][0].append(torch_value)
            if swift_value is not None:
                results[name][1].append(swift_value)
            if torch_value and swift_value:
                paired[name].append(ratio(name, torch_value, swift_value))
            results[name] = (results[name][0], results[name][1], unit or results[name][2])
    print()
    print(f"| workload | unit | PyTorch | Swift | ratio | paired |")
    print(f"|---|---|---:|---:|---:|---:|")
    for name in args.names:
        torch_values, swift_values, unit = results[name]
        if not torch_values or not swift_values:
            t = f"{statistics.median(torch_values):.4g}" if torch_values else "n/a"
            s = f"{statistics.median(swift_values):.4g}" if swift_values else "n/a"
            print(f"| {name} | {unit} | {t} | {s} | n/a | n/a |")
            continue
        t, s = statistics.median(torch_values), statistics.median(swift_values)
        print(f"| {name} | {unit} | {t:.4g} | {s:.4g} | {ratio(name, t, s):.2f}x | {statistics.median(paired[name]):.2f}x |")


def ratio(name, torch_value, swift_value):
    """Swift's value over PyTorch's, or PyTorch's over Swift's where lower is better: above 1
    means Swift is ahead."""
    return torch_value / swift_value if name in LOWER_IS_BETTER else swift_value / torch_value


if __name__ == "__main__":
    main()
