"""Sweeps the AVX-512 GEMMs' cache blocks on the machine it runs on and prints each
setting's medians, then the best as BEST_SGEMM=mc,kc,nc and BEST_DGEMM=mc,kc,nc (the first,
default setting unless another is 3% better on the geometric mean):

    python3 Scripts/bench/gemm_block_sweep.py BIN

BIN is a built `autograd` binary (a static build carried to an AVX-512 machine, as
Scripts/bench/thread_scaling.sh describes). Each setting runs through
AUTOGRAD_AVX512_SGEMM_BLOCKS / AUTOGRAD_AVX512_DGEMM_BLOCKS, three rounds, interleaved;
float32 is scored on matmul_256 and matmul_1024 with one thread and matmul_1024 with 16,
float64 on matmul_f64_1024 with one and 16. Compare the winner against the default again,
alternating, before changing the defaults in gemm_microkernels.c / dgemm_microkernels.c:
on a shared machine the differences between good settings are often within the noise.
"""
import math, os, statistics, subprocess, sys

# The current defaults first.
SGEMM_SETTINGS = ["144,384,3072", "144,256,3072", "96,256,3072", "192,256,3072", "240,256,3072",
                  "144,192,3072", "192,192,3072", "96,384,3072", "144,320,3072"]
DGEMM_SETTINGS = ["192,256,3072", "96,256,3072", "48,256,3072", "144,256,3072", "96,192,3072", "96,384,3072"]


def bench(binary, env, names, threads):
    """The values `autograd bench` prints for `names` on `threads` threads with `env` set."""
    out = subprocess.run([binary, "bench", "--threads", str(threads)] + names, capture_output=True, text=True,
                         env=dict(os.environ, **env)).stdout.split("\n")
    return [float(line.split()[1]) for line in out if line.strip()]


def sweep(binary, variable, settings, runs, rounds=3):
    """Runs every setting of `variable` `rounds` times over `runs` ((names, threads) pairs),
    prints their medians and returns the best: settings[0] unless another is 3% better."""
    values = {setting: [] for setting in settings}
    for _ in range(rounds):
        for setting in settings:
            row = []
            for names, threads in runs:
                row += bench(binary, {variable: setting}, names, threads)
            values[setting].append(row)
    best, best_score, default_score = settings[0], 0.0, None
    for setting in settings:
        medians = [statistics.median(row[i] for row in values[setting]) for i in range(len(values[setting][0]))]
        score = math.exp(sum(map(math.log, medians)) / len(medians))
        print(variable, setting, " ".join("%.1f" % m for m in medians), "geomean %.1f" % score, flush=True)
        if default_score is None:
            default_score = score
        if score > best_score:
            best, best_score = setting, score
    return best if best_score >= 1.03 * default_score else settings[0]


def main():
    binary = sys.argv[1]
    best = sweep(binary, "AUTOGRAD_AVX512_SGEMM_BLOCKS", SGEMM_SETTINGS,
                 [(["matmul_256", "matmul_1024"], 1), (["matmul_1024"], 16)])
    print("BEST_SGEMM=" + best, flush=True)
    best = sweep(binary, "AUTOGRAD_AVX512_DGEMM_BLOCKS", DGEMM_SETTINGS,
                 [(["matmul_f64_1024"], 1), (["matmul_f64_1024"], 16)])
    print("BEST_DGEMM=" + best, flush=True)


if __name__ == "__main__":
    main()
