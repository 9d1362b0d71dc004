//===- DLLogicOps.cpp - comparisons, selection, conversions, argmax -------===//
#include "dialects/DL/IR/DLOps.h"
#include "dialects/DL/IR/DLShapes.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::dl;

namespace {

LogicalResult fail(std::optional<Location> loc, const Twine &message) {
  return emitOptionalError(loc, message);
}

std::optional<SmallVector<int64_t>>
broadcast(std::optional<Location> loc, RankedTensorType a, RankedTensorType b) {
  auto shape = broadcastShapes(a.getShape(), b.getShape());
  if (!shape)
    (void)fail(loc, "operand shapes do not broadcast");
  return shape;
}

} // namespace

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr,
                                          OpaqueProperties, RegionRange,
                                          SmallVectorImpl<Type> &inferred) {
  auto a = dyn_cast<RankedTensorType>(operands[0].getType());
  auto b = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!a || !b)
    return failure();
  if (a.getElementType() != b.getElementType())
    return fail(loc, "compared element types differ");
  auto shape = broadcast(loc, a, b);
  if (!shape)
    return failure();
  inferred.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult CompareOp::verify() {
  StringRef p = getPredicate();
  if (p != "eq" && p != "ne" && p != "lt" && p != "le" && p != "gt" &&
      p != "ge")
    return emitOpError("unknown predicate '")
           << p << "' (expected eq, ne, lt, le, gt or ge)";
  return success();
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &inferred) {
  auto c = dyn_cast<RankedTensorType>(operands[0].getType());
  auto a = dyn_cast<RankedTensorType>(operands[1].getType());
  auto b = dyn_cast<RankedTensorType>(operands[2].getType());
  if (!c || !a || !b)
    return failure();
  if (a.getElementType() != b.getElementType())
    return fail(loc, "select branches have different element types");
  auto ab = broadcast(loc, a, b);
  if (!ab)
    return failure();
  auto shape = broadcastShapes(c.getShape(), *ab);
  if (!shape)
    return fail(loc, "the condition's shape does not broadcast");
  inferred.push_back(RankedTensorType::get(*shape, a.getElementType()));
  return success();
}

LogicalResult SelectOp::verify() { return success(); }

LogicalResult ConvertOp::verify() {
  if (getInput().getType().getShape() != getType().getShape())
    return emitOpError("changes the shape");
  return success();
}

OpFoldResult ConvertOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

static LogicalResult inferArgMax(std::optional<Location> loc, Value input,
                                 int64_t axis, MLIRContext *ctx,
                                 SmallVectorImpl<Type> &inferred) {
  auto t = dyn_cast<RankedTensorType>(input.getType());
  if (!t)
    return failure();
  if (axis < 0 || axis >= t.getRank())
    return fail(loc, "argmax axis " + Twine(axis) +
                         " is out of range for rank " + Twine(t.getRank()));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (d != axis)
      shape.push_back(t.getDimSize(d));
  inferred.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (!adaptor.getAxisAttr())
    return fail(loc, "argmax needs an axis");
  return inferArgMax(loc, adaptor.getInput(),
                     static_cast<int64_t>(adaptor.getAxis()), ctx, inferred);
}

LogicalResult ArgMaxOp::verify() {
  SmallVector<Type> inferred;
  return inferArgMax(getLoc(), getInput(), static_cast<int64_t>(getAxis()),
                     getContext(), inferred);
}
