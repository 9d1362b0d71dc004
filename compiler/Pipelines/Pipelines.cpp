//===- Pipelines.cpp - the named pass pipelines ---------------------------===//
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Conversion/Passes.h"
#include "dialects/DL/IR/DLDialect.h"
#include "dialects/DL/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

#include <mutex>

using namespace mlir;

// Inline user functions, clean up, lower, then fuse elementwise chains
// (bias + relu become one loop nest with the consumer).
const char *const dlc::kDLToLinalgPipeline =
    "inline,canonicalize,cse,"
    "dl-training-mode,dl-decompose,canonicalize,cse,"
    "dl-autodiff,dl-materialize-optimizer,inline,symbol-dce,canonicalize,cse,"
    "convert-dl-to-linalg,"
    "canonicalize,linalg-fuse-elementwise-ops,canonicalize,cse,"
    "dl-cpu-loop-order";

// Train steps write their updates into their arguments (dl-update-in-place,
// dl-drop-in-place-results). Bufferize with identity layouts (no strided
// fallbacks), turn copies into linalg.copy (loops, not a call into MLIR's C
// runner library), free every temporary (ownership-based deallocation), then
// loops and the LLVM dialect. Math: LLVM intrinsics where they exist, libm
// (tanhf, erff) for the rest. With threads, the parallel dimensions of every
// linalg op become scf.parallel and then OpenMP work-sharing loops (libomp);
// reductions stay sequential inside, so results do not depend on the thread
// count.
std::string dlc::linalgToLLVMPipeline(unsigned threads) {
  std::string loops =
      threads <= 1 ? "func.func(convert-linalg-to-loops),"
                   : "func.func(convert-linalg-to-parallel-loops),"
                     "dl-serialize-nested-parallel,"
                     "convert-scf-to-openmp{num-threads=" +
                         std::to_string(threads) + "},dl-inline-alloca-scopes,";
  return "dl-update-in-place,eliminate-empty-tensors,"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "canonicalize,dl-drop-in-place-results,"
         "buffer-deallocation-pipeline,"
         "convert-bufferization-to-memref,"
         "dl-memref-copy-to-linalg," +
         loops +
         "lower-affine,convert-scf-to-cf,expand-strided-metadata,lower-affine,"
         "finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
         "convert-arith-to-llvm,"
         "convert-index-to-llvm,convert-cf-to-llvm," +
         (threads <= 1 ? "" : "convert-openmp-to-llvm,") +
         "convert-func-to-llvm,"
         "convert-ub-to-llvm,reconcile-unrealized-casts";
}

const std::string dlc::kLinalgToLLVMPipeline = linalgToLLVMPipeline(1);

void dlc::registerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<dl::DLDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
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
