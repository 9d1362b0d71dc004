#!/usr/bin/env python3
"""IREE side of bench/train-throughput.sh: jax_train.py's training step (the
same model, Adam and data), lowered by JAX to StableHLO and compiled by IREE
(iree-base-compiler, llvm-cpu backend for the host CPU) into one module that
iree-base-runtime runs on its local-task driver with THREADS workers. Prints
`images/s: X` and `compile s: Y` (IREE's compilation).

    iree_train.py MODEL STEPS BATCH THREADS
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))


def main(model, steps, batch, threads):
    import jax
    import numpy as np
    import iree.compiler as ireec
    import iree.runtime as ireert

    import jax_train
    step, params, m, v, x, y = jax_train.build(model, steps, batch)
    flat, tree = jax.tree_util.tree_flatten((params, m, v))
    xb, yb = x[:batch], y[:batch]
    lowered = jax.jit(lambda state, t, xb, yb: step(*jax.tree_util.tree_unflatten(tree, state), t, xb, yb)) \
        .lower(flat, np.float32(1), xb, yb)
    started = time.perf_counter()
    vmfb = ireec.compile_str(lowered.as_text(), target_backends=["llvm-cpu"],
                             input_type="stablehlo",
                             extra_args=["--iree-llvmcpu-target-cpu=host",
                                         "--iree-global-opt-enable-warn-on-uninitialized-values=false"])
    print(f"compile s: {time.perf_counter() - started:.2f}")
    ireert.flags.parse_flags(f"--task_topology_group_count={threads}")
    config = ireert.Config("local-task")
    ctx = ireert.SystemContext(config=config)
    module = ireert.VmModule.copy_buffer(ctx.instance, vmfb)
    ctx.add_vm_module(module)
    main_fn = getattr(ctx.modules, module.name)["main"]
    state = [np.asarray(a) for a in flat]
    n = len(state)

    def run(i):
        nonlocal state
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        out = main_fn(*state, np.float32(i + 1), xb, yb)
        # Results: the new parameters, moments, then the loss; they stay in
        # IREE's buffers and go straight back in.
        state = list(out[:n])
        return out[n]

    for i in range(5):
        float(np.asarray(run(i)))
    start = time.perf_counter()
    for i in range(5, 5 + steps):
        float(np.asarray(run(i)))
    seconds = time.perf_counter() - start
    print(f"images/s: {steps * batch / seconds:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
