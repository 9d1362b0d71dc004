//===- ReductionLowering.cpp - dl.reduce_* to linalg.reduce ---------------===//
//
// A reduction is a `linalg.reduce` into a tensor filled with the combiner's
// identity (0, -inf, +inf, or the integer extremes); `keepdims` re-inserts
// the unit dimensions with `tensor.expand_shape`; the mean divides the sum by
// the (possibly dynamic) number of reduced elements.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/DLToLinalg/Patterns.h"
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::dl;

namespace {

enum class Combiner { Sum, Max, Min };

Value identity(OpBuilder &b, Location loc, Type type, Combiner c) {
  if (c == Combiner::Sum)
    return scalarConstant(b, loc, type, 0);
  if (auto f = dyn_cast<FloatType>(type)) {
    APFloat inf = APFloat::getInf(f.getFloatSemantics(), c == Combiner::Max);
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, inf));
  }
  unsigned width = type.getIntOrFloatBitWidth();
  APInt v = c == Combiner::Max ? APInt::getSignedMinValue(width)
                               : APInt::getSignedMaxValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

Value combine(OpBuilder &b, Location loc, Value x, Value acc, Combiner c) {
  bool isFloat = isa<FloatType>(x.getType());
  switch (c) {
  case Combiner::Sum:
    return isFloat ? Value(arith::AddFOp::create(b, loc, x, acc))
                   : Value(arith::AddIOp::create(b, loc, x, acc));
  case Combiner::Max:
    return isFloat ? Value(arith::MaximumFOp::create(b, loc, x, acc))
                   : Value(arith::MaxSIOp::create(b, loc, x, acc));
  case Combiner::Min:
    return isFloat ? Value(arith::MinimumFOp::create(b, loc, x, acc))
                   : Value(arith::MinSIOp::create(b, loc, x, acc));
  }
  return {};
}

template <typename OpT> struct ReduceLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  using OpAdaptor = typename OpT::Adaptor;

  ReduceLowering(MLIRContext *ctx, Combiner combiner, bool mean)
      : OpConversionPattern<OpT>(ctx), combiner(combiner), mean(mean) {}

  LogicalResult
  matchAndRewrite(OpT op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    Type elem = inType.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();

    SmallVector<int64_t> shape;
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < inType.getRank(); ++d) {
      if (llvm::is_contained(axes, d))
        continue;
      shape.push_back(inType.getDimSize(d));
      if (inType.isDynamicDim(d))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, input, d));
    }
    auto reducedType = RankedTensorType::get(shape, elem);
    Value init = emptyTensor(rewriter, loc, reducedType, dynSizes);
    Value start = identity(rewriter, loc, elem, combiner);
    Value filled =
        linalg::FillOp::create(rewriter, loc, start, init).getResult(0);
    Combiner c = combiner;
    auto reduce = linalg::ReduceOp::create(
        rewriter, loc, ValueRange{input}, ValueRange{filled}, axes,
        [c](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, combine(b, l, args[0], args[1], c));
        });
    Value result = reduce.getResult(0);

    if (mean) {
      // count = product of the reduced sizes, converted once outside the loop.
      Value count = arith::ConstantIndexOp::create(rewriter, loc, 1);
      for (int64_t a : axes) {
        Value size = tensor::DimOp::create(rewriter, loc, input, a);
        count = arith::MulIOp::create(rewriter, loc, count, size);
      }
      Value asInt = arith::IndexCastOp::create(rewriter, loc,
                                               rewriter.getI64Type(), count);
      Value asFloat = arith::SIToFPOp::create(rewriter, loc, elem, asInt);
      AffineMap id = rewriter.getMultiDimIdentityMap(reducedType.getRank());
      SmallVector<utils::IteratorType> iterators(reducedType.getRank(),
                                                 utils::IteratorType::parallel);
      result =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{reducedType}, ValueRange{result},
              ValueRange{emptyTensor(rewriter, loc, reducedType, dynSizes)},
              SmallVector<AffineMap>{id, id}, iterators,
              [asFloat](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l, Value(arith::DivFOp::create(b, l, args[0], asFloat)));
              })
              .getResult(0);
    }
    if (op.getKeepdims())
      result = insertUnitDims(rewriter, loc, result,
                              cast<RankedTensorType>(op.getType()));
    rewriter.replaceOp(op, result);
    return success();
  }

  Combiner combiner;
  bool mean;
};

} // namespace

void dl::populateReductionLoweringPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ReduceLowering<ReduceSumOp>>(ctx, Combiner::Sum, false);
  patterns.add<ReduceLowering<ReduceMeanOp>>(ctx, Combiner::Sum, true);
  patterns.add<ReduceLowering<ReduceMaxOp>>(ctx, Combiner::Max, false);
  patterns.add<ReduceLowering<ReduceMinOp>>(ctx, Combiner::Min, false);
}
