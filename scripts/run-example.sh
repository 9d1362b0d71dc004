#!/usr/bin/env bash
# The main job: install what is missing, build, then compile examples/mlp.dl
# and run its `forward` on a deterministic batch of 4 synthetic images.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh"
exec "$ROOT/build/bin/dlc" run "$ROOT/examples/mlp.dl" --fn forward \
  --synthetic-inputs --bind B=4 --seed 0
