"""Runs benchmark workloads on two builds of `autograd`, interleaved, and prints the
medians and the ratio new / old: how a change moves a workload, on the same machine in the
same minutes. Each run is a process of its own; rounds alternate which build goes first.

    python3 Scripts/bench/compare_builds.py OLD_BINARY NEW_BINARY [--rounds 5] [--threads 2] names...

For op_overhead, the peak-memory workloads and index_gather lower is better, so there the
ratio is old / new: above 1 always means the new build is ahead.
"""
import argparse, statistics, subprocess

LOWER_IS_BETTER = {"op_overhead", "mlp_peak_rss", "gpt_peak_rss", "index_gather"}


def run(binary, name, threads):
    fields = subprocess.run([binary, "bench", name, "--threads", str(threads)],
                            capture_output=True, text=True, check=True).stdout.split()
    return float(fields[1]), fields[2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("names", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    values = {(side, name): [] for side in ("old", "new") for name in args.names}
    units = {}
    for round_index in range(args.rounds):
        order = [("old", args.old), ("new", args.new)]
        if round_index % 2:
            order.reverse()
        for name in args.names:
            for side, binary in order:
                value, units[name] = run(binary, name, args.threads)
                values[(side, name)].append(value)
                print(f"round {round_index + 1}  {side}: {name} {value:.4g} {units[name]}", flush=True)
    print()
    print("| workload | unit | old | new | ratio |")
    print("|---|---|---:|---:|---:|")
    for name in args.names:
        old, new = statistics.median(values[("old", name)]), statistics.median(values[("new", name)])
        ratio = old / new if name in LOWER_IS_BETTER else new / old
        print(f"| {name} | {units[name]} | {old:.4g} | {new:.4g} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
