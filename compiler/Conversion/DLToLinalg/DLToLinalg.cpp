//===- DLToLinalg.cpp - lower dl ops to linalg on tensors -----------------===//
//
// One conversion pattern per dl op. Broadcasting is made explicit here: an
// operand whose static size-1 dimensions stretch is collapsed so that every
// indexing map is a projected permutation, which keeps the generics friendly
// to elementwise fusion, tiling and vectorisation downstream.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/DLToLinalg/Patterns.h"
#include "compiler/Conversion/Passes.h"
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::dl {
#define GEN_PASS_DEF_CONVERTDLTOLINALG
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// Lowers a broadcasting binary op; `FloatOp` or `IntOp` computes the
/// element, by the element type (IntOp = void: floats only).
template <typename DLOp, typename FloatOp, typename IntOp>
struct BroadcastBinaryLowering : OpConversionPattern<DLOp> {
  using OpConversionPattern<DLOp>::OpConversionPattern;
  using OpAdaptor = typename DLOp::Adaptor;

  LogicalResult
  matchAndRewrite(DLOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    BroadcastOperand a = prepareOperand(rewriter, loc, lhs, resultType);
    BroadcastOperand b = prepareOperand(rewriter, loc, rhs, resultType);
    SmallVector<Value> sizes =
        dynamicResultSizes(rewriter, loc, resultType, {lhs, rhs});
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType(), sizes);
    int64_t rank = resultType.getRank();
    SmallVector<AffineMap> maps = {a.map, b.map,
                                   rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{a.value, b.value},
        ValueRange{init}, maps, iterators,
        [](OpBuilder &nb, Location nloc, ValueRange args) {
          Value r;
          if constexpr (std::is_void_v<IntOp>)
            r = FloatOp::create(nb, nloc, args[0], args[1]);
          else if (isa<FloatType>(args[0].getType()))
            r = FloatOp::create(nb, nloc, args[0], args[1]);
          else
            r = IntOp::create(nb, nloc, args[0], args[1]);
          linalg::YieldOp::create(nb, nloc, r);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// A zero-filled accumulator of the product's type; dynamic sizes come from
/// the operand that carries each dimension.
Value productInit(OpBuilder &b, Location loc, RankedTensorType type, Value lhs,
                  Value rhs) {
  int64_t rank = type.getRank();
  auto l = cast<RankedTensorType>(lhs.getType());
  auto r = cast<RankedTensorType>(rhs.getType());
  SmallVector<Value> dyn;
  for (int64_t d = 0; d < rank; ++d) {
    if (!type.isDynamicDim(d))
      continue;
    if (d == rank - 1)
      dyn.push_back(tensor::DimOp::create(b, loc, rhs, r.getRank() - 1));
    else if (l.isDynamicDim(d))
      dyn.push_back(tensor::DimOp::create(b, loc, lhs, d));
    else
      dyn.push_back(tensor::DimOp::create(b, loc, rhs, d));
  }
  Value zero = scalarConstant(b, loc, type.getElementType(), 0);
  return linalg::FillOp::create(b, loc, zero, emptyTensor(b, loc, type, dyn))
      .getResult(0);
}

/// Lowers dl.matmul without reshapes: linalg.matmul for matrices,
/// linalg.batch_matmul for rank-3 batches, and otherwise a contraction
/// generic whose maps read the batch dimensions directly (reshaping dynamic
/// batch dimensions in and out would only be undone by fusion).
struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    int64_t rank = type.getRank();
    int64_t rr = cast<RankedTensorType>(rhs.getType()).getRank();
    Value init = productInit(rewriter, loc, type, lhs, rhs);
    Value product;
    // x @ transpose(W) (every Linear layer): read W through a transposed
    // map instead of materialising the transpose; the transpose then dies.
    auto transposed = rhs.getDefiningOp<linalg::TransposeOp>();
    bool rhsTransposed = rank == 2 && rr == 2 && transposed &&
                         transposed.getPermutation() == ArrayRef<int64_t>{1, 0};
    if (rhsTransposed) {
      MLIRContext *ctx = rewriter.getContext();
      auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      // (m, n, k): x[m, k] * W[n, k] -> y[m, n]
      SmallVector<AffineMap> maps = {
          AffineMap::get(3, 0, {dim(0), dim(2)}, ctx),
          AffineMap::get(3, 0, {dim(1), dim(2)}, ctx),
          AffineMap::get(3, 0, {dim(0), dim(1)}, ctx)};
      // A named matmul with explicit maps (not a generic), so elementwise
      // fusion keeps the bias/activation as an epilogue instead of
      // recomputing it inside the contraction.
      SmallVector<Attribute> mapAttrs;
      for (AffineMap m : maps)
        mapAttrs.push_back(AffineMapAttr::get(m));
      product = linalg::MatmulOp::create(
                    rewriter, loc, TypeRange{type},
                    ValueRange{lhs, transposed.getInput()}, ValueRange{init},
                    {rewriter.getNamedAttr("indexing_maps",
                                           rewriter.getArrayAttr(mapAttrs))})
                    ->getResult(0);
    } else if (rank == 2) {
      product = linalg::MatmulOp::create(rewriter, loc, TypeRange{type},
                                         ValueRange{lhs, rhs}, ValueRange{init})
                    ->getResult(0);
    } else if (rank == 3 && rr == 3) {
      product =
          linalg::BatchMatmulOp::create(rewriter, loc, TypeRange{type},
                                        ValueRange{lhs, rhs}, ValueRange{init})
              ->getResult(0);
    } else {
      // Iteration space (batch..., m, n, k).
      MLIRContext *ctx = rewriter.getContext();
      int64_t n = rank + 1;
      auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
      SmallVector<AffineExpr> a, b, c;
      for (int64_t d = 0; d < rank - 2; ++d) {
        a.push_back(dim(d));
        c.push_back(dim(d));
        if (rr > 2)
          b.push_back(dim(d));
      }
      a.append({dim(rank - 2), dim(rank)});
      b.append({dim(rank), dim(rank - 1)});
      c.append({dim(rank - 2), dim(rank - 1)});
      SmallVector<AffineMap> maps = {AffineMap::get(n, 0, a, ctx),
                                     AffineMap::get(n, 0, b, ctx),
                                     AffineMap::get(n, 0, c, ctx)};
      SmallVector<utils::IteratorType> it(n, utils::IteratorType::parallel);
      it.back() = utils::IteratorType::reduction;
      product =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{type}, ValueRange{lhs, rhs},
              ValueRange{init}, maps, it,
              [](OpBuilder &nb, Location l, ValueRange args) {
                bool isFloat = isa<FloatType>(args[0].getType());
                Value p =
                    isFloat
                        ? Value(arith::MulFOp::create(nb, l, args[0], args[1]))
                        : Value(arith::MulIOp::create(nb, l, args[0], args[1]));
                Value sum =
                    isFloat ? Value(arith::AddFOp::create(nb, l, args[2], p))
                            : Value(arith::AddIOp::create(nb, l, args[2], p));
                linalg::YieldOp::create(nb, l, sum);
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, product);
    return success();
  }
};

/// Lowers a unary elementwise op to a linalg.generic whose body `BodyFn`
/// builds from the scalar input.
template <typename DLOp> struct UnaryLowering : OpConversionPattern<DLOp> {
  using OpConversionPattern<DLOp>::OpConversionPattern;
  using OpAdaptor = typename DLOp::Adaptor;
  using BodyFn = Value (*)(OpBuilder &, Location, Value);

  UnaryLowering(MLIRContext *ctx, BodyFn body)
      : OpConversionPattern<DLOp>(ctx), body(body) {}

  LogicalResult
  matchAndRewrite(DLOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput();
    SmallVector<Value> sizes = dynamicResultSizes(rewriter, loc, type, input);
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType(), sizes);
    AffineMap id = rewriter.getMultiDimIdentityMap(type.getRank());
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    BodyFn fn = body;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{input}, ValueRange{init},
        SmallVector<AffineMap>{id, id}, iterators,
        [fn](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(nb, nloc, fn(nb, nloc, args[0]));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }

  BodyFn body;
};

Value reluBody(OpBuilder &b, Location loc, Value x) {
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(x.getType()));
  if (!isa<FloatType>(x.getType()))
    return arith::MaxSIOp::create(b, loc, x, zero);
  // maximumf propagates NaN, matching torch.relu.
  return arith::MaximumFOp::create(b, loc, x, zero);
}

Value expBody(OpBuilder &b, Location loc, Value x) {
  return math::ExpOp::create(b, loc, x);
}
Value logBody(OpBuilder &b, Location loc, Value x) {
  return math::LogOp::create(b, loc, x);
}
Value sqrtBody(OpBuilder &b, Location loc, Value x) {
  return math::SqrtOp::create(b, loc, x);
}
Value rsqrtBody(OpBuilder &b, Location loc, Value x) {
  return math::RsqrtOp::create(b, loc, x);
}
Value tanhBody(OpBuilder &b, Location loc, Value x) {
  return math::TanhOp::create(b, loc, x);
}
Value absBody(OpBuilder &b, Location loc, Value x) {
  if (isa<FloatType>(x.getType()))
    return math::AbsFOp::create(b, loc, x);
  return math::AbsIOp::create(b, loc, x);
}
Value sigmoidBody(OpBuilder &b, Location loc, Value x) {
  // 1 / (1 + e^-x): for very negative x, e^-x overflows to +inf and the
  // result is exactly 0; for very positive x it is 1. No NaN either way.
  Value one = scalarConstant(b, loc, x.getType(), 1);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}
Value erfBody(OpBuilder &b, Location loc, Value x) {
  return math::ErfOp::create(b, loc, x);
}

Value geluBody(OpBuilder &b, Location loc, Value x) {
  // Exact GELU (torch.nn.functional.gelu's default): x/2 * (1 + erf(x/sqrt2)).
  Value half = scalarConstant(b, loc, x.getType(), 0.5);
  Value one = scalarConstant(b, loc, x.getType(), 1);
  Value invSqrt2 = scalarConstant(b, loc, x.getType(), 0.70710678118654752440);
  Value erf =
      math::ErfOp::create(b, loc, arith::MulFOp::create(b, loc, x, invSqrt2));
  Value halfX = arith::MulFOp::create(b, loc, x, half);
  return arith::MulFOp::create(b, loc, halfX,
                               arith::AddFOp::create(b, loc, one, erf));
}

Value negBody(OpBuilder &b, Location loc, Value x) {
  if (!isa<FloatType>(x.getType())) {
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(x.getType()));
    return arith::SubIOp::create(b, loc, zero, x);
  }
  return arith::NegFOp::create(b, loc, x);
}

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValueAttr());
    if (!value)
      return rewriter.notifyMatchFailure(op, "value is not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct ConvertDLToLinalgPass
    : dl::impl::ConvertDLToLinalgBase<ConvertDLToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<DLDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns.add<BroadcastBinaryLowering<AddOp, arith::AddFOp, arith::AddIOp>,
                 BroadcastBinaryLowering<SubOp, arith::SubFOp, arith::SubIOp>,
                 BroadcastBinaryLowering<MulOp, arith::MulFOp, arith::MulIOp>,
                 BroadcastBinaryLowering<DivOp, arith::DivFOp, void>,
                 BroadcastBinaryLowering<PowOp, math::PowFOp, void>,
                 MatMulLowering, ConstantLowering>(ctx);
    patterns.add<UnaryLowering<ReluOp>>(ctx, reluBody);
    patterns.add<UnaryLowering<NegOp>>(ctx, negBody);
    patterns.add<UnaryLowering<ExpOp>>(ctx, expBody);
    patterns.add<UnaryLowering<LogOp>>(ctx, logBody);
    patterns.add<UnaryLowering<SqrtOp>>(ctx, sqrtBody);
    patterns.add<UnaryLowering<RsqrtOp>>(ctx, rsqrtBody);
    patterns.add<UnaryLowering<AbsOp>>(ctx, absBody);
    patterns.add<UnaryLowering<SigmoidOp>>(ctx, sigmoidBody);
    patterns.add<UnaryLowering<TanhOp>>(ctx, tanhBody);
    patterns.add<UnaryLowering<GeluOp>>(ctx, geluBody);
    patterns.add<UnaryLowering<ErfOp>>(ctx, erfBody);
    populateReductionLoweringPatterns(patterns);
    populateShapeLoweringPatterns(patterns);
    populateNNLoweringPatterns(patterns);
    populateLogicLoweringPatterns(patterns);
    populateNNGradLoweringPatterns(patterns);
    populateTrainingLoweringPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
