#!/usr/bin/env bash
# Training throughput, dlc vs its peers side by side in one run: the same
# models (examples/mlp.dl, examples/mnist_cnn.dl and their twins), Adam,
# batch 64, Fashion-MNIST batches, 1 and 2 threads. Prints images/s and the
# ratio dlc / peer. Never run by CI; see bench/README.md.
#
#   bench/train-throughput.sh [STEPS]        (default 100)
#
# Peers: PyTorch 2.x eager (fused Adam) and under torch.compile (Inductor)
# from PyPI in bench/.venv-torch2 (bench/torch-env.sh), JAX jit (XLA CPU) and
# IREE (llvm-cpu; JAX's StableHLO of the same step) from PyPI in bench/.venv,
# and PyTorch 1.13 from Debian's python3-torch (/usr/bin/python3), in its
# fastest configuration here: BLAS from OpenBLAS (libopenblas0-pthread; the
# default reference BLAS makes it 6x slower), jemalloc preloaded and kept
# from returning memory (bench/torch-env.sh), OPENBLAS_CORETYPE unset so
# OpenBLAS picks AVX-512, and OpenBLAS's own thread pool held to the thread
# count (torch.set_num_threads does not limit it), taking the faster of 1
# and THREADS OpenBLAS threads (bench/torch_threads.py). The set-up step installs those Debian packages
# when missing (as root or with sudo).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
missing=()
for pkg in python3-torch libopenblas0-pthread libjemalloc2; do
  [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] ||
    missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  echo "bench: installing ${missing[*]}" >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    echo "bench: could not install ${missing[*]}; going on without" >&2
fi
# PyPI peers in bench/.venv (created here; never used by the compiler or CI).
# JAX (XLA CPU) installs from PyPI.
VENV="$ROOT/bench/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV" 2>/dev/null || /usr/bin/python3 -m venv "$VENV" ||
    echo "bench: cannot create $VENV; PyPI peers skipped" >&2
fi
have_jax=0
have_iree=0
if [[ -x "$VENV/bin/python" ]]; then
  "$VENV/bin/python" -c "import jax" 2>/dev/null ||
    "$VENV/bin/pip" install -q jax >/dev/null 2>&1 ||
    echo "bench: cannot install jax from PyPI; its column is n/a" >&2
  "$VENV/bin/python" -c "import jax" 2>/dev/null && have_jax=1
  "$VENV/bin/python" -c "import iree.compiler, iree.runtime" 2>/dev/null ||
    "$VENV/bin/pip" install -q iree-base-compiler iree-base-runtime >/dev/null 2>&1 ||
    echo "bench: cannot install IREE from PyPI; its column is n/a" >&2
  "$VENV/bin/python" -c "import iree.compiler, iree.runtime" 2>/dev/null &&
    [[ $have_jax == 1 ]] && have_iree=1
fi
STEPS=${1:-100}
DLC="$ROOT/build/bin/dlc"
[[ -x "$DLC" ]] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }

source "$ROOT/bench/torch-env.sh"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf "%-10s %-7s %10s %10s %6s %10s %6s %10s %6s %10s %6s %10s %6s\n" model threads \
  "dlc img/s" "torch1.13" ratio "torch2" ratio "t2.compile" ratio "jax jit" ratio \
  "iree" ratio
for model in mlp mnist_cnn; do
  for threads in 1 2; do
    dlc=$("$DLC" train "$ROOT/examples/$model.dl" --steps "$STEPS" --batch 64 \
            --optimizer adam --shuffle off --threads "$threads" --epochs 1 |
          sed -n "s|.*step $STEPS/[0-9]* loss [0-9.]*  \([0-9.]*\) images/s.*|\1|p")
    torch="n/a"; r1="n/a"; t2="n/a"; r2="n/a"; tc="n/a"; rc="n/a"
    jax="n/a"; jratio="n/a"; iree="n/a"; iratio="n/a"
    if [[ $have_torch == 1 ]]; then
      torch=$(torch_best "$threads" "$ROOT/bench/torch_train.py" \
                "$model" "$STEPS" 64 "$threads" | sed -n 's/images\/s: //p')
      r1=$(ratio "$dlc" "$torch")
    fi
    if [[ $have_torch2 == 1 ]]; then
      t2=$("${TORCH_ENV[@]}" "$TORCH2" "$ROOT/bench/torch_train.py" \
             "$model" "$STEPS" 64 "$threads" eager 2>/dev/null | sed -n 's/images\/s: //p')
      [[ -n "$t2" ]] && r2=$(ratio "$dlc" "$t2") || t2="failed"
      tc=$("${TORCH_ENV[@]}" "$TORCH2" "$ROOT/bench/torch_train.py" \
             "$model" "$STEPS" 64 "$threads" compile 2>/dev/null | sed -n 's/images\/s: //p')
      [[ -n "$tc" ]] && rc=$(ratio "$dlc" "$tc") || tc="failed"
    fi
    if [[ $have_jax == 1 ]]; then
      jax=$("$VENV/bin/python" "$ROOT/bench/jax_train.py" "$model" "$STEPS" 64 "$threads" |
            sed -n 's/images\/s: //p')
      jratio=$(ratio "$dlc" "$jax")
    fi
    if [[ $have_iree == 1 ]]; then
      iree=$("$VENV/bin/python" "$ROOT/bench/iree_train.py" "$model" "$STEPS" 64 "$threads" \
               2>/dev/null | sed -n 's/images\/s: //p')
      iratio=$(ratio "$dlc" "$iree")
    fi
    printf "%-10s %-7s %10s %10s %6s %10s %6s %10s %6s %10s %6s %10s %6s\n" "$model" \
      "$threads" "$dlc" "$torch" "$r1" "$t2" "$r2" "$tc" "$rc" "$jax" "$jratio" \
      "$iree" "$iratio"
  done
done
