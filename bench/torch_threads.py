"""Imported by the PyTorch peers before torch itself.

PyTorch 1.13 from Debian calls OpenBLAS (libopenblas0-pthread) for its
matrix products, and OpenBLAS keeps a thread pool of its own that
torch.set_num_threads does not limit: a "one thread" run multiplied matrices
on both cores (fc1's products at 130-160 GFLOP/s against 65-85 with one
OpenBLAS thread). OpenBLAS reads OPENBLAS_NUM_THREADS once, when it is
loaded, so it is set here, before `import torch`: to BLAS_THREADS when the
caller gives it (bench/torch-env.sh's torch_best tries 1 and the thread
count: with two threads PyTorch's OpenMP pool and OpenBLAS's pool compete,
and which is faster depends on the model and batch), else to the script's
thread count (its last argument, or `threads` when the caller passes it).
"""
import os
import sys


def limit_blas_threads(threads=None):
    threads = int(sys.argv[-1]) if threads is None else threads
    blas = int(os.environ.get("BLAS_THREADS", threads))
    os.environ["OPENBLAS_NUM_THREADS"] = str(min(blas, threads))
