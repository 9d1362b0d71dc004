//===- OMPWorkThreshold.cpp - fork threads only for enough work -----------===//
//
// Every kernel with a parallel loop becomes an `omp.parallel` region, and
// entering one costs a fork and a join of the thread team (tens of
// microseconds on a small VM). Kernels of a batch-1 inference or of a small
// MLP do less work than that: with two threads the MLP's batch-1 inference
// ran 4x slower than with one. This pass gives each region an `if` clause:
// the team is used only when the region's estimated work (iterations of the
// work-sharing loop times a static estimate of each iteration's operations)
// reaches a threshold; otherwise libomp runs it on the calling thread.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::dl {
#define GEN_PASS_DEF_OMPWORKTHRESHOLD
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// Operations executed by one run of `region`, as an index value computed
/// before `parallel`: loops count their body once per iteration, with their
/// trip count computed at run time when their bounds are defined outside
/// the region (a dynamic batch) and taken as 64 otherwise. Constants fold.
Value estimateWork(OpBuilder &b, Location loc, Region &region,
                   omp::ParallelOp parallel) {
  auto constant = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto outside = [&](Value v) {
    return !parallel->isAncestor(v.getParentBlock()->getParentOp());
  };
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

struct OMPWorkThresholdPass
    : dl::impl::OMPWorkThresholdBase<OMPWorkThresholdPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation()->walk([&](omp::ParallelOp parallel) {
      if (parallel.getIfExpr())
        return;
      omp::LoopNestOp nest;
      parallel.walk([&](omp::LoopNestOp n) {
        if (!nest)
          nest = n;
      });
      if (!nest)
        return;
      for (Value bound : nest->getOperands())
        if (parallel->isAncestor(bound.getParentBlock()->getParentOp()))
          return; // bounds computed inside the region: leave it parallel
      OpBuilder b(parallel);
      Location loc = parallel.getLoc();
      Value iterations = arith::ConstantIndexOp::create(b, loc, 1);
      for (auto [lb, ub, step] :
           llvm::zip(nest.getLoopLowerBounds(), nest.getLoopUpperBounds(),
                     nest.getLoopSteps())) {
        Value span = arith::SubIOp::create(b, loc, ub, lb);
        Value trips = arith::CeilDivSIOp::create(b, loc, span, step);
        iterations = arith::MulIOp::create(b, loc, iterations, trips);
      }
      Value work = arith::MulIOp::create(
          b, loc, iterations, estimateWork(b, loc, nest.getRegion(), parallel));
      Value enough = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::sge, work,
          arith::ConstantIndexOp::create(b, loc, minWork));
      parallel.getIfExprMutable().assign(enough);
    });
  }
};

} // namespace
