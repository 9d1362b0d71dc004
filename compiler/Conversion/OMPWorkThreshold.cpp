//===- OMPWorkThreshold.cpp - threads only for enough work ----------------===//
//
// Every kernel's outermost scf.parallel becomes an OpenMP work-sharing loop
// in an `omp.parallel` region, and entering one costs a fork and a join of
// the thread team (tens of microseconds on a small VM). Kernels of a batch-1
// inference or of a small MLP do less work than that. An `if` clause on the
// region (libomp then runs it serialised on the calling thread) was not
// enough: the serialised regions themselves kept the MLP's batch-1 inference
// on two threads at a sixth of its one-thread speed. So each parallel loop
// is versioned before it becomes OpenMP: `scf.if` the estimated work
// (iterations times a static estimate of each iteration's operations)
// reaches a threshold, the parallel loop, else the same loop as plain
// `scf.for` loops, which never call libomp. A work estimate that folds to a
// constant picks one version at compile time.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/ParallelLoops.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dl {
#define GEN_PASS_DEF_OMPWORKTHRESHOLD
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// Operations executed by one run of `region`, as an index value computed
/// before `parallel`: loops count their body once per iteration, with their
/// trip count computed at run time when their bounds are defined outside
/// the loop nest (a dynamic batch) and taken as 64 otherwise. Constants fold.
Value estimateWork(OpBuilder &b, Location loc, Region &region,
                   scf::ParallelOp parallel) {
  auto constant = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto outside = [&](Value v) { return parallel.isDefinedOutsideOfLoop(v); };
  Value work = constant(0);
  int64_t plain = 0;
  for (Block &block : region)
    for (Operation &op : block) {
      plain += 1;
      for (Region &r : op.getRegions()) {
        Value inner = estimateWork(b, loc, r, parallel);
        if (auto loop = dyn_cast<scf::ForOp>(op)) {
          Value trips;
          if (std::optional<APInt> n = loop.getStaticTripCount())
            trips = constant(int64_t(n->getZExtValue()));
          else if (outside(loop.getLowerBound()) &&
                   outside(loop.getUpperBound()) && outside(loop.getStep()))
            trips = b.createOrFold<arith::CeilDivSIOp>(
                loc,
                b.createOrFold<arith::SubIOp>(loc, loop.getUpperBound(),
                                              loop.getLowerBound()),
                loop.getStep());
          else
            trips = constant(64);
          inner = b.createOrFold<arith::MulIOp>(loc, inner, trips);
        }
        work = b.createOrFold<arith::AddIOp>(loc, work, inner);
      }
    }
  return b.createOrFold<arith::AddIOp>(loc, work, constant(plain));
}

/// Trips of a loop from `lb` to `ub` by `step` at least, for a batch of
/// one: the static count, else 1 for a loop from a constant to a size
/// (a memref.dim or an argument: a dynamic batch), else 0 (the remainder
/// loop after full blocks, from a multiple of the block to the size, often
/// runs no trips at all).
int64_t leastTrips(Value lb, Value ub, Value step) {
  std::optional<int64_t> l = getConstantIntValue(lb),
                         u = getConstantIntValue(ub),
                         st = getConstantIntValue(step);
  if (!l || !st || *st <= 0)
    return 0;
  if (u)
    return std::max<int64_t>(0, llvm::divideCeilSigned(*u - *l, *st));
  bool size = isa<BlockArgument>(ub) || ub.getDefiningOp<memref::DimOp>();
  return size ? 1 : 0;
}

/// The least estimateWork can give for `region` with a batch of one: the
/// same sum with leastTrips for every trip count taken at run time.
/// Saturates instead of overflowing.
int64_t leastWork(Region &region, scf::ParallelOp parallel) {
  constexpr int64_t cap = int64_t(1) << 40;
  auto outside = [&](Value v) { return parallel.isDefinedOutsideOfLoop(v); };
  int64_t work = 0;
  for (Block &block : region)
    for (Operation &op : block) {
      work += 1;
      for (Region &r : op.getRegions()) {
        int64_t inner = leastWork(r, parallel);
        if (auto loop = dyn_cast<scf::ForOp>(op)) {
          int64_t trips = 64;
          if (std::optional<APInt> n = loop.getStaticTripCount())
            trips = int64_t(n->getZExtValue());
          else if (outside(loop.getLowerBound()) &&
                   outside(loop.getUpperBound()) && outside(loop.getStep()))
            trips = leastTrips(loop.getLowerBound(), loop.getUpperBound(),
                               loop.getStep());
          inner = trips == 0 ? 0 : std::min(cap, inner * std::min(cap, trips));
        }
        work = std::min(cap, work + inner);
      }
    }
  return work;
}

struct OMPWorkThresholdPass
    : dl::impl::OMPWorkThresholdBase<OMPWorkThresholdPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk([&](scf::ParallelOp p) {
      if (!p->getParentOfType<scf::ParallelOp>() && p.getNumResults() == 0)
        loops.push_back(p);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp parallel : loops) {
      OpBuilder b(parallel);
      Location loc = parallel.getLoc();
      Value iterations = arith::ConstantIndexOp::create(b, loc, 1);
      for (auto [lb, ub, step] :
           llvm::zip(parallel.getLowerBound(), parallel.getUpperBound(),
                     parallel.getStep())) {
        Value span = b.createOrFold<arith::SubIOp>(loc, ub, lb);
        Value trips = b.createOrFold<arith::CeilDivSIOp>(loc, span, step);
        iterations = b.createOrFold<arith::MulIOp>(loc, iterations, trips);
      }
      Value work = b.createOrFold<arith::MulIOp>(
          loc, iterations,
          estimateWork(b, loc, parallel.getRegion(), parallel));
      if (std::optional<int64_t> known = getConstantIntValue(work)) {
        if (*known < minWork) // never enough: plain loops
          dlc::serializeFrom(rewriter, parallel, /*keep=*/0);
        continue;
      }
      // Enough even for a batch of one: the run-time check could only pick
      // the parallel loop, so no plain copy (with threads, every large
      // kernel was compiled twice).
      int64_t leastIterations = 1;
      for (auto [lb, ub, step] :
           llvm::zip(parallel.getLowerBound(), parallel.getUpperBound(),
                     parallel.getStep()))
        leastIterations *= leastTrips(lb, ub, step);
      if (leastIterations > 0 &&
          leastWork(parallel.getRegion(), parallel) >=
              llvm::divideCeilSigned(int64_t(minWork), leastIterations))
        continue;
      Value enough = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::sge, work,
          arith::ConstantIndexOp::create(b, loc, minWork));
      auto branch = scf::IfOp::create(b, loc, enough, /*withElseRegion=*/true);
      rewriter.setInsertionPoint(branch.elseBlock()->getTerminator());
      auto copy = cast<scf::ParallelOp>(rewriter.clone(*parallel));
      dlc::serializeFrom(rewriter, copy, /*keep=*/0);
      rewriter.moveOpBefore(parallel, branch.thenBlock()->getTerminator());
    }
  }
};

} // namespace
