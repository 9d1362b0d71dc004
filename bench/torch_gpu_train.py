#!/usr/bin/env python3
"""PyTorch side of bench/gpu-check.sh: the twins of examples/mnist_cnn.dl and
examples/mlp.dl trained with Adam (lr 1e-3) on the GPU, on Fashion-MNIST
batches in file order read from DATA (IDX, gzip), each batch copied to the
device per step as dlc does. Eager mode (cuDNN, its default algorithms),
timed after a warm-up with the device synchronised. Prints `images/s: X`.

    torch_gpu_train.py MODEL STEPS BATCH DATA [eager|compile] [default|tf32]

`compile` wraps the model in torch.compile (Inductor, default mode); its
compile time is reported as `compile s: X` and excluded from images/s.
`default` keeps PyTorch's defaults (matmuls in FP32, cuDNN's convolutions
allowed TF32); `tf32` allows TF32 tensor cores for both (allow_tf32), the
peer of `dlc --gpu-matmul=tf32`.
"""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def net(model):
    if model == "mnist_cnn":
        return nn.Sequential(nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(64 * 14 * 14, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def main(model, steps, batch, data, mode, precision):
    torch.manual_seed(0)
    if precision == "tf32":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    n = (steps + 10) * batch
    with gzip.open(f"{data}/train-images-idx3-ubyte.gz") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[: n * 784]
    with gzip.open(f"{data}/train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    n = len(labels)
    x = torch.tensor((pixels.reshape(-1, 1, 28, 28) / 255.0 - 0.5) / 0.5, dtype=torch.float32)
    y = torch.tensor(labels.astype(np.int64))
    dev = torch.device("cuda")
    m = net(model).to(dev)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    fwd = torch.compile(m) if mode == "compile" else m
    batches = n // batch

    def step(i):
        i %= batches
        xb = x[i * batch:(i + 1) * batch].to(dev, non_blocking=True)
        yb = y[i * batch:(i + 1) * batch].to(dev, non_blocking=True)
        opt.zero_grad()
        loss = F.cross_entropy(fwd(xb), yb)
        loss.backward()
        opt.step()
        return loss

    started = time.perf_counter()
    for i in range(10):  # warm-up: cuDNN algorithm choice, allocator, compile
        step(i).item()
    torch.cuda.synchronize()
    if mode == "compile":
        print(f"compile s: {time.perf_counter() - started:.1f}")
    start = time.perf_counter()
    for i in range(steps):
        loss = step(i)
        loss.item()  # dlc returns each step's loss to the host too
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    print(f"images/s: {steps * batch / seconds:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
         sys.argv[5] if len(sys.argv) > 5 else "eager",
         sys.argv[6] if len(sys.argv) > 6 else "default")
