//===- Pipelines.h - the named pass pipelines -------------------*- C++ -*-===//
//
// One definition of each lowering pipeline, shared by dlc, dl-opt (as
// `--dl-lower-to-linalg` / `--dl-lower-to-llvm`) and the JIT API, so every
// tool compiles the same way. docs/architecture.md lists the passes.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PIPELINES_PIPELINES_H
#define DLC_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace dlc {

/// The passes from `dl` to linalg on tensors, as a textual pipeline.
extern const char *const kDLToLinalgPipeline;
/// The same for the GPU target (no CPU loop order).
extern const char *const kDLToLinalgGPUPipeline;
/// kDLToLinalgPipeline in its three parts: to linalg on tensors with the
/// fusion plan recorded (`fuse` = false: every op its own kernel), the
/// fusion that carries the plan out, and the target's loop order (CPU: plus
/// the window copies of dl-cpu-im2col). The GPU plan has no epilogues.
std::string dlToPlannedLinalgPipeline(bool fuse, bool gpu = false);
extern const char *const kFusePlannedPipeline;
extern const char *const kCPULinalgTailPipeline;
extern const char *const kGPULinalgTailPipeline;
/// The passes from linalg on tensors to the LLVM dialect.
extern const std::string kLinalgToLLVMPipeline;
/// The same for `threads` threads (OpenMP work-sharing loops when > 1) and
/// vectors of `lanes` f32 (-1: the host's; 0: no register-tiled kernels),
/// with every kernel call timed by the runtime if `profile`.
std::string linalgToLLVMPipeline(unsigned threads, int lanes = -1,
                                 bool profile = false);
/// f32 lanes of the host's widest vector registers: 16 (AVX-512), 8 (AVX,
/// AVX2) or 4.
int hostF32Lanes();

/// An NVIDIA GPU to compile for.
struct GPUTarget {
  std::string chip = "sm_90";
  std::string features = "+ptx80";
  /// gpu-module-to-binary's format: "bin" (cubin, by ptxas), "isa" (PTX,
  /// compiled by the driver at load time) or "fatbin".
  std::string format = "bin";
  /// The CUDA toolkit (ptxas, libdevice); empty: MLIR's search (PATH).
  std::string toolkit;
  /// How shared-memory tiles multiply (dl-gpu-tile-contractions' `matmul`):
  /// "fp32", "tf32" or "3xtf32".
  std::string matmul = "fp32";
};
/// `chip` with the CUDA toolkit of $CUDA_HOME, $CUDA_PATH, $CUDA_ROOT or
/// /usr/local/cuda, and cubins if ptxas is there (or on PATH), else PTX.
GPUTarget gpuTargetFor(const std::string &chip);
/// The passes from linalg on tensors to outlined kernels (one gpu.module of
/// gpu.func) and host code launching them; `matmul` as GPUTarget's.
std::string linalgToGPUKernelsPipeline(const std::string &matmul = "fp32");
/// The same kernels run on the CPU (dl-gpu-emulate, the cuda-emulator test
/// target; `reversed`: blocks and threads last to first), then host code in
/// the LLVM dialect.
std::string linalgToEmulatedGPUPipeline(bool reversed = false,
                                        const std::string &matmul = "fp32");
/// Those, then NVVM and host code in the LLVM dialect with the kernels
/// embedded as gpu.binary objects.
std::string linalgToGPUPipeline(const GPUTarget &target);

/// Registers every dialect and extension the compiler uses.
void registerDialects(mlir::DialectRegistry &registry);
/// Registers upstream passes, dl passes and the named pipelines (idempotent).
void registerPassesAndPipelines();

/// Appends a pipeline to `pm`; fails with a message in `error` if it does not
/// parse (which would be a bug in this file).
mlir::LogicalResult addPipeline(mlir::OpPassManager &pm, llvm::StringRef text,
                                std::string &error);

} // namespace dlc

#endif // DLC_PIPELINES_PIPELINES_H
