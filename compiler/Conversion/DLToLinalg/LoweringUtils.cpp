//===- LoweringUtils.cpp - helpers shared by the dl lowering patterns -----===//
#include "compiler/Conversion/DLToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value dl::emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                      ValueRange dynSizes) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynSizes);
}

OpFoldResult dl::dimSize(OpBuilder &b, Location loc, Value value,
                         int64_t dim) {
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
