#!/usr/bin/env bash
# The GPU checks and the GPU benchmark in one script (docs/gpu.md). Never run
# by CI. Two steps, because the GPU machine has the CUDA driver but no
# LLVM/MLIR to build with:
#
#   bench/gpu-check.sh pack        on the build machine, after ./scripts/build.sh:
#       links a self-contained dlc (LLVM and MLIR linked in statically; it
#       needs only libc, libm, libz and libzstd), compresses it into .gpu/
#       (git-ignored), adds a Fashion-MNIST subset (the first TRAIN_IMAGES
#       training images, default 12000, and the 10,000 test images) and the
#       CPU's accuracy on that subset for the comparison. About 30 MB.
#   bench/gpu-check.sh run [OUT]   on the GPU machine, from the repository root
#       with .gpu/ present: every GPU test, then the benchmark; writes
#       OUT/gpu-summary.txt (default: .gpu/out) and exits non-zero if a test
#       failed. About 3 minutes on an H200.
#
# Tests: `dlc compare-targets --target cuda` on test/Inputs/gpu-ops.dl (every
# builtin, forward and gradient), test/Inputs/gpu-contractions.dl (the
# shared-memory tiles) and on every example (functions, gradients,
# three SGD-momentum steps), then one epoch of examples/mnist_cnn.dl on the subset
# with --target cuda, whose test accuracy must be within 1 point of the CPU's;
# gpu-contractions.dl and mnist_cnn.dl again with the tensor cores
# (--gpu-matmul=3xtf32, against the CPU at f32's tolerance), and the epoch
# again with --gpu-matmul=tf32 (accuracy within 1 point).
# Benchmark: training images/s of mnist_cnn and mlp (batch 64, Adam) with dlc
# --target cuda and with PyTorch eager on the same GPU, and the ratio;
# mnist_cnn with TF32 tensor cores on both sides (and dlc's 3xtf32); then
# mnist_cnn's kernels by time (--profile: each launch synchronised).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACK="$ROOT/.gpu"

pack() {
  set -e
  local build="$ROOT/build" llvm=/usr/lib/llvm-22/lib
  [[ -x "$build/bin/dlc" ]] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
  mkdir -p "$PACK/data"
  echo "linking a self-contained dlc" >&2
  # lld resolves archives in any order; --gc-sections and --icf keep the
  # binary to what dlc references.
  clang++-22 -fuse-ld=lld -O3 -Wl,--gc-sections -Wl,--icf=all -Wl,--strip-all \
    "$build"/compiler/tools/dlc/CMakeFiles/dlc.dir/*.o -o "$PACK/dlc" \
    "$build"/lib/libDLCompiler.a "$build"/lib/libdlrt.a \
    "$build"/lib/libDLMLIRGen.a "$build"/lib/libDLPipelines.a \
    "$build"/lib/libDLConversion.a "$build"/lib/libDLTransforms.a \
    "$build"/lib/libDLDialect.a "$build"/lib/libDLFrontend.a \
    $(ls "$llvm"/libMLIR*.a | grep -vi test) "$llvm"/libLLVM*.a \
    -static-libstdc++ -static-libgcc -lz -l:libzstd.so.1 -lpthread -ldl -lm \
    2> >(grep -v "warning" >&2)
  "$PACK/dlc" --help >/dev/null
  echo "compressing it (xz, about a minute)" >&2
  xz -T0 -9e -f "$PACK/dlc"
  echo "writing the Fashion-MNIST subset" >&2
  /usr/bin/python3 - "$PACK/data" "${TRAIN_IMAGES:-12000}" <<'EOF'
import gzip, shutil, sys
out, n = sys.argv[1], int(sys.argv[2])
src = "/usr/share/datasets/fashion-mnist"
for name, header, size in [("train-images-idx3-ubyte", 16, 784), ("train-labels-idx1-ubyte", 8, 1)]:
    with gzip.open(f"{src}/{name}.gz") as f:
        data = bytearray(f.read())
    data[4:8] = n.to_bytes(4, "big")  # the item count
    with gzip.open(f"{out}/{name}.gz", "wb", compresslevel=9) as f:
        f.write(bytes(data[: header + n * size]))
for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
    shutil.copy(f"{src}/{name}.gz", f"{out}/{name}.gz")
EOF
  echo "training on the CPU for the reference accuracy" >&2
  "$build/bin/dlc" train "$ROOT/examples/mnist_cnn.dl" --data "fashion-mnist:$PACK/data" \
    --epochs 1 --seed 0 --threads "$(nproc)" | tee "$PACK/cpu-train.txt" | tail -2
  du -sh "$PACK"
}

run() {
  local out=${1:-$PACK/out} failed=0
  mkdir -p "$out"
  local summary="$out/gpu-summary.txt" dlc=/tmp/dlc-gpu/dlc
  : >"$summary"
  say() { echo "$*" | tee -a "$summary"; }
  mkdir -p /tmp/dlc-gpu
  if command -v xz >/dev/null; then
    xz -dc "$PACK/dlc.xz" >"$dlc"
  else
    python3 -c "import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())" \
      "$PACK/dlc.xz" >"$dlc"
  fi
  chmod +x "$dlc"
  say "# dlc GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
  say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
  export PATH=/usr/local/cuda/bin:$PATH

  say ""
  say "## compare-targets (cuda vs cpu)"
  # All files at once, one process each: most of the time is compiling (the
  # GPU machine has 16 cores), and the device's time is rationed.
  local files=(test/Inputs/gpu-ops.dl test/Inputs/gpu-contractions.dl examples/mlp.dl
               examples/mnist_cnn.dl examples/bn_cnn.dl examples/lenet.dl examples/tiny_gpt.dl)
  # The tensor-core tiles (--gpu-matmul=3xtf32: mma.sync's fragment layout
  # on the hardware, at f32's tolerance) on the contractions and the CNN.
  local runs=("${files[@]}" "test/Inputs/gpu-contractions.dl 3xtf32"
              "examples/mnist_cnn.dl 3xtf32")
  local start=$SECONDS pids=()
  for r in "${runs[@]}"; do
    local f=${r% *} matmul=fp32
    [[ $r == *" "* ]] && matmul=${r#* }
    local log="$out/compare-$(basename "$f" .dl)-$matmul.log" binds=()
    # Partial shared-memory tiles in every dim (docs/gpu.md).
    [[ $f == *gpu-contractions.dl ]] && binds=(--bind B=40)
    ( "$dlc" compare-targets "$ROOT/$f" --target cuda --gpu-matmul="$matmul" \
        "${binds[@]}" >"$log" 2>&1
      echo "rc=$? $((SECONDS - start)) s" >>"$log" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for r in "${runs[@]}"; do
    local f=${r% *} matmul=fp32 last
    [[ $r == *" "* ]] && matmul=${r#* }
    local log="$out/compare-$(basename "$f" .dl)-$matmul.log"
    last=$(tail -1 "$log")
    if [[ $last == "rc=0 "* ]]; then
      say "PASS $f --gpu-matmul=$matmul (done after ${last#rc=0 })"
    else
      failed=1
      say "FAIL $f --gpu-matmul=$matmul ($last):"
      grep -v " ok$" "$log" | tail -15 | tee -a "$summary"
    fi
  done

  say ""
  say "## training examples/mnist_cnn.dl, 1 epoch on the subset (fp32, then TF32 tensor cores)"
  local cpuAcc
  cpuAcc=$(sed -n 's/.*test accuracy[: ]*\([0-9.]*\).*/\1/p' "$PACK/cpu-train.txt" | tail -1)
  for matmul in fp32 tf32; do
    local gpuLog="$out/train-cuda-$matmul.log" gpuAcc
    "$dlc" train "$ROOT/examples/mnist_cnn.dl" --target cuda --gpu-matmul=$matmul \
      --data "fashion-mnist:$PACK/data" --epochs 1 --seed 0 >"$gpuLog" 2>&1
    gpuAcc=$(sed -n 's/.*test accuracy[: ]*\([0-9.]*\).*/\1/p' "$gpuLog" | tail -1)
    say "cuda $matmul: $(grep -m1 'compiled in' "$gpuLog")"
    say "cuda $matmul test accuracy ${gpuAcc:-none}, cpu ${cpuAcc:-none}"
    if [[ -n "$gpuAcc" && -n "$cpuAcc" ]] &&
       awk -v a="$gpuAcc" -v b="$cpuAcc" 'BEGIN { d = a - b; exit !(d < 0.01 && d > -0.01) }'; then
      say "PASS $matmul accuracy within 1 point of the CPU"
    else
      failed=1
      say "FAIL $matmul accuracy"; tail -5 "$gpuLog" | tee -a "$summary"
    fi
  done

  say ""
  say "## benchmark: training images/s, batch 64, Adam (PyTorch $(python3 -c 'import torch; print(torch.__version__)' 2>/dev/null))"
  printf "%-10s %12s %14s %8s %16s %8s\n" model "dlc cuda" "torch eager" ratio "torch.compile" ratio |
    tee -a "$summary"
  for model in mnist_cnn mlp; do
    local d t c compileNote=""
    d=$("$dlc" train "$ROOT/examples/$model.dl" --target cuda --data "fashion-mnist:$PACK/data" \
          --steps 150 --batch 64 --shuffle off --epochs 1 2>&1 |
        sed -n 's|.*step 150/[0-9]* loss [0-9.]*  \([0-9.]*\) images/s.*|\1|p' | tail -1)
    t=$(python3 "$ROOT/bench/torch_gpu_train.py" "$model" 150 64 "$PACK/data" eager \
          2>"$out/torch-$model.err" | sed -n 's/images\/s: //p')
    local compiled
    compiled=$(timeout 150 python3 "$ROOT/bench/torch_gpu_train.py" "$model" 150 64 "$PACK/data" \
                 compile 2>>"$out/torch-$model.err")
    c=$(echo "$compiled" | sed -n 's/images\/s: //p')
    compileNote=$(echo "$compiled" | sed -n 's/compile s: //p')
    local r1=n/a r2=n/a
    [[ -n "$d" && -n "$t" ]] && r1=$(awk -v a="$d" -v b="$t" 'BEGIN { printf "%.2f", a / b }')
    [[ -n "$d" && -n "$c" ]] && r2=$(awk -v a="$d" -v b="$c" 'BEGIN { printf "%.2f", a / b }')
    printf "%-10s %12s %14s %8s %16s %8s\n" "$model" "${d:-n/a}" "${t:-n/a}" "$r1" \
      "${c:-n/a}" "$r2" | tee -a "$summary"
    [[ -n "$compileNote" ]] && say "  ($model: torch.compile took $compileNote s to compile)"
  done
  # Tensor cores on both sides: dlc's TF32 tiles against PyTorch with
  # allow_tf32 for matmuls and cuDNN (3xtf32 for what f32 accuracy costs).
  for matmul in tf32 3xtf32; do
    local d t r=n/a
    d=$("$dlc" train "$ROOT/examples/mnist_cnn.dl" --target cuda --gpu-matmul=$matmul \
          --data "fashion-mnist:$PACK/data" --steps 150 --batch 64 --shuffle off --epochs 1 2>&1 |
        sed -n 's|.*step 150/[0-9]* loss [0-9.]*  \([0-9.]*\) images/s.*|\1|p' | tail -1)
    t=$(python3 "$ROOT/bench/torch_gpu_train.py" mnist_cnn 150 64 "$PACK/data" eager tf32 \
          2>>"$out/torch-mnist_cnn.err" | sed -n 's/images\/s: //p')
    [[ -n "$d" && -n "$t" ]] && r=$(awk -v a="$d" -v b="$t" 'BEGIN { printf "%.2f", a / b }')
    say "mnist_cnn dlc --gpu-matmul=$matmul ${d:-n/a} images/s, torch eager tf32 ${t:-n/a}, ratio $r"
  done
  say ""
  say "## where the time goes: mnist_cnn, 100 steps, every launch synchronised and timed"
  "$dlc" train "$ROOT/examples/mnist_cnn.dl" --target cuda --data "fashion-mnist:$PACK/data" \
    --steps 100 --batch 64 --profile >"$out/profile-mnist_cnn.log" 2>&1
  sed -n '/kernel profile/,/^  total /p' "$out/profile-mnist_cnn.log" | head -25 | tee -a "$summary"

  say ""
  [[ $failed == 0 ]] && say "all GPU tests passed" || say "SOME GPU TESTS FAILED"
  return $failed
}

case "${1:-}" in
  pack) pack ;;
  run) shift; run "$@" ;;
  *) echo "usage: bench/gpu-check.sh pack | run [OUTDIR]" >&2; exit 2 ;;
esac
