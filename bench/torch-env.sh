# Sourced by the bench scripts: PyTorch 1.13 (Debian's python3-torch) in its
# fastest configuration here. Sets TORCH_ENV (a command prefix: jemalloc
# preloaded and kept from returning memory, up to 3x faster than glibc's
# malloc here) and have_torch (1 if `import torch` works), and unsets
# OPENBLAS_CORETYPE so that OpenBLAS picks its AVX-512 kernels.
TORCH_ENV=()
JEMALLOC=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2>/dev/null || true)
if [[ -n "$JEMALLOC" ]]; then
  TORCH_ENV=(env LD_PRELOAD="$JEMALLOC"
             MALLOC_CONF="retain:true,dirty_decay_ms:-1,muzzy_decay_ms:-1")
fi
have_torch=1
/usr/bin/python3 -c "import torch" 2>/dev/null || have_torch=0
unset OPENBLAS_CORETYPE

# PyTorch 2.x from PyPI in bench/.venv-torch2 (made here once; about 5 GB:
# PyPI's build is the CUDA one, which runs on the CPU with MKL for its
# products and oneDNN for its convolutions). Sets TORCH2 (its python) and
# have_torch2. Run with the same jemalloc prefix (TORCH_ENV).
TORCH2="$ROOT/bench/.venv-torch2/bin/python"
have_torch2=0
if [[ ! -x "$TORCH2" ]]; then
  python3 -m venv "$ROOT/bench/.venv-torch2" 2>/dev/null ||
    /usr/bin/python3 -m venv "$ROOT/bench/.venv-torch2" ||
    echo "bench: cannot create bench/.venv-torch2; PyTorch 2.x skipped" >&2
fi
if [[ -x "$TORCH2" ]]; then
  "$TORCH2" -c "import torch, numpy" 2>/dev/null || {
    echo "bench: installing PyTorch 2.x from PyPI into bench/.venv-torch2" >&2
    "$ROOT/bench/.venv-torch2/bin/pip" install -q torch numpy >/dev/null 2>&1 ||
      echo "bench: cannot install PyTorch 2.x from PyPI; its columns are n/a" >&2
  }
  "$TORCH2" -c "import torch, numpy" 2>/dev/null && have_torch2=1
fi

# torch_best THREADS SCRIPT ARGS...: runs a PyTorch peer that prints
# `images/s: X` once per OpenBLAS thread count from 1 to THREADS
# (bench/torch_threads.py) and prints the best line: the peer's fastest
# configuration on this machine.
torch_best() {
  local threads=$1 best="" out value
  shift
  for ((blas = 1; blas <= threads; ++blas)); do
    out=$(BLAS_THREADS=$blas "${TORCH_ENV[@]}" /usr/bin/python3 "$@" |
          sed -n 's/images\/s: //p')
    [[ -z "$out" ]] && continue
    value=$out
    if [[ -z "$best" ]] || awk -v a="$value" -v b="$best" 'BEGIN { exit !(a > b) }'; then
      best=$value
    fi
  done
  [[ -n "$best" ]] && echo "images/s: $best"
}
