#!/usr/bin/env bash
# Inference throughput, dlc vs PyTorch 1.13 and 2.x (eager; bench/torch-env.sh)
# side by side in one run:
# `forward` of examples/mlp.dl and examples/mnist_cnn.dl (and their PyTorch
# twins in eval mode, no_grad) on Fashion-MNIST test images at batch 1, 64
# and 1000, 1 and 2 threads. Prints images/s and the ratio dlc / PyTorch.
# Never run by CI; see bench/README.md. PyTorch runs in its fastest
# configuration here (as bench/train-throughput.sh: OpenBLAS, jemalloc kept
# from returning memory, OPENBLAS_CORETYPE unset, the faster of 1 and
# THREADS OpenBLAS threads).
#
#   bench/inference.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/build/bin/dlc-infer-bench"
[[ -x "$BENCH" ]] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
source "$ROOT/bench/torch-env.sh"
printf "%-10s %-7s %6s %12s %12s %7s %12s %7s\n" model threads batch "dlc img/s" \
  "torch1.13" ratio "torch2" ratio
for model in mlp mnist_cnn; do
  shape=1x28x28; [[ $model == mlp ]] && shape=784
  for threads in 1 2; do
    for batch in 1 64 1000; do
      dlc=$("$BENCH" "$ROOT/examples/$model.dl" "$batch" "$threads" "$shape" |
            sed -n 's/images\/s: //p')
      torch="n/a"; ratio="n/a"; t2="n/a"; r2="n/a"
      if [[ $have_torch2 == 1 ]]; then
        t2=$("${TORCH_ENV[@]}" "$TORCH2" "$ROOT/bench/torch_infer.py" \
               "$model" "$batch" "$threads" 2>/dev/null | sed -n 's/images\/s: //p')
        [[ -n "$t2" ]] && r2=$(awk -v a="$dlc" -v b="$t2" 'BEGIN { printf "%.2f", a / b }') ||
          t2="failed"
      fi
      if [[ $have_torch == 1 ]]; then
        torch=$(torch_best "$threads" "$ROOT/bench/torch_infer.py" \
                  "$model" "$batch" "$threads" | sed -n 's/images\/s: //p')
        ratio=$(awk -v a="$dlc" -v b="$torch" 'BEGIN { printf "%.2f", a / b }')
      fi
      printf "%-10s %-7s %6s %12s %12s %7s %12s %7s\n" "$model" "$threads" "$batch" "$dlc" \
        "$torch" "$ratio" "$t2" "$r2"
    done
  done
done
