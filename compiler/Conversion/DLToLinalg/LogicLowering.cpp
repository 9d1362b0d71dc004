//===- LogicLowering.cpp - compare, select, convert, argmax ---------------===//
//
// Comparisons and selection are broadcasting generics like the arithmetic
// ops; conversions are elementwise casts; argmax is a reduction generic with
// two accumulators (value and index) that keeps the first maximum.
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

/// A broadcasting generic over `operands` producing `resultType`.
Value broadcastGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType,
    ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (Value v : operands) {
    BroadcastOperand p = prepareOperand(b, loc, v, resultType);
    ins.push_back(p.value);
    maps.push_back(p.map);
  }
  int64_t rank = resultType.getRank();
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyTensor(b, loc, resultType,
                           dynamicResultSizes(b, loc, resultType, operands));
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ins, ValueRange{init}, maps, it,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args));
             })
      .getResult(0);
}

struct CompareLowering : OpConversionPattern<CompareOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CompareOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    StringRef p = op.getPredicate();
    Value r = broadcastGeneric(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        {adaptor.getLhs(), adaptor.getRhs()},
        [p](OpBuilder &b, Location l, ValueRange args) -> Value {
          if (isa<FloatType>(args[0].getType())) {
            // Ordered predicates (false with NaN), except `ne` (true).
            auto pred = llvm::StringSwitch<arith::CmpFPredicate>(p)
                            .Case("eq", arith::CmpFPredicate::OEQ)
                            .Case("ne", arith::CmpFPredicate::UNE)
                            .Case("lt", arith::CmpFPredicate::OLT)
                            .Case("le", arith::CmpFPredicate::OLE)
                            .Case("gt", arith::CmpFPredicate::OGT)
                            .Default(arith::CmpFPredicate::OGE);
            return arith::CmpFOp::create(b, l, pred, args[0], args[1]);
          }
          auto pred = llvm::StringSwitch<arith::CmpIPredicate>(p)
                          .Case("eq", arith::CmpIPredicate::eq)
                          .Case("ne", arith::CmpIPredicate::ne)
                          .Case("lt", arith::CmpIPredicate::slt)
                          .Case("le", arith::CmpIPredicate::sle)
                          .Case("gt", arith::CmpIPredicate::sgt)
                          .Default(arith::CmpIPredicate::sge);
          return arith::CmpIOp::create(b, l, pred, args[0], args[1]);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct SelectLowering : OpConversionPattern<SelectOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SelectOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value r = broadcastGeneric(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        {adaptor.getCond(), adaptor.getLhs(), adaptor.getRhs()},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::SelectOp::create(b, l, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

Value convertScalar(OpBuilder &b, Location l, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (to.isInteger(1)) { // number -> bool: x != 0
    Value zero = scalarConstant(b, l, from, 0);
    if (fromFloat)
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x, zero);
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x, zero);
  }
  if (fromFloat && toFloat)
    return fw < tw ? Value(arith::ExtFOp::create(b, l, to, x))
                   : Value(arith::TruncFOp::create(b, l, to, x));
  if (fromFloat)
    return arith::FPToSIOp::create(b, l, to, x);
  if (toFloat)
    return from.isInteger(1) ? Value(arith::UIToFPOp::create(b, l, to, x))
                             : Value(arith::SIToFPOp::create(b, l, to, x));
  if (fw < tw)
    return from.isInteger(1) ? Value(arith::ExtUIOp::create(b, l, to, x))
                             : Value(arith::ExtSIOp::create(b, l, to, x));
  return arith::TruncIOp::create(b, l, to, x);
}

struct ConvertLowering : OpConversionPattern<ConvertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type to = type.getElementType();
    Value r =
        broadcastGeneric(rewriter, op.getLoc(), type, {adaptor.getInput()},
                         [to](OpBuilder &b, Location l, ValueRange args) {
                           return convertScalar(b, l, args[0], to);
                         });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct ArgMaxLowering : OpConversionPattern<ArgMaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArgMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elem = inType.getElementType();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    int64_t rank = inType.getRank();
    SmallVector<Value> dyn;
    SmallVector<AffineExpr> outExprs;
    MLIRContext *ctx = rewriter.getContext();
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis)
        continue;
      outExprs.push_back(getAffineDimExpr(d, ctx));
      if (inType.isDynamicDim(d))
        dyn.push_back(tensor::DimOp::create(rewriter, loc, x, d));
    }
    Value lowest;
    if (auto f = dyn_cast<FloatType>(elem))
      lowest = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getFloatAttr(f,
                                APFloat::getInf(f.getFloatSemantics(), true)));
    else
      lowest = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getIntegerAttr(
              elem, APInt::getSignedMinValue(elem.getIntOrFloatBitWidth())));
    auto valueType = RankedTensorType::get(outType.getShape(), elem);
    Value values =
        linalg::FillOp::create(rewriter, loc, lowest,
                               emptyTensor(rewriter, loc, valueType, dyn))
            .getResult(0);
    Value zero = scalarConstant(rewriter, loc, rewriter.getI64Type(), 0);
    Value indices =
        linalg::FillOp::create(rewriter, loc, zero,
                               emptyTensor(rewriter, loc, outType, dyn))
            .getResult(0);
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
    it[axis] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, outType}, ValueRange{x},
        ValueRange{values, indices},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank), outMap,
                               outMap},
        it, [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0], best = args[1], bestIdx = args[2];
          Value idx = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value take;
          if (isa<FloatType>(elem)) {
            // Strictly greater keeps the first maximum; NaN beats numbers.
            Value greater =
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, best);
            Value vNan =
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v);
            Value bestNum = arith::CmpFOp::create(
                b, l, arith::CmpFPredicate::ORD, best, best);
            take = arith::OrIOp::create(
                b, l, greater, arith::AndIOp::create(b, l, vNan, bestNum));
          } else {
            take =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, v, best);
          }
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, take, v, best),
                         arith::SelectOp::create(b, l, take, idx, bestIdx)});
        });
    rewriter.replaceOp(op, generic.getResult(1));
    return success();
  }
};

} // namespace

void dl::populateLogicLoweringPatterns(RewritePatternSet &patterns) {
  patterns
      .add<CompareLowering, SelectLowering, ConvertLowering, ArgMaxLowering>(
          patterns.getContext());
}
