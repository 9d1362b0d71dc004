//===- TrainingLowering.cpp - random numbers and element counts -----------===//
//
// dl.random_uniform becomes a linalg.generic whose body hashes the key, the
// stream and the element's row-major position (SplitMix64's finaliser), so
// every element is independent of every other and of the iteration order:
// later tiling, vectorisation or threading cannot change the numbers.
// dl.numel multiplies dimension sizes (tensor.dim where dynamic).
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

Value i64Constant(OpBuilder &b, Location loc, uint64_t v) {
  return arith::ConstantOp::create(
      b, loc, b.getI64IntegerAttr(static_cast<int64_t>(v)));
}

/// z ^= z >> shift.
Value xorShift(OpBuilder &b, Location loc, Value z, uint64_t shift) {
  return arith::XOrIOp::create(
      b, loc, z, arith::ShRUIOp::create(b, loc, z, i64Constant(b, loc, shift)));
}

struct RandomUniformLowering : OpConversionPattern<RandomUniformOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RandomUniformOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    Value like = adaptor.getLike();
    SmallVector<Value> dyn, sizes;
    for (int64_t d = 0; d < rank; ++d) {
      Value size = tensor::DimOp::create(rewriter, loc, like, d);
      sizes.push_back(size);
      if (type.isDynamicDim(d))
        dyn.push_back(size);
    }
    Value init = emptyTensor(rewriter, loc, type, dyn);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap keyMap = AffineMap::get(rank, 0, {}, ctx);
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
    uint64_t stream = static_cast<uint64_t>(op.getStream());
    Type elem = type.getElementType();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{adaptor.getKey()},
        ValueRange{init},
        SmallVector<AffineMap>{keyMap, rewriter.getMultiDimIdentityMap(rank)},
        it, [&](OpBuilder &b, Location l, ValueRange args) {
          // Row-major position of the element.
          Value linear = arith::ConstantIndexOp::create(b, l, 0);
          for (int64_t d = 0; d < rank; ++d) {
            linear = arith::MulIOp::create(b, l, linear, sizes[d]);
            linear = arith::AddIOp::create(b, l, linear,
                                           linalg::IndexOp::create(b, l, d));
          }
          Value pos = arith::IndexCastOp::create(b, l, b.getI64Type(), linear);
          Value z = arith::AddIOp::create(
              b, l, args[0],
              i64Constant(b, l, (stream + 1) * 0xD1B54A32D192ED03ull));
          z = arith::AddIOp::create(
              b, l, z,
              arith::MulIOp::create(b, l, pos,
                                    i64Constant(b, l, 0x9E3779B97F4A7C15ull)));
          z = xorShift(b, l, z, 30);
          z = arith::MulIOp::create(b, l, z,
                                    i64Constant(b, l, 0xBF58476D1CE4E5B9ull));
          z = xorShift(b, l, z, 27);
          z = arith::MulIOp::create(b, l, z,
                                    i64Constant(b, l, 0x94D049BB133111EBull));
          z = xorShift(b, l, z, 31);
          // The top 24 bits: exact in f32 and f64, so both precisions
          // draw the same numbers.
          Value top = arith::ShRUIOp::create(b, l, z, i64Constant(b, l, 40));
          Value f = arith::UIToFPOp::create(b, l, elem, top);
          Value u = arith::MulFOp::create(
              b, l, f, scalarConstant(b, l, elem, 1.0 / 16777216.0));
          linalg::YieldOp::create(b, l, u);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct NumelLowering : OpConversionPattern<NumelOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NumelOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    Value n;
    for (int64_t axis : op.getAxes()) {
      Value size = inputType.isDynamicDim(axis)
                       ? Value(tensor::DimOp::create(rewriter, loc,
                                                     adaptor.getInput(), axis))
                       : Value(arith::ConstantIndexOp::create(
                             rewriter, loc, inputType.getDimSize(axis)));
      n = n ? Value(arith::MulIOp::create(rewriter, loc, n, size)) : size;
    }
    if (!n)
      n = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value count =
        arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), n);
    Value value =
        arith::SIToFPOp::create(rewriter, loc, type.getElementType(), count);
    rewriter.replaceOpWithNewOp<tensor::FromElementsOp>(op, type, value);
    return success();
  }
};

} // namespace

void dl::populateTrainingLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<RandomUniformLowering, NumelLowering>(patterns.getContext());
}
