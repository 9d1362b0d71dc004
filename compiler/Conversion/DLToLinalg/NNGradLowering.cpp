//===- NNGradLowering.cpp - adjoints of convolution and pooling -----------===//
//
// The adjoint ops are generics over the forward op's iteration space. The
// input adjoints scatter into a zero-initialised padded buffer (the output
// map is the window's affine position, so several iterations accumulate into
// one element; sequential lowering makes that a plain accumulation), from
// which the unpadded part is sliced. Windows that no operand spans directly
// get a shape-only `tensor.empty [KH, KW]` operand, as linalg's pooling ops
// do, so loop bounds can be inferred.
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

using utils::IteratorType;

Value pad(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> p, Value v) {
  if (p[0] == 0 && p[1] == 0)
    return x;
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(t.getShape());
  shape[2] += 2 * p[0];
  shape[3] += 2 * p[1];
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(p[0]), b.getIndexAttr(p[1])};
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), x, low, low, v);
}

/// A zero-filled [N, C, H + 2ph, W + 2pw] buffer for a scattered adjoint.
Value paddedZeros(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<int64_t> p, Value batchFrom) {
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += 2 * p[0];
  shape[3] += 2 * p[1];
  auto padded = RankedTensorType::get(shape, type.getElementType());
  SmallVector<Value> dyn;
  if (padded.isDynamicDim(0))
    dyn.push_back(tensor::DimOp::create(b, loc, batchFrom, 0));
  Value zero = scalarConstant(b, loc, type.getElementType(), 0);
  return linalg::FillOp::create(b, loc, zero, emptyTensor(b, loc, padded, dyn))
      .getResult(0);
}

/// The unpadded interior of a scattered adjoint.
Value unpad(OpBuilder &b, Location loc, Value padded, RankedTensorType type,
            ArrayRef<int64_t> p) {
  if (p[0] == 0 && p[1] == 0)
    return padded;
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(p[0]),
                                       b.getIndexAttr(p[1])};
  SmallVector<OpFoldResult> sizes = {
      dimSize(b, loc, padded, 0), b.getIndexAttr(type.getDimSize(1)),
      b.getIndexAttr(type.getDimSize(2)), b.getIndexAttr(type.getDimSize(3))};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, type, padded, offsets, sizes,
                                        strides);
}

Value mulAdd(OpBuilder &b, Location l, Value acc, Value x, Value y) {
  return arith::AddFOp::create(b, l, acc, arith::MulFOp::create(b, l, x, y));
}

struct ConvFilterGradLowering : OpConversionPattern<Conv2dFilterGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2dFilterGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType();
    Value x = pad(rewriter, loc, adaptor.getInput(), op.getPadding(),
                  scalarConstant(rewriter, loc, elem, 0));
    int64_t f = type.getDimSize(0), cg = type.getDimSize(1);
    int64_t fg = f / op.getGroups();
    ArrayRef<int64_t> s = op.getStride(), d = op.getDilation();
    MLIRContext *ctx = rewriter.getContext();
    auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // (f, c, kh, kw, n, oh, ow)
    // Ungrouped: the channel is just c (no `f floordiv F` term that would
    // make the input depend on the output channel, for dl-cpu-im2col).
    AffineExpr channel =
        op.getGroups() == 1 ? dim(1) : dim(0).floorDiv(fg) * cg + dim(1);
    AffineMap xMap =
        AffineMap::get(7, 0,
                       {dim(4), channel, dim(5) * s[0] + dim(2) * d[0],
                        dim(6) * s[1] + dim(3) * d[1]},
                       ctx);
    AffineMap gMap =
        AffineMap::get(7, 0, {dim(4), dim(0), dim(5), dim(6)}, ctx);
    AffineMap wMap =
        AffineMap::get(7, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx);
    Value init = linalg::FillOp::create(rewriter, loc,
                                        scalarConstant(rewriter, loc, elem, 0),
                                        emptyTensor(rewriter, loc, type, {}))
                     .getResult(0);
    SmallVector<IteratorType> it = {
        IteratorType::parallel,  IteratorType::parallel,
        IteratorType::parallel,  IteratorType::parallel,
        IteratorType::reduction, IteratorType::reduction,
        IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{x, adaptor.getGrad()},
        ValueRange{init}, SmallVector<AffineMap>{xMap, gMap, wMap}, it,
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l,
                                  mulAdd(b, l, args[2], args[0], args[1]));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct ConvInputGradLowering : OpConversionPattern<Conv2dInputGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2dInputGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value g = adaptor.getGrad(), w = adaptor.getFilter();
    auto wType = cast<RankedTensorType>(w.getType());
    int64_t cg = wType.getDimSize(1), fg = wType.getDimSize(0) / op.getGroups();
    ArrayRef<int64_t> s = op.getStride(), d = op.getDilation(),
                      p = op.getPadding();
    MLIRContext *ctx = rewriter.getContext();
    auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // (n, f, oh, ow, c, kh, kw)
    AffineMap gMap =
        AffineMap::get(7, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx);
    AffineMap wMap =
        AffineMap::get(7, 0, {dim(1), dim(4), dim(5), dim(6)}, ctx);
    AffineMap outMap = AffineMap::get(
        7, 0,
        {dim(0), dim(1).floorDiv(fg) * cg + dim(4),
         dim(2) * s[0] + dim(5) * d[0], dim(3) * s[1] + dim(6) * d[1]},
        ctx);
    Value init = paddedZeros(rewriter, loc, type, p, g);
    SmallVector<IteratorType> it = {
        IteratorType::parallel,  IteratorType::reduction,
        IteratorType::reduction, IteratorType::reduction,
        IteratorType::parallel,  IteratorType::reduction,
        IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{g, w},
        ValueRange{init}, SmallVector<AffineMap>{gMap, wMap, outMap}, it,
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l,
                                  mulAdd(b, l, args[2], args[0], args[1]));
        });
    rewriter.replaceOp(op, unpad(rewriter, loc, generic.getResult(0), type, p));
    return success();
  }
};

struct Pool2dGradLowering : OpConversionPattern<Pool2dGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Pool2dGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto elem = cast<FloatType>(type.getElementType());
    Value x = adaptor.getInput(), g = adaptor.getGrad();
    auto gType = cast<RankedTensorType>(g.getType());
    ArrayRef<int64_t> k = op.getKernel(), s = op.getStride(),
                      p = op.getPadding();
    MLIRContext *ctx = rewriter.getContext();
    auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // (n, c, oh, ow, kh, kw)
    AffineMap windowPos = AffineMap::get(
        6, 0, {dim(0), dim(1), dim(2) * s[0] + dim(4), dim(3) * s[1] + dim(5)},
        ctx);
    AffineMap outPos =
        AffineMap::get(6, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx);
    AffineMap kernel = AffineMap::get(6, 0, {dim(4), dim(5)}, ctx);
    Value window = tensor::EmptyOp::create(rewriter, loc, k, elem);
    SmallVector<IteratorType> scatterIt = {
        IteratorType::parallel,  IteratorType::parallel,
        IteratorType::reduction, IteratorType::reduction,
        IteratorType::reduction, IteratorType::reduction};
    Value init = paddedZeros(rewriter, loc, type, p, x);
    Value scattered;
    if (op.getKind() == "avg") {
      Value inv =
          scalarConstant(rewriter, loc, elem, 1.0 / double(k[0] * k[1]));
      scattered =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{init.getType()}, ValueRange{g, window},
              ValueRange{init},
              SmallVector<AffineMap>{outPos, kernel, windowPos}, scatterIt,
              [inv](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(b, l,
                                        mulAdd(b, l, args[2], args[0], inv));
              })
              .getResult(0);
    } else {
      // First pass: the flat index (kh * KW + kw) of each window's first
      // maximum; second pass: scatter the gradient there. The index is i32
      // (a window position): as wide as the f32 values, so the argmax's
      // vectors of both hold the same lanes, and half the memory of i64.
      Value lowest = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getFloatAttr(
              elem, APFloat::getInf(elem.getFloatSemantics(), true)));
      Value xp = pad(rewriter, loc, x, p, lowest);
      SmallVector<Value> dyn;
      // The batch from the forward input, not from the gradient: then the
      // argmax can move into the forward pass, where the max-pooling of the
      // same input becomes its first result (dl-plan-fusion).
      if (gType.isDynamicDim(0))
        dyn.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
      Value best =
          linalg::FillOp::create(rewriter, loc, lowest,
                                 emptyTensor(rewriter, loc, gType, dyn))
              .getResult(0);
      auto idxType =
          RankedTensorType::get(gType.getShape(), rewriter.getI32Type());
      Value idx = linalg::FillOp::create(
                      rewriter, loc,
                      scalarConstant(rewriter, loc, rewriter.getI32Type(), 0),
                      emptyTensor(rewriter, loc, idxType, dyn))
                      .getResult(0);
      int64_t kw = k[1];
      SmallVector<IteratorType> reduceIt = {
          IteratorType::parallel,  IteratorType::parallel,
          IteratorType::parallel,  IteratorType::parallel,
          IteratorType::reduction, IteratorType::reduction};
      auto argmax = linalg::GenericOp::create(
          rewriter, loc, TypeRange{gType, idxType}, ValueRange{xp, window},
          ValueRange{best, idx},
          SmallVector<AffineMap>{windowPos, kernel, outPos, outPos}, reduceIt,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value v = args[0], cur = args[2], curIdx = args[3];
            Value flat = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 4),
                                      arith::ConstantIndexOp::create(b, l, kw)),
                linalg::IndexOp::create(b, l, 5));
            Value flat32 =
                arith::IndexCastOp::create(b, l, b.getI32Type(), flat);
            // Take v if it is larger, or the first NaN: v > cur or v is
            // NaN (unordered-greater), unless cur is already NaN.
            Value take = arith::AndIOp::create(
                b, l,
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::UGT, v, cur),
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::ORD, cur,
                                      cur));
            linalg::YieldOp::create(
                b, l,
                ValueRange{
                    arith::SelectOp::create(b, l, take, v, cur),
                    arith::SelectOp::create(b, l, take, flat32, curIdx)});
          });
      scattered =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{init.getType()},
              ValueRange{g, argmax.getResult(1), window}, ValueRange{init},
              SmallVector<AffineMap>{outPos, outPos, kernel, windowPos},
              scatterIt,
              [&](OpBuilder &b, Location l, ValueRange args) {
                Value flat = arith::AddIOp::create(
                    b, l,
                    arith::MulIOp::create(
                        b, l, linalg::IndexOp::create(b, l, 4),
                        arith::ConstantIndexOp::create(b, l, kw)),
                    linalg::IndexOp::create(b, l, 5));
                Value flat32 =
                    arith::IndexCastOp::create(b, l, b.getI32Type(), flat);
                Value hit = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::eq, flat32, args[1]);
                Value sum = arith::AddFOp::create(b, l, args[3], args[0]);
                linalg::YieldOp::create(
                    b, l,
                    Value(arith::SelectOp::create(b, l, hit, sum, args[3])));
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, unpad(rewriter, loc, scattered, type, p));
    return success();
  }
};

} // namespace

void dl::populateNNGradLoweringPatterns(RewritePatternSet &patterns) {
  patterns
      .add<ConvFilterGradLowering, ConvInputGradLowering, Pool2dGradLowering>(
          patterns.getContext());
}
