#!/usr/bin/python3
"""PyTorch side of bench/train-throughput.sh: the twins of examples/mlp.dl and
examples/mnist_cnn.dl trained with Adam (lr 1e-3) on Fashion-MNIST batches in
file order, timed after a warm-up. Prints one line: `images/s: X`.

    torch_train.py MODEL STEPS BATCH THREADS
"""
import gzip
import sys
import time

import numpy as np

import torch_threads

if __name__ == "__main__":
    torch_threads.limit_blas_threads()  # before torch loads OpenBLAS
import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F


def mnist_cnn():
    return nn.Sequential(nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 14 * 14, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def main(model, steps, batch, threads):
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
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step(i):
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        opt.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        opt.step()

    for i in range(5):  # warm-up: first-call allocations and kernel selection
        step(i)
    start = time.perf_counter()
    for i in range(5, 5 + steps):
        step(i)
    seconds = time.perf_counter() - start
    print(f"images/s: {steps * batch / seconds:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
