//===- GPUMergeKernelModules.cpp - one gpu.module for all kernels ---------===//
//
// gpu-kernel-outlining makes one gpu.module per kernel, named after the host
// function (`loss.step_kernel_3`). Two problems: PTX identifiers cannot hold
// '.', and every module is a separate ptxas run and a separate module load
// at start-up. This pass moves every kernel into one module, `dl_kernels`,
// with names made of letters, digits and '_' (unique), and points every
// gpu.launch_func at the new names.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUMERGEKERNELMODULES
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

std::string sanitize(StringRef name) {
  std::string out;
  for (char c : name)
    out += llvm::isAlnum(c) ? c : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "k" + out;
  return out;
}

/// "_at<line>_<col>" of the DL source the kernel computes, if known: names
/// in profiles (dlc train --profile, Nsight) then point at the model.
std::string sourceSuffix(Operation *kernel) {
  if (auto at = kernel->getLoc()->findInstanceOf<FileLineColLoc>())
    return "_at" + std::to_string(at.getLine()) + "_" +
           std::to_string(at.getColumn());
  return "";
}

struct GPUMergeKernelModulesPass
    : dl::impl::GPUMergeKernelModulesBase<GPUMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(
        module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.empty())
      return;
    OpBuilder b(kernelModules.front());
    auto merged = gpu::GPUModuleOp::create(b, kernelModules.front().getLoc(),
                                           "dl_kernels");
    Block &body = merged.getBodyRegion().front();
    llvm::StringSet<> taken;
    // (old module, old function) -> new function name.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp m : kernelModules) {
      for (Operation &op :
           llvm::make_early_inc_range(m.getBodyRegion().front())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol) {
          op.emitError("internal error: unexpected op in a kernel module");
          return signalPassFailure();
        }
        std::string base = sanitize(symbol.getName()),
                    suffix = sourceSuffix(&op), name = base + suffix;
        for (unsigned n = 1; !taken.insert(name).second; ++n)
          name = base + "_" + std::to_string(n) + suffix;
        StringAttr newName = b.getStringAttr(name);
        renamed[{m.getNameAttr(), symbol.getNameAttr()}] = newName;
        symbol.setName(newName);
        op.moveBefore(&body, body.end());
      }
    }
    WalkResult walk = module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it =
          renamed.find({kernel.getRootReference(), kernel.getLeafReference()});
      if (it == renamed.end()) {
        launch.emitError("internal error: launch of an unknown kernel");
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(SymbolRefAttr::get(
          merged.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (gpu::GPUModuleOp m : kernelModules)
      m.erase();
  }
};

} // namespace
