//===- CPULoopOrder.cpp - vectorisable innermost loops for CPU kernels ----===//
//
// convert-linalg-to-loops emits loops in the order of an op's iteration
// dimensions, and matmul, convolution and their gradients put a reduction
// innermost: a dot product whose accumulator LLVM cannot keep in a register
// (the output may alias the inputs), so nothing vectorises. This pass moves
// innermost a parallel dimension along which every operand is contiguous or
// constant, turning the kernel into AXPY-like inner loops
// (C[i, :] += A[i, k] * B[k, :]) that LLVM's loop vectorizer handles (with
// runtime alias checks). Where no such dimension exists because a
// two-dimensional input is laid out the other way (x @ W^T with W [N, K]),
// a transposed copy of that input is made first. Summation order changes
// (a different but fixed order: results stay deterministic).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/CPUDot.h"
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::dl {
#define GEN_PASS_DEF_CPULOOPORDER
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

enum class Access { Absent, Contiguous, Strided };

/// How the operand indexed by `map` walks memory as loop `d` advances.
Access classify(AffineMap map, unsigned d) {
  if (!map.isFunctionOfDim(d))
    return Access::Absent;
  unsigned n = map.getNumResults();
  for (unsigned r = 0; r + 1 < n; ++r)
    if (map.getResult(r).isFunctionOfDim(d))
      return Access::Strided;
  AffineExpr last = map.getResult(n - 1);
  if (auto dim = dyn_cast<AffineDimExpr>(last))
    return dim.getPosition() == d ? Access::Contiguous : Access::Strided;
  if (auto add = dyn_cast<AffineBinaryOpExpr>(last);
      add && add.getKind() == AffineExprKind::Add)
    for (auto [a, b] : {std::pair(add.getLHS(), add.getRHS()),
                        std::pair(add.getRHS(), add.getLHS())}) {
      auto dim = dyn_cast<AffineDimExpr>(a);
      if (dim && dim.getPosition() == d && !b.isFunctionOfDim(d))
        return Access::Contiguous;
    }
  return Access::Strided;
}

/// The best parallel loop to run innermost, if any.
std::optional<unsigned> innermostCandidate(linalg::LinalgOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap out = maps.back();
  std::optional<unsigned> best;
  auto score = [&](unsigned d) {
    bool outputLast = out.getNumResults() &&
                      out.getResult(out.getNumResults() - 1).isFunctionOfDim(d);
    int64_t extent = ShapedType::isDynamic(ranges[d]) ? 64 : ranges[d];
    return std::pair(outputLast, extent);
  };
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (op.getIteratorTypesArray()[d] != utils::IteratorType::parallel)
      continue;
    if (!ShapedType::isDynamic(ranges[d]) && ranges[d] < 8)
      continue; // too short to be worth a vector loop
    bool ok = llvm::all_of(
        maps, [&](AffineMap m) { return classify(m, d) != Access::Strided; });
    if (ok && (!best || score(d) > score(*best)))
      best = d;
  }
  return best;
}

/// For x @ W^T-like contractions: the input [p, r] (p the output's last
/// dimension, r a reduction) that a transposed copy [r, p] would make
/// contiguous, if any.
OpOperand *transposableInput(linalg::LinalgOp op) {
  AffineMap out = op.getIndexingMapsArray().back();
  if (!out.getNumResults())
    return nullptr;
  auto outLast =
      dyn_cast<AffineDimExpr>(out.getResult(out.getNumResults() - 1));
  if (!outLast)
    return nullptr;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(input);
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || type.getRank() != 2 || m.getNumResults() != 2)
      continue;
    auto first = dyn_cast<AffineDimExpr>(m.getResult(0));
    auto second = dyn_cast<AffineDimExpr>(m.getResult(1));
    if (first && second && first.getPosition() == outLast.getPosition() &&
        op.getIteratorTypesArray()[second.getPosition()] ==
            utils::IteratorType::reduction)
      return input;
  }
  return nullptr;
}

/// Replaces `input` of `op` by a transposed copy and swaps its map.
void transposeInput(RewriterBase &rewriter, linalg::GenericOp op,
                    OpOperand *input) {
  AffineMap m = op.getMatchingIndexingMap(input);
  auto type = cast<RankedTensorType>(input->get().getType());
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<OpFoldResult> sizes = {
      tensor::getMixedSize(rewriter, loc, input->get(), 1),
      tensor::getMixedSize(rewriter, loc, input->get(), 0)};
  Value init =
      tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
  Value t = linalg::TransposeOp::create(rewriter, loc, input->get(), init,
                                        ArrayRef<int64_t>{1, 0})
                ->getResult(0);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[input->getOperandNumber()] = AffineMap::get(
      m.getNumDims(), 0, {m.getResult(1), m.getResult(0)}, op.getContext());
  rewriter.modifyOpInPlace(op, [&] {
    input->set(t);
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
}

struct CPULoopOrderPass : dl::impl::CPULoopOrderBase<CPULoopOrderPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.getNumReductionLoops() > 0 && op.getNumLoops() >= 2 &&
          op.hasPureTensorSemantics())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp named : ops) {
      // x @ W^T with a long reduction: dot products of rows
      // (dl-cpu-vectorize, CPUDot.h), no transposed copy.
      if (dlc::dot::match(named))
        continue;
      std::optional<unsigned> d = innermostCandidate(named);
      OpOperand *transpose = d ? nullptr : transposableInput(named);
      if (!transpose && (!d || *d + 1 == named.getNumLoops()))
        continue; // already as good as it gets
      auto op = dyn_cast<linalg::GenericOp>(named.getOperation());
      if (!op) {
        unsigned operand = transpose ? transpose->getOperandNumber() : 0;
        rewriter.setInsertionPoint(named);
        FailureOr<linalg::GenericOp> g =
            dlc::fusion::generalizeKeepingPlan(rewriter, named);
        if (failed(g))
          continue;
        op = *g;
        if (transpose)
          transpose = &op->getOpOperand(operand);
      }
      if (transpose) {
        transposeInput(rewriter, op, transpose);
        d = innermostCandidate(op);
      }
      if (!d || *d + 1 == op.getNumLoops())
        continue;
      SmallVector<unsigned> order;
      for (unsigned i = 0; i < op.getNumLoops(); ++i)
        if (i != *d)
          order.push_back(i);
      order.push_back(*d);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
