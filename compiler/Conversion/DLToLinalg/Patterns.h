//===- Patterns.h - pattern sets of convert-dl-to-linalg --------*- C++ -*-===//
//
// The conversion is split by op family, one file each; the pass in
// DLToLinalg.cpp collects them. Helpers here are shared by the families.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_DLTOLINALG_PATTERNS_H
#define DLC_CONVERSION_DLTOLINALG_PATTERNS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dl {

void populateReductionLoweringPatterns(RewritePatternSet &patterns);
void populateShapeLoweringPatterns(RewritePatternSet &patterns);
void populateNNLoweringPatterns(RewritePatternSet &patterns);
void populateLogicLoweringPatterns(RewritePatternSet &patterns);
void populateNNGradLoweringPatterns(RewritePatternSet &patterns);
void populateTrainingLoweringPatterns(RewritePatternSet &patterns);

/// An operand prepared for a broadcasting generic: the (possibly collapsed)
/// value and its indexing map into the result's iteration space.
struct BroadcastOperand {
  Value value;
  AffineMap map;
};

/// Drops the operand dimensions that stretch (static 1 against a result
/// size that is not 1) and returns the value with its projected-permutation
/// map into `resultType`'s iteration space.
BroadcastOperand prepareOperand(OpBuilder &b, Location loc, Value operand,
                                RankedTensorType resultType);

/// The sizes of `resultType`'s dynamic dimensions, read from whichever
/// operand carries a dynamic size at the same (trailing-aligned) position.
SmallVector<Value> dynamicResultSizes(OpBuilder &b, Location loc,
                                      RankedTensorType resultType,
                                      ValueRange operands);

/// `tensor.empty` of `type`, with dynamic sizes taken from `dynSizes`.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynSizes);

/// The size of dimension `dim` of `value` as an OpFoldResult (static when
/// known).
OpFoldResult dimSize(OpBuilder &b, Location loc, Value value, int64_t dim);

/// A scalar constant of `type` (float or integer).
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// `tensor.expand_shape` that inserts the size-1 dimensions of `resultType`
/// (whose shape is `value`'s with extra 1s, as keepdims reductions produce).
Value insertUnitDims(OpBuilder &b, Location loc, Value value,
                     RankedTensorType resultType);

} // namespace mlir::dl

#endif // DLC_CONVERSION_DLTOLINALG_PATTERNS_H
