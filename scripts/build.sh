#!/usr/bin/env bash
# Configures (once) and builds dlc with clang-22, lld, ccache and Ninja against
# the shared libMLIR.so. BUILD_DIR (default: build) and JOBS (default: nproc)
# can be overridden; DLC_SANITIZE=1 builds with ASan and UBSan.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}
SANITIZE=${DLC_SANITIZE:-0}

if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DDLC_ENABLE_SANITIZERS=$([[ $SANITIZE == 1 ]] && echo ON || echo OFF) \
    "${launcher[@]}" >/dev/null
fi
ninja -C "$BUILD_DIR" -j "$JOBS" --quiet
