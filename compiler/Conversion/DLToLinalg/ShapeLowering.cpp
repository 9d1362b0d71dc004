//===- ShapeLowering.cpp - dl.reshape and dl.transpose --------------------===//
//
// Reshape becomes `tensor.reshape` with a shape tensor whose one dynamic
// entry is the element count divided by the static sizes (a view after
// bufferization, no copy). Transpose becomes `linalg.transpose`.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/DLToLinalg/Patterns.h"
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::dl;

namespace {

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Value total = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (int64_t d = 0; d < inType.getRank(); ++d)
      total = arith::MulIOp::create(
          rewriter, loc, total, tensor::DimOp::create(rewriter, loc, input, d));
    int64_t staticProduct = 1;
    for (int64_t d : outType.getShape())
      if (!ShapedType::isDynamic(d))
        staticProduct *= d;
    SmallVector<Value> sizes;
    for (int64_t d : outType.getShape()) {
      if (!ShapedType::isDynamic(d)) {
        sizes.push_back(arith::ConstantIndexOp::create(rewriter, loc, d));
        continue;
      }
      Value divisor =
          arith::ConstantIndexOp::create(rewriter, loc, staticProduct);
      sizes.push_back(arith::DivUIOp::create(rewriter, loc, total, divisor));
    }
    auto shapeType =
        RankedTensorType::get({outType.getRank()}, rewriter.getIndexType());
    Value shape =
        tensor::FromElementsOp::create(rewriter, loc, shapeType, sizes);
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, outType, input, shape);
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto outType = cast<RankedTensorType>(op.getType());
    SmallVector<Value> dynSizes;
    ArrayRef<int64_t> perm = op.getPermutation();
    for (int64_t d = 0; d < outType.getRank(); ++d)
      if (outType.isDynamicDim(d))
        dynSizes.push_back(
            tensor::DimOp::create(rewriter, loc, input, perm[d]));
    Value init = emptyTensor(rewriter, loc, outType, dynSizes);
    auto t = linalg::TransposeOp::create(rewriter, loc, input, init, perm);
    rewriter.replaceOp(op, t->getResults());
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    auto axis = static_cast<int64_t>(op.getAxis());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      bool cut = d == axis;
      offsets.push_back(rewriter.getIndexAttr(cut ? op.getStart() : 0));
      sizes.push_back(cut ? rewriter.getIndexAttr(op.getEnd() - op.getStart())
                          : dimSize(rewriter, loc, input, d));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, cast<RankedTensorType>(op.getType()), input, offsets, sizes,
        strides);
    return success();
  }
};

/// Concat writes each input into its slot of one destination tensor.
struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto axis = static_cast<int64_t>(op.getAxis());
    ValueRange inputs = adaptor.getInputs();
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dyn.push_back(tensor::DimOp::create(rewriter, loc, inputs[0], d));
    Value result = emptyTensor(rewriter, loc, type, dyn);
    int64_t offset = 0;
    for (Value v : inputs) {
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        offsets.push_back(rewriter.getIndexAttr(d == axis ? offset : 0));
        sizes.push_back(dimSize(rewriter, loc, v, d));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      result = tensor::InsertSliceOp::create(rewriter, loc, v, result, offsets,
                                             sizes, strides);
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A generic reading the input without the broadcast axes (after dropping
/// them when they are kept as size 1).
struct BroadcastToLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), like = adaptor.getLike();
    auto outType = cast<RankedTensorType>(op.getType());
    auto inType = cast<RankedTensorType>(input.getType());
    ArrayRef<int64_t> axes = op.getAxes();
    int64_t rank = outType.getRank();
    if (inType.getRank() == rank && !axes.empty()) {
      // Drop the kept size-1 axes: group each with a neighbour.
      SmallVector<ReassociationIndices> groups;
      ReassociationIndices pending;
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d < rank; ++d) {
        pending.push_back(d);
        if (llvm::is_contained(axes, d))
          continue;
        groups.push_back(pending);
        pending.clear();
        shape.push_back(inType.getDimSize(d));
      }
      if (!groups.empty())
        groups.back().append(pending.begin(), pending.end());
      input = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get(shape, inType.getElementType()),
          input, groups);
    }
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> exprs;
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < rank; ++d) {
      if (!llvm::is_contained(axes, d))
        exprs.push_back(getAffineDimExpr(d, ctx));
      if (outType.isDynamicDim(d))
        dyn.push_back(tensor::DimOp::create(rewriter, loc, like, d));
    }
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{input},
        ValueRange{emptyTensor(rewriter, loc, outType, dyn)},
        SmallVector<AffineMap>{AffineMap::get(rank, 0, exprs, ctx),
                               rewriter.getMultiDimIdentityMap(rank)},
        it, [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void dl::populateShapeLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, SliceLowering,
               ConcatLowering, BroadcastToLowering>(patterns.getContext());
}
