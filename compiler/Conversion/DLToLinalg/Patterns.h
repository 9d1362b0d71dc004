//===- Patterns.h - pattern sets of convert-dl-to-linalg --------*- C++ -*-===//
//
// The conversion is split by op family, one file each; the pass in
// DLToLinalg.cpp collects them. Helpers here are shared by the families.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_DLTOLINALG_PATTERNS_H
#define DLC_CONVERSION_DLTOLINALG_PATTERNS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::dl {

void populateReductionLoweringPatterns(RewritePatternSet &patterns);
void populateShapeLoweringPatterns(RewritePatternSet &patterns);
void populateNNLoweringPatterns(RewritePatternSet &patterns);

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
