//===- LoweringUtils.cpp - helpers shared by the dl lowering patterns -----===//
#include "compiler/Conversion/DLToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;

Value dl::emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                      ValueRange dynSizes) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynSizes);
}

OpFoldResult dl::dimSize(OpBuilder &b, Location loc, Value value, int64_t dim) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(dim))
    return b.getIndexAttr(type.getDimSize(dim));
  return tensor::DimOp::create(b, loc, value, dim).getResult();
}

Value dl::scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value dl::insertUnitDims(OpBuilder &b, Location loc, Value value,
                         RankedTensorType resultType) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type == resultType)
    return value;
  // Walk the result shape, matching source dimensions in order; extra unit
  // dimensions join the group of the nearest source dimension.
  SmallVector<ReassociationIndices> groups(type.getRank());
  SmallVector<OpFoldResult> outputShape;
  int64_t src = 0;
  ReassociationIndices leading;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    bool isExtra = src >= type.getRank() ||
                   (resultType.getDimSize(d) == 1 &&
                    (type.getDimSize(src) != 1 ||
                     type.getRank() - src < resultType.getRank() - d));
    if (isExtra) {
      outputShape.push_back(b.getIndexAttr(1));
      if (src == 0)
        leading.push_back(d);
      else
        groups[src - 1].push_back(d);
      continue;
    }
    outputShape.push_back(dimSize(b, loc, value, src));
    if (src == 0)
      groups[0].append(leading.begin(), leading.end());
    groups[src].push_back(d);
    ++src;
  }
  if (type.getRank() == 0)
    groups.clear();
  return tensor::ExpandShapeOp::create(b, loc, resultType, value, groups,
                                       outputShape);
}

/// Drops the operand dimensions that stretch (static 1 against a result size
/// that is not 1) and returns the value with its projected-permutation map.
dl::BroadcastOperand dl::prepareOperand(OpBuilder &b, Location loc,
                                        Value operand,
                                        RankedTensorType resultType) {
  auto type = cast<RankedTensorType>(operand.getType());
  int64_t rank = resultType.getRank();
  int64_t offset = rank - type.getRank();
  SmallVector<AffineExpr> exprs;
  SmallVector<int64_t> keptShape;
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    int64_t size = type.getDimSize(i);
    int64_t resultSize = resultType.getDimSize(offset + i);
    pending.push_back(i);
    bool stretched = size == 1 && resultSize != 1;
    if (stretched)
      continue;
    exprs.push_back(b.getAffineDimExpr(offset + i));
    keptShape.push_back(size);
    groups.push_back(pending);
    pending.clear();
  }
  MLIRContext *ctx = b.getContext();
  AffineMap map = AffineMap::get(rank, 0, exprs, ctx);
  if (keptShape.size() == static_cast<size_t>(type.getRank()))
    return {operand, map};
  // Trailing stretched dimensions join the last kept group; with no kept
  // dimension at all the operand collapses to a rank-0 tensor.
  if (!groups.empty())
    groups.back().append(pending.begin(), pending.end());
  auto collapsedType = RankedTensorType::get(keptShape, type.getElementType());
  Value collapsed =
      tensor::CollapseShapeOp::create(b, loc, collapsedType, operand, groups);
  return {collapsed, map};
}

/// The sizes of `resultType`'s dynamic dimensions, read from whichever operand
/// carries a dynamic size at the same aligned position.
SmallVector<Value> dl::dynamicResultSizes(OpBuilder &b, Location loc,
                                          RankedTensorType resultType,
                                          ValueRange operands) {
  SmallVector<Value> sizes;
  int64_t rank = resultType.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    for (Value operand : operands) {
      auto type = cast<RankedTensorType>(operand.getType());
      int64_t i = d - (rank - type.getRank());
      if (i >= 0 && type.isDynamicDim(i)) {
        sizes.push_back(tensor::DimOp::create(b, loc, operand, i));
        break;
      }
    }
  }
  return sizes;
}
