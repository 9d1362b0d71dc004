#!/usr/bin/python3
"""PyTorch side of bench/inference.sh: the twin of examples/MODEL.dl in eval
mode under torch.no_grad(), Fashion-MNIST test images in batches of BATCH,
timed after three warm-up calls for at least two seconds. Prints one line:
`images/s: X`.

    torch_infer.py MODEL BATCH THREADS
"""
import gzip
import sys
import time

import numpy as np

import torch_threads

if __name__ == "__main__":
    torch_threads.limit_blas_threads()  # before torch loads OpenBLAS
import torch  # noqa: E402

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_train import mlp, mnist_cnn  # noqa: E402


def main(model, batch, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    root = "/usr/share/datasets/fashion-mnist"
    with gzip.open(f"{root}/t10k-images-idx3-ubyte.gz") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    x = torch.tensor((pixels.reshape(-1, 1, 28, 28) / 255.0 - 0.5) / 0.5, dtype=torch.float32)
    net = (mnist_cnn() if model == "mnist_cnn" else mlp()).eval()
    inputs = [x[(i * batch) % (x.shape[0] - batch + 1):][:batch].contiguous() for i in range(16)]
    with torch.no_grad():
        for i in range(3):
            net(inputs[i])
        calls, start = 0, time.perf_counter()
        while True:
            net(inputs[calls % 16])
            calls += 1
            seconds = time.perf_counter() - start
            if seconds >= 2.0 and calls >= 5:
                break
    print(f"images/s: {calls * batch / seconds:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
