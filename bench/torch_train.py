#!/usr/bin/python3
"""PyTorch side of bench/train-throughput.sh: the twins of examples/mlp.dl and
examples/mnist_cnn.dl trained with Adam (lr 1e-3) on Fashion-MNIST batches in
file order, timed after a warm-up. Prints one line: `images/s: X`.

    torch_train.py MODEL STEPS BATCH THREADS [eager|compile]

Runs under PyTorch 1.13 (Debian's python3-torch) and PyTorch 2.x (the bench
venv): on 2.x, Adam is the fused implementation (one kernel over all
parameters, its fastest on the CPU) and `compile` runs the model under
`torch.compile` (Inductor, default mode; compilation happens in the warm-up).
"""
import gzip
import sys
import time

import numpy as np

import torch_threads

if __name__ == "__main__":
    torch_threads.limit_blas_threads(int(sys.argv[4]))  # before torch loads OpenBLAS
import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F


def mnist_cnn():
    return nn.Sequential(nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 14 * 14, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def main(model, steps, batch, threads, mode="eager"):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    root = "/usr/share/datasets/fashion-mnist"
    n = (steps + 5) * batch
    with gzip.open(f"{root}/train-images-idx3-ubyte.gz") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[: n * 784]
    with gzip.open(f"{root}/train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    x = torch.tensor((pixels.reshape(-1, 1, 28, 28) / 255.0 - 0.5) / 0.5, dtype=torch.float32)
    y = torch.tensor(labels.astype(np.int64))
    net = mnist_cnn() if model == "mnist_cnn" else mlp()
    try:
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    except (TypeError, RuntimeError):  # PyTorch 1.13: no fused Adam on the CPU
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    if mode == "compile":
        net = torch.compile(net)

    def step(i):
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        opt.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        opt.step()

    for i in range(5):  # warm-up: allocations, kernel selection, compilation
        start = time.perf_counter()
        step(i)
        if i == 0 and mode == "compile":  # the first call traces and compiles
            print(f"compile s: {time.perf_counter() - start:.2f}")
    start = time.perf_counter()
    for i in range(5, 5 + steps):
        step(i)
    seconds = time.perf_counter() - start
    print(f"images/s: {steps * batch / seconds:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
         sys.argv[5] if len(sys.argv) > 5 else "eager")
