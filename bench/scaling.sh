#!/usr/bin/env bash
# Compile time, peak memory and scaling of training, dlc beside its peers
# (issue 6's figures; never run by CI; see bench/README.md).
#
#   bench/scaling.sh
#
# 1. Compile time of the whole training step (forward, gradients, Adam) and
#    peak resident memory of 20 training steps, for examples/mnist_cnn.dl and
#    examples/mlp.dl, with dlc and with the peers that bench/train-throughput.sh
#    sets up (PyTorch 1.13 and 2.x eager have no compile step; torch.compile,
#    JAX jit and IREE report theirs: the first step's time, tracing and
#    compilation included, for torch.compile).
# 2. Step time of mnist_cnn as the batch grows (16 ... 1024), one thread.
# 3. Compile time as an MLP deepens (2 ... 64 Linear+ReLU layers of width 128).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DLC="$ROOT/build/bin/dlc"
VENV="$ROOT/bench/.venv"
[[ -x "$DLC" ]] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Peak RSS in MiB of a command (GNU time's %M is in KiB).
peak() { /usr/bin/time -f "%M" -o "$WORK/rss" "$@" >"$WORK/out" 2>&1 || true
         awk '{ printf "%.0f", $1 / 1024 }' "$WORK/rss"; }
compiled() { sed -n 's/.*compiled in \([0-9.]*\) s.*/\1/p' "$WORK/out"; }
peerCompile() { sed -n 's/compile s: //p' "$WORK/out"; }

source "$ROOT/bench/torch-env.sh"
echo "## compile time of the training step (s) and peak memory of 20 steps (MiB), 1 thread"
printf "%-10s %9s %8s %10s %9s %9s %9s %9s %8s %9s %9s\n" model "dlc comp" "dlc MiB" \
  "torch1.13" "torch2" "t2c comp" "t2c MiB" "jax comp" "jax MiB" "iree comp" "iree MiB"
for model in mnist_cnn mlp; do
  dm=$(peak "$DLC" train "$ROOT/examples/$model.dl" --steps 20 --batch 64 --threads 1)
  dc=$(compiled)
  tm=n/a; t2m=n/a; tcc=n/a; tcm=n/a; jc=n/a; jm=n/a; ic=n/a; im=n/a
  if [[ $have_torch == 1 ]]; then
    tm=$(peak /usr/bin/python3 "$ROOT/bench/torch_train.py" "$model" 20 64 1)
  fi
  if [[ $have_torch2 == 1 ]]; then
    t2m=$(peak "$TORCH2" "$ROOT/bench/torch_train.py" "$model" 20 64 1 eager)
    # A fresh Inductor cache: its compile time, not a cache hit's.
    tcm=$(peak env TORCHINDUCTOR_CACHE_DIR="$WORK/inductor-$model" "$TORCH2" \
            "$ROOT/bench/torch_train.py" "$model" 20 64 1 compile)
    tcc=$(peerCompile)
  fi
  if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "import jax" 2>/dev/null; then
    jm=$(peak "$VENV/bin/python" "$ROOT/bench/jax_train.py" "$model" 20 64 1); jc=$(peerCompile)
    if "$VENV/bin/python" -c "import iree.runtime" 2>/dev/null; then
      im=$(peak "$VENV/bin/python" "$ROOT/bench/iree_train.py" "$model" 20 64 1); ic=$(peerCompile)
    fi
  fi
  printf "%-10s %9s %8s %10s %9s %9s %9s %9s %8s %9s %9s\n" "$model" "$dc" "$dm" "$tm" \
    "$t2m" "$tcc" "$tcm" "$jc" "$jm" "$ic" "$im"
done
echo "(peak memory includes each framework's runtime and the data set: dlc loads all"
echo " 70,000 images, the Python twins only the batches they use)"

echo
echo "## mnist_cnn step time vs batch size (dlc, 1 thread, Adam)"
printf "%-7s %10s %12s\n" batch "ms/step" "images/s"
for batch in 16 64 256 1024; do
  steps=$(( 2048 / batch )); (( steps < 4 )) && steps=4
  ips=$("$DLC" train "$ROOT/examples/mnist_cnn.dl" --steps "$steps" --batch "$batch" \
          --shuffle off --threads 1 |
        sed -n "s|.*step $steps/[0-9]* loss [0-9.]*  \([0-9.]*\) images/s.*|\1|p")
  awk -v b="$batch" -v i="$ips" 'BEGIN { printf "%-7s %10.1f %12s\n", b, 1000 * b / i, i }'
done

echo
echo "## compile time of the training step vs depth (MLP, width 128)"
printf "%-7s %10s\n" layers "compile s"
for layers in 2 4 8 16 32 64; do
  f="$WORK/deep$layers.dl"
  {
    echo "model Deep {"
    echo "  l1 = Linear(784, 128);"
    for ((i = 2; i < layers; ++i)); do echo "  l$i = Linear(128, 128);"; done
    echo "  out = Linear(128, 10);"
    echo "  fn forward(x: f32[B, 784]) -> f32[B, 10] {"
    echo "    let h1 = relu(l1(x));"
    for ((i = 2; i < layers; ++i)); do echo "    let h$i = relu(l$i(h$((i - 1))));"; done
    echo "    return out(h$((layers - 1)));"
    echo "  }"
    echo "  fn loss(x: f32[B, 784], labels: i64[B]) -> f32 {"
    echo "    return cross_entropy(forward(x), labels);"
    echo "  }"
    echo "}"
  } >"$f"
  "$DLC" train "$f" --steps 1 --threads 1 >"$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  printf "%-7s %10s\n" "$layers" "$(compiled)"
done
