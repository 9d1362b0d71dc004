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
    // The log-probabilities first: the product's batch extent is read off
    // them, as every other extent of the computation is (the labels' equal
    // extent is another value; nests over it would not fuse).
    Value picked = MulOp::create(rewriter, loc, logp, oneHot);
    Value perRow = ReduceSumOp::create(
        rewriter, loc, picked, rewriter.getDenseI64ArrayAttr({1}), nullptr);
    Value mean = ReduceMeanOp::create(
        rewriter, loc, perRow, rewriter.getDenseI64ArrayAttr({0}), nullptr);
    rewriter.replaceOpWithNewOp<NegOp>(op, mean);
    return success();
  }
};

/// Eval mode: the running statistics; training mode: the batch's, and the
/// running statistics move towards them (PyTorch's update, unbiased
/// variance). Statistics are [1, C, 1, ...] during the computation so they
/// broadcast against the input.
struct DecomposeBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    Type elem = xType.getElementType();
    int64_t c = xType.getDimSize(1);
    SmallVector<int64_t> statShape(xType.getRank(), 1), axes;
    statShape[1] = c;
    for (int64_t d = 0; d < xType.getRank(); ++d)
      if (d != 1)
        axes.push_back(d);
    auto statType = RankedTensorType::get(statShape, elem);
    auto flatType = cast<RankedTensorType>(op.getRunningMean().getType());
    auto toStat = [&](Value v) -> Value {
      return ReshapeOp::create(rewriter, loc, statType, v);
    };
    auto k = [&](double v) { return scalarTensor(rewriter, loc, elem, v); };
    Value mean, var, newMean = op.getRunningMean(), newVar = op.getRunningVar();
    Value centred;
    if (!op.getTraining()) {
      mean = toStat(op.getRunningMean());
      var = toStat(op.getRunningVar());
      centred = SubOp::create(rewriter, loc, x, mean);
    } else {
      auto axesAttr = rewriter.getDenseI64ArrayAttr(axes);
      mean = ReduceMeanOp::create(rewriter, loc, x, axesAttr,
                                  rewriter.getUnitAttr());
      centred = SubOp::create(rewriter, loc, x, mean);
      var = ReduceMeanOp::create(rewriter, loc,
                                 MulOp::create(rewriter, loc, centred, centred),
                                 axesAttr, rewriter.getUnitAttr());
      double m = op.getMomentum().convertToDouble();
      Value n = NumelOp::create(rewriter, loc, x, axesAttr);
      Value unbias = DivOp::create(rewriter, loc, n,
                                   SubOp::create(rewriter, loc, n, k(1)));
      auto blend = [&](Value running, Value batch) -> Value {
        Value flat = ReshapeOp::create(rewriter, loc, flatType, batch);
        return AddOp::create(rewriter, loc,
                             MulOp::create(rewriter, loc, running, k(1 - m)),
                             MulOp::create(rewriter, loc, flat, k(m)));
      };
      newMean = blend(op.getRunningMean(), mean);
      newVar =
          blend(op.getRunningVar(), MulOp::create(rewriter, loc, var, unbias));
    }
    Value inv = RsqrtOp::create(
        rewriter, loc,
        AddOp::create(rewriter, loc, var, k(op.getEps().convertToDouble())));
    Value y = MulOp::create(rewriter, loc, centred, inv);
    y = MulOp::create(rewriter, loc, y, toStat(op.getWeight()));
    y = AddOp::create(rewriter, loc, y, toStat(op.getBias()));
    rewriter.replaceOp(op, {y, newMean, newVar});
    return success();
  }
};

/// Eval mode: the identity; training mode: x * (u >= p) / (1 - p).
struct DecomposeDropout : OpRewritePattern<DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rewriter) const override {
    double p = op.getP().convertToDouble();
    Value x = op.getInput();
    if (!op.getKey() || p == 0) {
      rewriter.replaceOp(op, x);
      return success();
    }
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(x.getType());
    Type elem = type.getElementType();
    Value u = RandomUniformOp::create(rewriter, loc, type, op.getKey(), x,
                                      op.getStreamAttr());
    Value keep = CompareOp::create(rewriter, loc, "ge", u,
                                   scalarTensor(rewriter, loc, elem, p));
    Value mask = ConvertOp::create(rewriter, loc, type, keep);
    Value scaled =
        MulOp::create(rewriter, loc, mask,
                      scalarTensor(rewriter, loc, elem, 1.0 / (1.0 - p)));
    rewriter.replaceOpWithNewOp<MulOp>(op, x, scaled);
    return success();
  }
};

struct DLDecomposePass : dl::impl::DLDecomposeBase<DLDecomposePass> {
  using DLDecomposeBase::DLDecomposeBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Batch norm and dropout are differentiated through their expansions.
    patterns.add<DecomposeBatchNorm, DecomposeDropout>(&getContext());
    // These have derivative rules (VJPOpInterface) of their own.
    if (!keepDifferentiable)
      patterns
          .add<DecomposeSoftmax, DecomposeLogSoftmax, DecomposeCrossEntropy>(
              &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
