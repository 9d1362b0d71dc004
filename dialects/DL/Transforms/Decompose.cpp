//===- Decompose.cpp - expand composite dl ops ----------------------------===//
#include "dialects/DL/IR/DLOps.h"
#include "dialects/DL/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLDECOMPOSE
#include "dialects/DL/Transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// x - max(x) along `axis`, keeping dims for broadcasting.
Value shiftByMax(PatternRewriter &rewriter, Location loc, Value x,
                 int64_t axis) {
  Value max = ReduceMaxOp::create(rewriter, loc, x,
                                  rewriter.getDenseI64ArrayAttr({axis}),
                                  rewriter.getUnitAttr());
  return SubOp::create(rewriter, loc, x, max);
}

Value sumKeep(PatternRewriter &rewriter, Location loc, Value x, int64_t axis) {
  return ReduceSumOp::create(rewriter, loc, x,
                             rewriter.getDenseI64ArrayAttr({axis}),
                             rewriter.getUnitAttr());
}

struct DecomposeSoftmax : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value e = ExpOp::create(rewriter, loc,
                            shiftByMax(rewriter, loc, op.getInput(), axis));
    rewriter.replaceOpWithNewOp<DivOp>(op, e, sumKeep(rewriter, loc, e, axis));
    return success();
  }
};

struct DecomposeLogSoftmax : OpRewritePattern<LogSoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogSoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value z = shiftByMax(rewriter, loc, op.getInput(), axis);
    Value lse = LogOp::create(
        rewriter, loc,
        sumKeep(rewriter, loc, ExpOp::create(rewriter, loc, z), axis));
    rewriter.replaceOpWithNewOp<SubOp>(op, z, lse);
    return success();
  }
};

struct DecomposeCrossEntropy : OpRewritePattern<CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto logitsType = cast<RankedTensorType>(op.getLogits().getType());
    Value logp = LogSoftmaxOp::create(rewriter, loc, op.getLogits(),
                                      rewriter.getI64IntegerAttr(1));
    Value oneHot = OneHotOp::create(rewriter, loc, logitsType, op.getLabels());
    Value picked = MulOp::create(rewriter, loc, oneHot, logp);
    Value perRow = ReduceSumOp::create(
        rewriter, loc, picked, rewriter.getDenseI64ArrayAttr({1}), nullptr);
    Value mean = ReduceMeanOp::create(
        rewriter, loc, perRow, rewriter.getDenseI64ArrayAttr({0}), nullptr);
    rewriter.replaceOpWithNewOp<NegOp>(op, mean);
    return success();
  }
};

struct DLDecomposePass : dl::impl::DLDecomposeBase<DLDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeSoftmax, DecomposeLogSoftmax, DecomposeCrossEntropy>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
