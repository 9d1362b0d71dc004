#!/usr/bin/python3
"""The peers' side of bench/kernels.sh: the same shapes as
dlc-kernel-bench through PyTorch (1.13: its products call OpenBLAS; 2.x: MKL; its
convolution oneDNN (mkldnn) when built with it), timed after three warm-up
calls for at least two seconds. Prints `NAME GFLOP/s` per shape.

    torch_kernels.py THREADS
"""
import sys
import time

import torch_threads

if __name__ == "__main__":
    torch_threads.limit_blas_threads()  # before torch loads OpenBLAS
import torch  # noqa: E402
import torch.nn.functional as F


def timed(fn, flops):
    for _ in range(3):
        fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        seconds = time.perf_counter() - start
        if seconds >= 2.0 and calls >= 5:
            return flops * calls / seconds / 1e9


def main(threads):
    torch.set_num_threads(threads)
    x = torch.rand(64, 12544) - 0.5
    w = torch.rand(128, 12544) - 0.5
    g = torch.rand(64, 128) - 0.5
    img = torch.rand(64, 1, 28, 28) - 0.5
    f = torch.rand(64, 1, 3, 3) - 0.5
    flops = 2.0 * 64 * 12544 * 128
    with torch.no_grad():
        print(f"fc1_forward_64x12544x128 {timed(lambda: x @ w.t(), flops):.1f}")
        print(f"fc1_input_grad_64x128x12544 {timed(lambda: g @ w, flops):.1f}")
        print(f"fc1_weight_grad_128x64x12544 {timed(lambda: g.t() @ x, flops):.1f}")
        conv = 2.0 * 64 * 64 * 28 * 28 * 9
        print(f"conv1_64x1x28x28_to_64ch_3x3 {timed(lambda: F.conv2d(img, f, padding=1), conv):.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
