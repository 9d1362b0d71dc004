//===- NNLowering.cpp - convolution, pooling and one_hot ------------------===//
//
// Convolution: pad once outside the conv (tensor.pad), start the output from
// the broadcast bias (or zero), then `linalg.conv_2d_nchw_fchw`; grouped
// convolutions reshape to `linalg.conv_2d_ngchw_gfchw` and back. Pooling:
// pad with the combiner's identity, then `linalg.pooling_nchw_max` or
// `pooling_nchw_sum` divided by the window size (PyTorch's default
// count_include_pad). one_hot: a generic comparing each label with the class
// index.
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

/// Pads the two spatial dimensions of an NCHW tensor by `pad` on each side.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> pad,
                 Value padValue) {
  if (pad[0] == 0 && pad[1] == 0)
    return x;
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += 2 * pad[0];
  shape[3] += 2 * pad[1];
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(pad[0]),
                                   b.getIndexAttr(pad[1])};
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x, low, low,
      padValue);
}

/// The output tensor of a conv: the bias broadcast over [N, F, OH, OW], or 0.
Value convInit(OpBuilder &b, Location loc, RankedTensorType type, Value batch,
               Value bias) {
  SmallVector<Value> dyn;
  if (type.isDynamicDim(0))
    dyn.push_back(batch);
  Value empty = emptyTensor(b, loc, type, dyn);
  if (!bias) {
    Value zero = scalarConstant(b, loc, type.getElementType(), 0);
    return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  }
  MLIRContext *ctx = b.getContext();
  AffineMap biasMap = AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx);
  SmallVector<utils::IteratorType> it(4, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{bias}, ValueRange{empty},
             SmallVector<AffineMap>{biasMap, b.getMultiDimIdentityMap(4)}, it,
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

struct Conv2dLowering : OpConversionPattern<Conv2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    Type elem = outType.getElementType();
    Value x = adaptor.getInput(), w = adaptor.getFilter();
    Value batch = tensor::DimOp::create(rewriter, loc, x, 0);
    x = padSpatial(rewriter, loc, x, op.getPadding(),
                   scalarConstant(rewriter, loc, elem, 0));
    Value init = convInit(rewriter, loc, outType, batch, adaptor.getBias());
    auto strides = rewriter.getI64VectorAttr(op.getStride());
    auto dilations = rewriter.getI64VectorAttr(op.getDilation());
    int64_t g = op.getGroups();
    if (g == 1) {
      auto conv = linalg::Conv2DNchwFchwOp::create(
          rewriter, loc, TypeRange{outType}, ValueRange{x, w}, ValueRange{init},
          strides, dilations);
      rewriter.replaceOp(op, conv->getResults());
      return success();
    }
    // Grouped: [N, G*C, H, W] -> [N, G, C, H, W]; [G*F, C, KH, KW] ->
    // [G, F, C, KH, KW]; the output [N, G, F, OH, OW] collapses back.
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(w.getType());
    auto expand = [&](Value v, RankedTensorType t, int64_t splitDim) {
      SmallVector<int64_t> shape;
      SmallVector<OpFoldResult> sizes;
      SmallVector<ReassociationIndices> groups;
      for (int64_t d = 0, r = 0; d < t.getRank(); ++d) {
        if (d == splitDim) {
          shape.append({g, t.getDimSize(d) / g});
          sizes.append({rewriter.getIndexAttr(g),
                        rewriter.getIndexAttr(t.getDimSize(d) / g)});
          groups.push_back({r, r + 1});
          r += 2;
          continue;
        }
        shape.push_back(t.getDimSize(d));
        sizes.push_back(dimSize(rewriter, loc, v, d));
        groups.push_back({r++});
      }
      return tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get(shape, t.getElementType()), v,
          groups, sizes);
    };
    Value xg = expand(x, xType, 1);
    Value wg = expand(w, wType, 0);
    Value initG = expand(init, outType, 1);
    auto conv = linalg::Conv2DNgchwGfchwOp::create(
        rewriter, loc, TypeRange{initG.getType()}, ValueRange{xg, wg},
        ValueRange{initG}, strides, dilations);
    SmallVector<ReassociationIndices> back = {{0}, {1, 2}, {3}, {4}};
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, outType, conv->getResult(0), back);
    return success();
  }
};

template <typename OpT> struct Pool2dLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  using OpAdaptor = typename OpT::Adaptor;
  static constexpr bool isMax = std::is_same_v<OpT, MaxPool2dOp>;

  LogicalResult
  matchAndRewrite(OpT op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    auto elem = cast<FloatType>(outType.getElementType());
    Value x = adaptor.getInput();
    Value batch = tensor::DimOp::create(rewriter, loc, x, 0);
    Value start =
        isMax ? Value(arith::ConstantOp::create(
                    rewriter, loc,
                    rewriter.getFloatAttr(
                        elem, APFloat::getInf(elem.getFloatSemantics(), true))))
              : scalarConstant(rewriter, loc, elem, 0);
    x = padSpatial(rewriter, loc, x, op.getPadding(), start);
    SmallVector<Value> dyn;
    if (outType.isDynamicDim(0))
      dyn.push_back(batch);
    Value init =
        linalg::FillOp::create(rewriter, loc, start,
                               emptyTensor(rewriter, loc, outType, dyn))
            .getResult(0);
    ArrayRef<int64_t> k = op.getKernel();
    Value window = tensor::EmptyOp::create(rewriter, loc, k, elem);
    auto strides = rewriter.getI64VectorAttr(op.getStride());
    auto dilations = rewriter.getI64VectorAttr({1, 1});
    Value pooled;
    if constexpr (isMax)
      pooled = linalg::PoolingNchwMaxOp::create(
                   rewriter, loc, TypeRange{outType}, ValueRange{x, window},
                   ValueRange{init}, strides, dilations)
                   ->getResult(0);
    else
      pooled = linalg::PoolingNchwSumOp::create(
                   rewriter, loc, TypeRange{outType}, ValueRange{x, window},
                   ValueRange{init}, strides, dilations)
                   ->getResult(0);
    if constexpr (!isMax) {
      Value count = scalarConstant(rewriter, loc, elem, double(k[0] * k[1]));
      AffineMap id = rewriter.getMultiDimIdentityMap(4);
      SmallVector<utils::IteratorType> it(4, utils::IteratorType::parallel);
      pooled =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{outType}, ValueRange{pooled},
              ValueRange{emptyTensor(rewriter, loc, outType, dyn)},
              SmallVector<AffineMap>{id, id}, it,
              [count](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l, Value(arith::DivFOp::create(b, l, args[0], count)));
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, pooled);
    return success();
  }
};

struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value labels = adaptor.getLabels();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = outType.getRank();
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < rank - 1; ++d)
      if (outType.isDynamicDim(d))
        dyn.push_back(tensor::DimOp::create(rewriter, loc, labels, d));
    Value init = emptyTensor(rewriter, loc, outType, dyn);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> labelExprs;
    for (int64_t d = 0; d < rank - 1; ++d)
      labelExprs.push_back(getAffineDimExpr(d, ctx));
    AffineMap labelMap = AffineMap::get(rank, 0, labelExprs, ctx);
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
    Type elem = outType.getElementType();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{labels}, ValueRange{init},
        SmallVector<AffineMap>{labelMap, rewriter.getMultiDimIdentityMap(rank)},
        it, [&](OpBuilder &b, Location l, ValueRange args) {
          Value cls = linalg::IndexOp::create(b, l, rank - 1);
          Value clsInt =
              arith::IndexCastOp::create(b, l, args[0].getType(), cls);
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            args[0], clsInt);
          Value one = scalarConstant(b, l, elem, 1);
          Value zero = scalarConstant(b, l, elem, 0);
          linalg::YieldOp::create(
              b, l, Value(arith::SelectOp::create(b, l, hit, one, zero)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// A generic over [..., D] reading the index, clamping it for a safe
/// tensor.extract, and yielding NaN when it was out of range.
struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = adaptor.getTable(), ids = adaptor.getIndices();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = outType.getRank();
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < rank; ++d)
      if (outType.isDynamicDim(d))
        dyn.push_back(
            d == rank - 1
                ? Value(tensor::DimOp::create(rewriter, loc, table, 1))
                : Value(tensor::DimOp::create(rewriter, loc, ids, d)));
    Value init = emptyTensor(rewriter, loc, outType, dyn);
    Value rows = tensor::DimOp::create(rewriter, loc, table, 0);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> idExprs;
    for (int64_t d = 0; d < rank - 1; ++d)
      idExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
    auto elem = cast<FloatType>(outType.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{ids}, ValueRange{init},
        SmallVector<AffineMap>{AffineMap::get(rank, 0, idExprs, ctx),
                               rewriter.getMultiDimIdentityMap(rank)},
        it, [&](OpBuilder &b, Location l, ValueRange args) {
          Value id =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value last = arith::SubIOp::create(
              b, l, rows, arith::ConstantIndexOp::create(b, l, 1));
          Value inRange = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, id, zero),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, id, rows));
          Value safe = arith::MinSIOp::create(
              b, l, arith::MaxSIOp::create(b, l, id, zero), last);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          Value v =
              tensor::ExtractOp::create(b, l, table, ValueRange{safe, col});
          Value nan = arith::ConstantOp::create(
              b, l,
              b.getFloatAttr(elem, APFloat::getNaN(elem.getFloatSemantics())));
          linalg::YieldOp::create(
              b, l, Value(arith::SelectOp::create(b, l, inRange, v, nan)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void dl::populateNNLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2dLowering, Pool2dLowering<MaxPool2dOp>,
               Pool2dLowering<AvgPool2dOp>, OneHotLowering, EmbeddingLowering>(
      patterns.getContext());
}
