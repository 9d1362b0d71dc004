//===- SerializeNestedParallel.cpp - one parallel level per loop nest -----===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dl {
#define GEN_PASS_DEF_SERIALIZENESTEDPARALLEL
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// Rewrites `p` (without reductions) as nested scf.for loops.
void serialize(RewriterBase &rewriter, scf::ParallelOp p) {
  Location loc = p.getLoc();
  rewriter.setInsertionPoint(p);
  SmallVector<Value> ivs;
  scf::ForOp innermost;
  for (auto [lb, ub, step] :
       llvm::zip(p.getLowerBound(), p.getUpperBound(), p.getStep())) {
    innermost = scf::ForOp::create(rewriter, loc, lb, ub, step);
    ivs.push_back(innermost.getInductionVar());
    rewriter.setInsertionPointToStart(innermost.getBody());
  }
  Block &body = p.getRegion().front();
  rewriter.eraseOp(body.getTerminator());
  rewriter.inlineBlockBefore(&body, innermost.getBody()->getTerminator(), ivs);
  rewriter.eraseOp(p);
}

struct SerializeNestedParallelPass
    : dl::impl::SerializeNestedParallelBase<SerializeNestedParallelPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> nested;
    getOperation()->walk([&](scf::ParallelOp p) {
      if (p->getParentOfType<scf::ParallelOp>() && p.getNumResults() == 0)
        nested.push_back(p);
    });
    IRRewriter rewriter(&getContext());
    // Innermost first (post-order walk), so each rewrite sees a body whose
    // own nested loops are already sequential.
    for (scf::ParallelOp p : nested)
      serialize(rewriter, p);
  }
};

} // namespace
