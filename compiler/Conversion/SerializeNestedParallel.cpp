//===- SerializeNestedParallel.cpp - one parallel level per loop nest -----===//
#include "compiler/Conversion/ParallelLoops.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dl {
#define GEN_PASS_DEF_SERIALIZENESTEDPARALLEL
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

void dlc::serializeFrom(RewriterBase &rewriter, scf::ParallelOp p,
                        unsigned keep) {
  Location loc = p.getLoc();
  rewriter.setInsertionPoint(p);
  SmallVector<Value> ivs;
  Operation *innermost = nullptr;
  if (keep > 0) {
    auto outer = scf::ParallelOp::create(
        rewriter, loc, p.getLowerBound().take_front(keep),
        p.getUpperBound().take_front(keep), p.getStep().take_front(keep));
    llvm::append_range(ivs, outer.getInductionVars());
    rewriter.setInsertionPointToStart(outer.getBody());
    innermost = outer;
  }
  for (unsigned d = keep; d < p.getNumLoops(); ++d) {
    auto loop = scf::ForOp::create(rewriter, loc, p.getLowerBound()[d],
                                   p.getUpperBound()[d], p.getStep()[d]);
    ivs.push_back(loop.getInductionVar());
    rewriter.setInsertionPointToStart(loop.getBody());
    innermost = loop;
  }
  Block &body = p.getRegion().front();
  rewriter.eraseOp(body.getTerminator());
  Block *target = &innermost->getRegion(0).front();
  rewriter.inlineBlockBefore(&body, target->getTerminator(), ivs);
  rewriter.eraseOp(p);
}

namespace {

/// Iterations of dimension `d` of `p`, if static.
std::optional<int64_t> tripCount(scf::ParallelOp p, unsigned d) {
  std::optional<int64_t> lb = getConstantIntValue(p.getLowerBound()[d]);
  std::optional<int64_t> ub = getConstantIntValue(p.getUpperBound()[d]);
  std::optional<int64_t> step = getConstantIntValue(p.getStep()[d]);
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return std::max<int64_t>(0, (*ub - *lb + *step - 1) / *step);
}

/// Work-sharing iterations enough to keep every thread busy.
constexpr int64_t kEnoughIterations = 64;

/// The extent assumed for a dimension sized at run time: the batch, whose
/// usual size in training is 64.
constexpr int64_t kAssumedDynamicExtent = 64;

/// Keeps the leading dimensions of `p` that give kEnoughIterations and
/// makes the others `scf.for` loops inside. OpenMP would collapse all of
/// them into one work-sharing loop whose every iteration recomputes each
/// index with a division and a remainder: the seed CNN's pooling window
/// copy (6 loops) ran 5x slower on two threads than on one. A dynamic
/// dimension counts as kAssumedDynamicExtent elements divided by its step:
/// counted as enough whatever its step, fc1's product in blocks of 64 rows
/// kept only the batch's loop, one iteration at batch 64, and ran on one
/// thread of two.
void keepLeadingDims(RewriterBase &rewriter, scf::ParallelOp p) {
  unsigned n = p.getNumLoops(), keep = 0;
  int64_t iterations = 1;
  while (keep < n && iterations < kEnoughIterations) {
    std::optional<int64_t> trips = tripCount(p, keep);
    std::optional<int64_t> step = getConstantIntValue(p.getStep()[keep]);
    if (!trips)
      trips = step && *step > 0 ? llvm::divideCeil(kAssumedDynamicExtent, *step)
                                : kEnoughIterations;
    iterations *= *trips;
    ++keep;
  }
  if (keep < n && p.getNumResults() == 0)
    dlc::serializeFrom(rewriter, p, keep);
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
      dlc::serializeFrom(rewriter, p, /*keep=*/0);
    SmallVector<scf::ParallelOp> outer;
    getOperation()->walk([&](scf::ParallelOp p) {
      if (p.getNumLoops() > 1)
        outer.push_back(p);
    });
    for (scf::ParallelOp p : outer)
      keepLeadingDims(rewriter, p);
  }
};

} // namespace
