#!/usr/bin/env bash
# The main job: install what is missing, build, then train the seed network
# examples/mnist_cnn.dl (conv 3x3 -> ReLU -> max-pool -> linear -> ReLU ->
# linear, cross-entropy, Adam 1e-3, batch 64) for one epoch on Fashion-MNIST
# (Debian's dataset-fashion-mnist) on every core, and print the test accuracy.
# More epochs: add --epochs 3 (the file's train block says 3; one keeps the
# quick start quick).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh"
exec "$ROOT/build/bin/dlc" train "$ROOT/examples/mnist_cnn.dl" --epochs 1 \
  --seed 0 --threads "$(nproc)" "$@"
