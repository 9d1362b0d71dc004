#!/usr/bin/env python3
"""JAX side of bench/train-throughput.sh: the twins of examples/mlp.dl and
examples/mnist_cnn.dl (PyTorch's default initialisation, NCHW), trained with
Adam (lr 1e-3, torch.optim's update) on Fashion-MNIST batches in file order;
the whole step (forward, gradient, update) under jax.jit (XLA CPU). Timed
after a warm-up that includes compilation. Prints `images/s: X` and
`compile s: Y`.

    jax_train.py MODEL STEPS BATCH THREADS
"""
import gzip
import os
import sys
import time


def build(model, steps, batch):
    """The data, the initial parameters and moments, and the (unjitted) step."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    root = "/usr/share/datasets/fashion-mnist"
    n = (steps + 5) * batch
    with gzip.open(f"{root}/train-images-idx3-ubyte.gz") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[: n * 784]
    with gzip.open(f"{root}/train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    x = ((pixels.reshape(-1, 1, 28, 28) / 255.0 - 0.5) / 0.5).astype(np.float32)
    y = labels.astype(np.int32)

    key = jax.random.PRNGKey(0)

    def uniform(key, shape, fan_in):
        bound = 1.0 / np.sqrt(fan_in)
        return jax.random.uniform(key, shape, jnp.float32, -bound, bound)

    ks = jax.random.split(key, 6)
    if model == "mnist_cnn":
        params = {
            "conv1.weight": uniform(ks[0], (64, 1, 3, 3), 9),
            "conv1.bias": uniform(ks[1], (64,), 9),
            "fc1.weight": uniform(ks[2], (128, 12544), 12544),
            "fc1.bias": uniform(ks[3], (128,), 12544),
            "fc2.weight": uniform(ks[4], (10, 128), 128),
            "fc2.bias": uniform(ks[5], (10,), 128),
        }

        def forward(p, xb):
            h = jax.lax.conv_general_dilated(xb, p["conv1.weight"], (1, 1), ((1, 1), (1, 1)),
                                             dimension_numbers=("NCHW", "OIHW", "NCHW"))
            h = jax.nn.relu(h + p["conv1.bias"][None, :, None, None])
            h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            h = h.reshape(h.shape[0], -1)
            h = jax.nn.relu(h @ p["fc1.weight"].T + p["fc1.bias"])
            return h @ p["fc2.weight"].T + p["fc2.bias"]
    else:
        params = {
            "fc1.weight": uniform(ks[0], (128, 784), 784),
            "fc1.bias": uniform(ks[1], (128,), 784),
            "fc2.weight": uniform(ks[2], (10, 128), 128),
            "fc2.bias": uniform(ks[3], (10,), 128),
        }

        def forward(p, xb):
            h = jax.nn.relu(xb.reshape(xb.shape[0], -1) @ p["fc1.weight"].T + p["fc1.bias"])
            return h @ p["fc2.weight"].T + p["fc2.bias"]

    def loss(p, xb, yb):
        logp = jax.nn.log_softmax(forward(p, xb))
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3

    def step(p, m, v, t, xb, yb):
        value, g = jax.value_and_grad(loss)(p, xb, yb)
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        p = jax.tree_util.tree_map(
            lambda p, m, v: p - (lr / c1) * m / (jnp.sqrt(v) / jnp.sqrt(c2) + eps), p, m, v)
        return p, m, v, value

    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    return step, params, m, v, x, y


def main(model, steps, batch, threads):
    # XLA's CPU backend: one intra-op thread pool of THREADS threads.
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
                               f" intra_op_parallelism_threads={threads}")
    import jax
    step, params, m, v, x, y = build(model, steps, batch)
    step = jax.jit(step)
    started = time.perf_counter()
    for i in range(5):
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        params, m, v, value = step(params, m, v, float(i + 1), xb, yb)
        value.block_until_ready()
    print(f"compile s: {time.perf_counter() - started:.2f}")
    start = time.perf_counter()
    for i in range(5, 5 + steps):
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        params, m, v, value = step(params, m, v, float(i + 1), xb, yb)
        value.block_until_ready()
    seconds = time.perf_counter() - start
    print(f"images/s: {steps * batch / seconds:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
