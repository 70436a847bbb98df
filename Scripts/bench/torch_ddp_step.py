"""The ddp_step workload in PyTorch: mlp_step's model, optimizer and global batch of 128
under DistributedDataParallel with the gloo backend, each process taking 128 / N rows.

    torchrun --nproc-per-node 2 Scripts/bench/torch_ddp_step.py      # THREADS=1 by default

Prints `ddp_step VALUE steps/s` on rank 0 (steps of the whole job; the slowest process's
median), to compare with `mpirun -np 2 autograd bench ddp_step --threads 1`.
"""
import os
import statistics
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def timeit(fn, warm=5, reps=7, inner=20):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t) / inner)
    return statistics.median(ts)


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    model = DistributedDataParallel(
        nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    base, extra = divmod(128, size)
    rows = base + (1 if rank < extra else 0)
    x = torch.randn(rows, 784)
    y = torch.randint(0, 10, (rows,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    slowest = torch.tensor([timeit(step)], dtype=torch.float64)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    if rank == 0:
        print(f"ddp_step {1 / slowest.item():.4g} steps/s", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
