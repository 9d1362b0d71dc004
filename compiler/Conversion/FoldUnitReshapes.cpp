//===- FoldUnitReshapes.cpp - unit-dimension reshapes out of fusion's way -===//
//
// Reductions with keepdims are lowered as a reduction to the smaller shape
// followed by tensor.expand_shape re-inserting the unit dimensions, and
// broadcasting consumers collapse them away again. An elementwise op over
// the expanded value (cross-entropy's log of the row sums, [N, 1]) then sits
// between two reshapes, which fusion does not look through. Collapsing the
// elementwise op's unit dimensions (linalg's reshape-by-collapsing
// propagation) moves the expand_shape below it, where it meets the
// consumer's collapse_shape and both fold away.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dl {
#define GEN_PASS_DEF_FOLDUNITRESHAPES
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// Every group of the reshape holds at most one dimension that is not a
/// static 1 on its expanded side: it only adds or drops unit dimensions.
template <typename ReshapeOp>
bool onlyUnitDims(ReshapeOp reshape, RankedTensorType expanded) {
  for (const ReassociationIndices &group : reshape.getReassociationIndices()) {
    int nonUnit = 0;
    for (int64_t d : group)
      nonUnit += expanded.getDimSize(d) != 1;
    if (nonUnit > 1)
      return false;
  }
  return true;
}

/// Only elementwise generics, and only around reshapes of unit dimensions:
/// collapsing real dimensions would change the loop nests the later CPU
/// passes tile and vectorise.
bool foldsAUnitReshape(OpOperand *operand) {
  auto elementwise = [](Operation *op) {
    auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
    return generic && generic.getNumReductionLoops() == 0;
  };
  Value value = operand->get();
  if (auto expand = value.getDefiningOp<tensor::ExpandShapeOp>())
    return elementwise(operand->getOwner()) &&
           onlyUnitDims(expand, expand.getResultType());
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(operand->getOwner()))
    return elementwise(value.getDefiningOp()) &&
           onlyUnitDims(collapse, collapse.getSrcType());
  return false;
}

struct FoldUnitReshapesPass
    : dl::impl::FoldUnitReshapesBase<FoldUnitReshapesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateFoldReshapeOpsByCollapsingPatterns(patterns,
                                                       foldsAUnitReshape);
    // The collapsed op's initial values: reshapes of tensor.empty.
    tensor::populateFoldTensorEmptyPatterns(patterns);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns,
                                                         &getContext());
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
