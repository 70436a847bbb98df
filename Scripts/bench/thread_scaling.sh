#!/usr/bin/env bash
# Kernel checks and thread scaling of a built `autograd` binary on the machine it runs on
# (an AVX-512 or many-core server with no Swift toolchain: carry a static build there,
# `swift build -c release --static-swift-stdlib --product autograd`). Prints the CPU,
# `autograd check-kernels`, then each workload at 1, 2, 4, ... up to the core count on every
# kernel path the CPU runs, and PyTorch's numbers at the same thread counts when
# `python3 -c "import torch"` works there.
#
#   Scripts/bench/thread_scaling.sh BIN [WORKLOAD ...]   # default: matmul_256 matmul_1024 matmul_bwd_512 mlp_step conv_fwd_bwd
#
# Exits non-zero when a kernel check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:?usage: thread_scaling.sh BIN [WORKLOAD ...]}
shift
workloads=("${@:-matmul_256 matmul_1024 matmul_bwd_512 mlp_step conv_fwd_bwd}")
read -r -a workloads <<< "${workloads[*]}"
cores=$(nproc)
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | sed -E 's/^(Flags:).*(avx512f).*/\1 ... \2 .../'
"$bin" check-kernels --threads "$cores"
counts=()
for ((t = 1; t <= cores; t *= 2)); do counts+=("$t"); done
if ((counts[-1] != cores)); then counts+=("$cores"); fi
paths=(avx2)
if grep -q avx512f /proc/cpuinfo; then paths+=(avx512); fi
has_torch=0
python3 -c "import torch" 2>/dev/null && has_torch=1
for t in "${counts[@]}"; do
    for path in "${paths[@]}"; do
        "$bin" bench "${workloads[@]}" --threads "$t" --kernel "$path" | sed "s/^/swift $path threads=$t /"
    done
    if ((has_torch)); then
        THREADS=$t python3 Scripts/bench/torch_ref.py "${workloads[@]}" | sed "s/^/torch threads=$t /"
    fi
done
