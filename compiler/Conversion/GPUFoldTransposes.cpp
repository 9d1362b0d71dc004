//===- GPUFoldTransposes.cpp - read operands through transposed maps ------===//
//
// A linalg.transpose feeding a linalg op is a copy that exists only so that
// the consumer reads its operand in another order: on the GPU a launch of
// its own and a pass over memory. A transpose of a linalg op's result that
// nothing else uses becomes that op's output layout (a weight's gradient
// coming transposed out of its matmul: its consumers, the optimizer's
// update, stay as they were). Otherwise every linalg consumer that takes the
// transpose's result as an input reads the transpose's source instead,
// through its indexing map composed with the permutation (a Linear layer's
// `x @ W^T` over a batch of sequences, attention's heads split out of the
// sequence dimension, `k^T`); a transpose left without uses goes. The CPU
// keeps its transposes: its vectoriser wants the contiguous copy.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUFOLDTRANSPOSES
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// The map reading a transpose's source where `map` read its result:
/// result[d] = source[perm[d]], so the source's index perm[d] is `map`'s
/// result d.
AffineMap throughTranspose(AffineMap map, ArrayRef<int64_t> perm) {
  SmallVector<AffineExpr> results(map.getNumResults());
  for (auto [d, p] : llvm::enumerate(perm))
    results[p] = map.getResult(d);
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                        map.getContext());
}

/// A transpose of a linalg op's result that nothing else uses (attention's
/// heads merged back before a reshape): the op writes the transposed layout
/// itself, into the transpose's empty init (or a fill of it, where the op
/// accumulates into a fill), through its output map composed with the
/// permutation.
bool foldIntoProducer(IRRewriter &rewriter, linalg::TransposeOp transpose) {
  Value source = transpose.getInput();
  auto producer = source.getDefiningOp<linalg::LinalgOp>();
  auto empty = transpose.getInit().getDefiningOp<tensor::EmptyOp>();
  if (!producer || isa<linalg::TransposeOp, linalg::FillOp>(producer) ||
      !producer.hasPureTensorSemantics() || producer->getNumResults() != 1 ||
      !source.hasOneUse() || !empty ||
      empty->getBlock() != producer->getBlock())
    return false;
  // The empty tensor moves above the producer if its sizes are known there.
  auto before = [&](Value v) {
    Operation *def = v.getDefiningOp();
    return !def || (def->getBlock() == producer->getBlock() &&
                    def->isBeforeInBlock(producer));
  };
  if (!empty->isBeforeInBlock(producer) &&
      !llvm::all_of(empty->getOperands(), before))
    return false;
  Value init = producer.getDpsInitOperand(0)->get();
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!init.getDefiningOp<tensor::EmptyOp>() &&
      !(fill && fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>()))
    return false;
  rewriter.setInsertionPoint(producer);
  FailureOr<linalg::GenericOp> generic =
      isa<linalg::GenericOp>(producer)
          ? FailureOr<linalg::GenericOp>(cast<linalg::GenericOp>(*producer))
          : dlc::fusion::generalizeKeepingPlan(rewriter, producer);
  if (failed(generic))
    return false;
  if (!empty->isBeforeInBlock(*generic))
    empty->moveBefore(*generic);
  Value newInit = transpose.getInit();
  if (fill) {
    auto newFill = linalg::FillOp::create(
        rewriter, fill.getLoc(), fill.getInputs(), ValueRange{newInit});
    newFill->setDiscardableAttrs(fill->getDiscardableAttrDictionary());
    newInit = newFill.getResult(0);
  }
  OpOperand *out = generic->getDpsInitOperand(0);
  SmallVector<AffineMap> maps = generic->getIndexingMapsArray();
  AffineMap old = maps[out->getOperandNumber()];
  SmallVector<AffineExpr> results;
  for (int64_t p : transpose.getPermutation())
    results.push_back(old.getResult(p));
  maps[out->getOperandNumber()] = AffineMap::get(
      old.getNumDims(), old.getNumSymbols(), results, old.getContext());
  generic->setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  out->set(newInit);
  Value result = generic->getResult(0);
  result.setType(transpose->getResult(0).getType());
  rewriter.replaceOp(transpose, result);
  if (fill && fill->use_empty())
    rewriter.eraseOp(fill);
  return true;
}

struct GPUFoldTransposesPass
    : dl::impl::GPUFoldTransposesBase<GPUFoldTransposesPass> {
  void runOnOperation() override {
    SmallVector<linalg::TransposeOp> transposes;
    getOperation()->walk(
        [&](linalg::TransposeOp t) { transposes.push_back(t); });
    IRRewriter rewriter(&getContext());
    for (linalg::TransposeOp transpose : transposes) {
      if (!transpose.hasPureTensorSemantics())
        continue;
      // The producer writing the transposed layout leaves every consumer
      // as it was: the optimizer's update of a weight whose gradient comes
      // transposed out of its matmul still reads all its operands alike, so
      // that it joins the other updates in one launch (dl-merge-horizontal).
      if (foldIntoProducer(rewriter, transpose))
        continue;
      Value result = transpose->getResult(0);
      // Each consumer once (one may read the transpose twice, and
      // generalising replaces it). A transpose of it is left alone: it is
      // on the list, and folds into its own consumers.
      llvm::SetVector<Operation *> consumers;
      for (OpOperand &use : result.getUses()) {
        auto consumer = dyn_cast<linalg::LinalgOp>(use.getOwner());
        if (consumer && !isa<linalg::TransposeOp>(use.getOwner()) &&
            consumer.hasPureTensorSemantics() && consumer.isDpsInput(&use))
          consumers.insert(consumer);
      }
      for (Operation *consumer : consumers) {
        auto generic = dyn_cast<linalg::GenericOp>(consumer);
        if (!generic) {
          rewriter.setInsertionPoint(consumer);
          FailureOr<linalg::GenericOp> g = dlc::fusion::generalizeKeepingPlan(
              rewriter, cast<linalg::LinalgOp>(consumer));
          if (failed(g))
            continue;
          generic = *g;
        }
        SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
        for (OpOperand *input : generic.getDpsInputOperands()) {
          if (input->get() != result)
            continue;
          unsigned i = input->getOperandNumber();
          maps[i] = throughTranspose(maps[i], transpose.getPermutation());
          input->set(transpose.getInput());
        }
        generic.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      }
      if (result.use_empty())
        rewriter.eraseOp(transpose);
    }
  }
};

} // namespace
