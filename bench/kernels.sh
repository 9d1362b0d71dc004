#!/usr/bin/env bash
# GFLOP/s of dlc's generated kernels on the seed CNN's shapes (fc1 forward,
# input and weight gradients; the 3x3 convolution), beside PyTorch 1.13's
# (OpenBLAS for the products, oneDNN for the convolution) in one run, 1 and
# 2 threads, with the ratio, and beside PyTorch 2.x's (MKL for the products,
# oneDNN for the convolution; bench/torch-env.sh). Never run by CI; see
# bench/README.md. OpenBLAS
# gets as many threads as dlc (bench/torch_threads.py: by default it uses
# every core whatever torch.set_num_threads says).
#
#   bench/kernels.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/build/bin/dlc-kernel-bench"
[[ -x "$BENCH" ]] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
source "$ROOT/bench/torch-env.sh"
printf "%-30s %-7s %10s %12s %7s %12s %7s\n" kernel threads "dlc GF/s" "torch1.13" ratio \
  "torch2" ratio
for threads in 1 2; do
  dlc=$("$BENCH" "$threads")
  peer="n/a"
  /usr/bin/python3 -c "import torch" 2>/dev/null &&
    peer=$(/usr/bin/python3 "$ROOT/bench/torch_kernels.py" "$threads")
  peer2="n/a"
  [[ $have_torch2 == 1 ]] &&
    peer2=$("$TORCH2" "$ROOT/bench/torch_kernels.py" "$threads" 2>/dev/null)
  while read -r name gflops; do
    other=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$peer")
    ratio="n/a"
    [[ -n "$other" ]] && ratio=$(awk -v a="$gflops" -v b="$other" 'BEGIN { printf "%.2f", a / b }')
    other2=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$peer2")
    ratio2="n/a"
    [[ -n "$other2" ]] && ratio2=$(awk -v a="$gflops" -v b="$other2" 'BEGIN { printf "%.2f", a / b }')
    printf "%-30s %-7s %10s %12s %7s %12s %7s\n" "$name" "$threads" "$gflops" "${other:-n/a}" \
      "$ratio" "${other2:-n/a}" "$ratio2"
  done <<<"$dlc"
done
