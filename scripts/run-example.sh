#!/usr/bin/env bash
# The main job: install what is missing, build, then train examples/mlp.dl
# for one epoch on Fashion-MNIST (Debian's dataset-fashion-mnist) with Adam
# and print the test accuracy.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh"
exec "$ROOT/build/bin/dlc" train "$ROOT/examples/mlp.dl" --epochs 1 --seed 0
