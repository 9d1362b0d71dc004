//===- CPUOutlineKernels.cpp - one LLVM function per loop nest ------------===//
//
// A training step is one function holding every kernel of the forward pass,
// the backward pass and the optimizer: for a 64-layer MLP, thousands of loop
// nests. LLVM's function passes grow faster than linearly with function
// size, so compiling the step took 73 s at 64 layers against 24 s at 32.
// Moving each top-level loop nest into a private function of its own, which
// LLVM must not inline back (`noinline`), keeps every function small: the
// cost becomes the sum over kernels, linear in the model's size. A call per
// kernel costs nothing next to the loop it runs.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::dl {
#define GEN_PASS_DEF_CPUOUTLINEKERNELS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

struct CPUOutlineKernelsPass
    : dl::impl::CPUOutlineKernelsBase<CPUOutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : functions) {
      if (fn.isExternal() || !fn.getBody().hasOneBlock())
        continue;
      SmallVector<Operation *> nests;
      for (Operation &op : fn.getBody().front())
        if (isa<scf::ForOp, scf::ParallelOp>(op))
          nests.push_back(&op);
      unsigned k = 0;
      for (Operation *nest : nests) {
        if (nest->getNumResults() != 0)
          continue;
        // Wrap the nest in a region of its own, with the constants it uses
        // inside (so that LLVM still sees them as constants), and outline it.
        rewriter.setInsertionPoint(nest);
        auto region =
            scf::ExecuteRegionOp::create(rewriter, nest->getLoc(), TypeRange());
        Block *block = rewriter.createBlock(&region.getRegion());
        rewriter.setInsertionPointToEnd(block);
        auto yield = scf::YieldOp::create(rewriter, nest->getLoc());
        nest->moveBefore(yield);
        SetVector<Value> above;
        getUsedValuesDefinedAbove(region.getRegion(), above);
        rewriter.setInsertionPointToStart(block);
        for (Value v : above) {
          Operation *def = v.getDefiningOp();
          if (!def || !matchPattern(v, m_Constant()))
            continue;
          Value copy = rewriter.clone(*def)->getResult(0);
          replaceAllUsesInRegionWith(v, copy, region.getRegion());
        }
        std::string name = (fn.getSymName() + ".kernel" + Twine(k++)).str();
        FailureOr<func::FuncOp> outlined = outlineSingleBlockRegion(
            rewriter, nest->getLoc(), region.getRegion(), name);
        if (failed(outlined)) {
          region.emitError("internal error: cannot outline a loop nest");
          return signalPassFailure();
        }
        outlined->setPrivate();
        (*outlined)->setAttr(
            "passthrough",
            rewriter.getArrayAttr({rewriter.getStringAttr("noinline")}));
        // The region now holds the call: splice it into the host function.
        Block &call = region.getRegion().front();
        rewriter.eraseOp(call.getTerminator());
        rewriter.inlineBlockBefore(&call, region);
        rewriter.eraseOp(region);
      }
    }
  }
};

} // namespace
