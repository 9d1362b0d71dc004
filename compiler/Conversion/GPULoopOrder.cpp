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
// First, a "reduction" dimension along which no two iterations write the
// same output element is no reduction: a max-pooling gradient scatters
// dy[n, c, oh, ow] to dx[n, c, 2 oh + kh, 2 ow + kw] with oh, ow, kh, kw as
// reductions (windows may overlap in general), but with stride 2 and 2 x 2
// windows every element has one writer. When the output's indexing map is
// injective over the iteration domain, every dimension becomes parallel:
// a thread per iteration instead of a thread per (n, c) plane walking 784
// elements.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPULOOPORDER
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// `e` as a sum of `coefficient * dim` terms (into `terms`); false if it is
/// anything else (a product of dims, a division, a modulo, a symbol).
bool linearTerms(AffineExpr e, int64_t scale,
                 SmallVectorImpl<std::pair<int64_t, unsigned>> &terms) {
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    terms.push_back({scale, d.getPosition()});
    return true;
  }
  if (isa<AffineConstantExpr>(e))
    return true; // an offset changes no distinctness
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return false;
  if (bin.getKind() == AffineExprKind::Add)
    return linearTerms(bin.getLHS(), scale, terms) &&
           linearTerms(bin.getRHS(), scale, terms);
  if (bin.getKind() == AffineExprKind::Mul)
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return linearTerms(bin.getLHS(), scale * c.getValue(), terms);
  return false;
}

/// Whether no two iterations of `op` write the same element of its one
/// output: each dimension appears in one result of the output's map, and
/// within a result the terms are digits of a mixed radix (each coefficient
/// exceeds the largest value the smaller terms reach together).
bool writesEachElementOnce(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return false;
  AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  llvm::SmallBitVector seen(map.getNumDims());
  for (AffineExpr result : map.getResults()) {
    SmallVector<std::pair<int64_t, unsigned>> terms;
    if (!linearTerms(result, 1, terms))
      return false;
    llvm::sort(terms);
    int64_t reach = 0; // the largest sum of the terms so far
    for (auto [i, term] : llvm::enumerate(terms)) {
      auto [coefficient, dim] = term;
      if (coefficient <= 0 || seen.test(dim) || coefficient <= reach)
        return false;
      seen.set(dim);
      if (i + 1 == terms.size())
        break; // the largest digit may be of any (dynamic) size
      if (ShapedType::isDynamic(ranges[dim]))
        return false;
      reach += coefficient * (ranges[dim] - 1);
    }
  }
  return seen.all();
}

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
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() > 0 && op.hasPureTensorSemantics() &&
          writesEachElementOnce(op))
        op.setIteratorTypesAttr(ArrayAttr::get(
            &getContext(),
            SmallVector<Attribute>(
                op.getNumLoops(),
                linalg::IteratorTypeAttr::get(&getContext(),
                                              utils::IteratorType::parallel))));
    });
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
