//===- Pipelines.cpp - the named pass pipelines ---------------------------===//
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Conversion/Passes.h"
#include "dialects/DL/IR/DLDialect.h"
#include "dialects/DL/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>
#include <mutex>

using namespace mlir;

// Inline user functions, clean up, lower, then plan fusion: every linalg op
// gets the number of the kernel it will be part of (dl-plan-fusion).
// Composites with derivative rules of their own (softmax, cross-entropy)
// are expanded only after dl-autodiff, then CSE merges the forward's and the
// backward's copies of their common parts.
#define DLC_DL_TO_PLANNED(PLAN)                                                \
  "inline,canonicalize,cse,"                                                   \
  "dl-training-mode,dl-decompose{keep-differentiable},canonicalize,cse,"       \
  "dl-autodiff,dl-materialize-optimizer,inline,symbol-dce,dl-decompose,"       \
  "canonicalize,cse,convert-dl-to-linalg,canonicalize,"                        \
  "func.func(dl-fold-unit-reshapes," PLAN ")"
#define DLC_FUSE "func.func(dl-fuse-planned),canonicalize,cse"
// Loop order is a target decision: the CPU wants a contiguous parallel loop
// innermost (for the vectorizer), the GPU all parallel loops outermost (for
// threads).
#define DLC_CPU_TAIL "dl-cpu-im2col,canonicalize,cse,dl-cpu-loop-order"
#define DLC_GPU_TAIL                                                           \
  "dl-gpu-fold-transposes,dl-gpu-fold-constant-inputs,dl-gpu-loop-order"
const char *const dlc::kDLToLinalgPipeline =
    DLC_DL_TO_PLANNED("dl-plan-fusion") "," DLC_FUSE "," DLC_CPU_TAIL;
// Epilogues are computed per register block by dl-cpu-vectorize; the GPU
// target has no such blocks (yet): there each op stays a kernel. Horizontal
// kernels (the optimizer's updates) are one launch on both.
const char *const dlc::kDLToLinalgGPUPipeline =
    DLC_DL_TO_PLANNED("dl-plan-fusion{epilogues=false}") "," DLC_FUSE
                                                         "," DLC_GPU_TAIL;

std::string dlc::dlToPlannedLinalgPipeline(bool fuse, bool gpu) {
  if (!fuse)
    return DLC_DL_TO_PLANNED("dl-plan-fusion{fuse=false}");
  return gpu ? DLC_DL_TO_PLANNED("dl-plan-fusion{epilogues=false}")
             : DLC_DL_TO_PLANNED("dl-plan-fusion");
}
const char *const dlc::kFusePlannedPipeline = DLC_FUSE;
const char *const dlc::kCPULinalgTailPipeline = DLC_CPU_TAIL;
const char *const dlc::kGPULinalgTailPipeline = DLC_GPU_TAIL;
#undef DLC_DL_TO_PLANNED
#undef DLC_FUSE
#undef DLC_CPU_TAIL
#undef DLC_GPU_TAIL

// Train steps write their updates into their arguments (dl-update-in-place,
// dl-drop-in-place-results). Bufferize with identity layouts (no strided
// fallbacks), turn copies into linalg.copy (loops, not a call into MLIR's C
// runner library), free every temporary (ownership-based deallocation),
// register-tile and vectorise the contractions for the host's vector width
// (dl-cpu-vectorize), then loops and the LLVM dialect. Math: LLVM
// intrinsics where they exist, libm (tanhf, erff) for the rest. With
// threads, the parallel dimensions of every remaining linalg op become
// scf.parallel and then OpenMP work-sharing loops (libomp); reductions stay
// sequential inside, so results do not depend on the thread count.
// Conversions that need no module-level symbols run nested in each function
// (func.func before convert-func-to-llvm, llvm.func after it), so MLIR runs
// them on all cores: 0.36 s instead of 0.42-0.46 for the seed CNN's
// training module on 2 cores.
/// Loops (and vectors) to the LLVM dialect on the host; `openmp` when the
/// loops are OpenMP work-sharing loops.
static std::string hostLoopsToLLVM(bool openmp) {
  return std::string("func.func(convert-vector-to-scf{full-unroll=true},"
                     "lower-affine,convert-scf-to-cf,expand-strided-metadata,"
                     "lower-affine,convert-math-to-llvm),"
                     // libm calls for vector math scalarise through
                     // vector.extract: before the vector dialect is lowered.
                     "convert-math-to-libm,func.func(convert-vector-to-llvm),"
                     // Allocations go to the runtime's caching allocator.
                     "finalize-memref-to-llvm{use-generic-functions=true},"
                     "func.func(convert-arith-to-llvm,convert-index-to-llvm),"
                     "convert-cf-to-llvm,") +
         (openmp ? "convert-openmp-to-llvm," : "") +
         "convert-func-to-llvm,"
         "llvm.func(convert-ub-to-llvm,reconcile-unrealized-casts)";
}

std::string dlc::linalgToLLVMPipeline(unsigned threads, int lanes,
                                      bool profile) {
  if (lanes < 0)
    lanes = hostF32Lanes();
  std::string outline = profile ? "dl-cpu-outline-kernels{profile=true},"
                                : "dl-cpu-outline-kernels,";
  std::string loops =
      threads <= 1
          ? "func.func(convert-linalg-to-loops)," + outline
          : "func.func(convert-linalg-to-parallel-loops),"
            "dl-serialize-nested-parallel," +
                outline + "dl-omp-work-threshold," +
                "convert-scf-to-openmp{num-threads=" + std::to_string(threads) +
                "},dl-inline-alloca-scopes,";
  return "dl-update-in-place,eliminate-empty-tensors,"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "canonicalize,dl-drop-in-place-results,"
         "func.func(dl-merge-horizontal),"
         "buffer-deallocation-pipeline,"
         "convert-bufferization-to-memref,"
         "dl-memref-copy-to-linalg,"
         "func.func(dl-cpu-vectorize{vector-width=" +
         std::to_string(lanes) + "},canonicalize)," + loops +
         hostLoopsToLLVM(threads > 1);
}

int dlc::hostF32Lanes() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto has = [&](const char *f) {
    auto it = features.find(f);
    return it != features.end() && it->second;
  };
  if (has("avx512f"))
    return 16;
  if (has("avx2") || has("avx"))
    return 8;
  return 4; // SSE, NEON and anything else with 128-bit vectors
}

const std::string dlc::kLinalgToLLVMPipeline = linalgToLLVMPipeline(1);

dlc::GPUTarget dlc::gpuTargetFor(const std::string &chip) {
  GPUTarget target;
  target.chip = chip;
  for (const char *var : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *dir = std::getenv(var); dir && *dir) {
      target.toolkit = dir;
      break;
    }
  if (target.toolkit.empty() && llvm::sys::fs::is_directory("/usr/local/cuda"))
    target.toolkit = "/usr/local/cuda";
  llvm::SmallString<128> ptxas(target.toolkit);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  bool haveToolkitPtxas =
      !target.toolkit.empty() && llvm::sys::fs::can_execute(ptxas);
  if (!haveToolkitPtxas && !llvm::sys::findProgramByName("ptxas"))
    target.format = "isa"; // no ptxas: the driver compiles the PTX at load
  return target;
}

// The GPU target. Bufferize as for the CPU, then contractions large enough
// become shared-memory tiled kernels (dl-gpu-tile-contractions: on the CUDA
// cores, or the tensor cores for `matmul` tf32 and 3xtf32), every other
// parallel loop nest a kernel (dl-gpu-map-kernels: one thread or one warp per
// output), constants and index arithmetic move into the kernels (so that
// static sizes are constants there, not arguments: no run-time divisions by
// them), kernels are outlined into gpu.modules and lowered to NVVM (mma.sync
// through convert-nvgpu-to-nvvm, math through libdevice), the host side runs
// asynchronously on one stream per call (gpu-async-region: launches and
// allocations queue, the call waits once at its end), and each gpu.module is
// compiled to PTX and, by ptxas, to a cubin that the host code loads at
// start-up (mgpuModuleLoad, in a global constructor).
static std::string gpuKernelsPipeline(const std::string &matmul) {
  return "dl-update-in-place,eliminate-empty-tensors,"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "canonicalize,dl-drop-in-place-results,"
         "func.func(dl-merge-horizontal{chunk=1 max-operands=96}),"
         "buffer-deallocation-pipeline,"
         "convert-bufferization-to-memref,"
         "dl-memref-copy-to-linalg,func.func(dl-gpu-tile-contractions{matmul=" +
         matmul +
         "}),"
         "func.func(convert-linalg-to-parallel-loops),canonicalize,"
         "func.func(dl-gpu-fuse-reductions,dl-gpu-merge-fills),"
         "dl-gpu-map-kernels,scf-parallel-for-to-nested-fors,"
         "gpu-launch-sink-index-computations";
}

std::string dlc::linalgToGPUKernelsPipeline(const std::string &matmul) {
  return gpuKernelsPipeline(matmul) +
         ",gpu-kernel-outlining,dl-gpu-merge-kernel-modules";
}

// The test target cuda-emulator: the same kernels, run on the CPU with
// CUDA's semantics (dl-gpu-emulate), then the host's LLVM lowering.
std::string dlc::linalgToEmulatedGPUPipeline(bool reversed,
                                             const std::string &matmul) {
  return gpuKernelsPipeline(matmul) +
         (reversed ? ",dl-gpu-emulate{reverse=true}," : ",dl-gpu-emulate,") +
         hostLoopsToLLVM(false);
}

std::string dlc::linalgToGPUPipeline(const GPUTarget &target) {
  std::string toolkit =
      target.toolkit.empty() ? "" : " toolkit=" + target.toolkit;
  return linalgToGPUKernelsPipeline(target.matmul) +
         ",func.func(gpu-async-region),"
         "nvvm-attach-target{chip=" +
         target.chip + " features=" + target.features +
         " O=3},"
         "lower-affine,convert-scf-to-cf,"
         "gpu.module(convert-nvgpu-to-nvvm,convert-gpu-to-nvvm,canonicalize,"
         "cse,reconcile-unrealized-casts),"
         "gpu-to-llvm,expand-strided-metadata,lower-affine,"
         "finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
         "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
         "convert-func-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts,"
         "gpu-module-to-binary{format=" +
         target.format + toolkit + "}";
}

void dlc::registerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<dl::DLDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

void dlc::registerPassesAndPipelines() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    dl::registerDLConversionPasses();
    dl::registerDLTransformsPasses();
    PassPipelineRegistration<>(
        "dl-lower-to-linalg", "Lower the dl dialect to linalg on tensors",
        [](OpPassManager &pm) {
          std::string error;
          (void)addPipeline(pm, kDLToLinalgPipeline, error);
        });
    PassPipelineRegistration<>(
        "dl-lower-to-gpu-kernels",
        "Lower the dl dialect to outlined GPU kernels (gpu.func) and host "
        "code that launches them",
        [](OpPassManager &pm) {
          std::string error;
          (void)addPipeline(pm, kDLToLinalgGPUPipeline, error);
          (void)addPipeline(pm, linalgToGPUKernelsPipeline(), error);
        });
    PassPipelineRegistration<>(
        "dl-lower-to-nvvm",
        "Lower the dl dialect to kernels in PTX (sm_90) and host code in the "
        "LLVM dialect",
        [](OpPassManager &pm) {
          std::string error;
          GPUTarget target;
          target.format = "isa";
          (void)addPipeline(pm, kDLToLinalgGPUPipeline, error);
          (void)addPipeline(pm, linalgToGPUPipeline(target), error);
        });
    PassPipelineRegistration<>(
        "dl-lower-to-llvm",
        "Lower the dl dialect through linalg to the LLVM dialect",
        [](OpPassManager &pm) {
          std::string error;
          (void)addPipeline(pm, kDLToLinalgPipeline, error);
          (void)addPipeline(pm, kLinalgToLLVMPipeline, error);
        });
  });
}

LogicalResult dlc::addPipeline(OpPassManager &pm, llvm::StringRef text,
                               std::string &error) {
  llvm::raw_string_ostream os(error);
  return parsePassPipeline(text, pm, os);
}
