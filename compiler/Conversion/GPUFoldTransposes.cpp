//===- GPUFoldTransposes.cpp - read operands through transposed maps ------===//
//
// A linalg.transpose feeding a linalg op is a copy that exists only so that
// the consumer reads its operand in another order: on the GPU a launch of
// its own and a pass over memory. Every linalg consumer that takes the
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
