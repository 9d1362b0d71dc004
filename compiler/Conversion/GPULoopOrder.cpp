//===- GPULoopOrder.cpp - parallel dimensions outermost for GPU kernels ---===//
//
// convert-linalg-to-parallel-loops turns only the outermost run of parallel
// dimensions into scf.parallel; a reduction that comes first (the bias
// gradient sums dy[n, c, h, w] over n with n outermost) leaves a sequential
// nest that dl-gpu-map-kernels must run in a single thread: 3.2 million
// steps for the reference CNN's convolution bias. Moving every parallel
// dimension before every reduction (relative orders kept) gives one parallel
// loop over the outputs with the reduction inside, which maps to a thread or
// a warp per output. Named ops are generalized only when they need it.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPULOOPORDER
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// The permutation putting parallel dimensions first, or empty if they are.
SmallVector<unsigned> parallelFirst(linalg::LinalgOp op) {
  SmallVector<unsigned> parallel, reduction;
  for (auto [d, type] : llvm::enumerate(op.getIteratorTypesArray()))
    (linalg::isParallelIterator(type) ? parallel : reduction).push_back(d);
  SmallVector<unsigned> order(parallel);
  order.append(reduction);
  for (unsigned i = 0; i < order.size(); ++i)
    if (order[i] != i)
      return order;
  return {};
}

struct GPULoopOrderPass : dl::impl::GPULoopOrderBase<GPULoopOrderPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.getNumReductionLoops() > 0 && op.getNumParallelLoops() > 0 &&
          op.hasPureTensorSemantics() && !parallelFirst(op).empty())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp named : ops) {
      SmallVector<unsigned> order = parallelFirst(named);
      auto op = dyn_cast<linalg::GenericOp>(named.getOperation());
      if (!op) {
        rewriter.setInsertionPoint(named);
        FailureOr<linalg::GenericOp> g =
            dlc::fusion::generalizeKeepingPlan(rewriter, named);
        if (failed(g))
          continue;
        op = *g;
      }
      if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
