//===- DLOps.cpp - dl dialect operations ----------------------------------===//
//
// Verifiers and result-type inference. Inference and verification share the
// same shape functions, so a verified op always has the type inference gives.
//
//===----------------------------------------------------------------------===//
#include "dialects/DL/IR/DLOps.h"
#include "dialects/DL/IR/DLShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::dl;

/// Prints a shape the way tensor types spell it: `?x4`, or `scalar`.
static std::string shapeString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  return s;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  Adaptor adaptor(ValueRange{}, attributes, properties);
  auto value = dyn_cast_or_null<ElementsAttr>(adaptor.getValueAttr());
  if (!value)
    return failure();
  inferred.push_back(value.getType());
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

/// Shared inference for add/sub/mul/div. Reports through `loc` when given.
static LogicalResult inferBroadcastType(std::optional<Location> loc,
                                        ValueRange operands,
                                        SmallVectorImpl<Type> &inferred) {
  if (operands.size() != 2)
    return failure();
  auto lhs = dyn_cast<RankedTensorType>(operands[0].getType());
  auto rhs = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!lhs || !rhs)
    return failure();
  if (lhs.getElementType() != rhs.getElementType()) {
    if (loc)
      emitError(*loc) << "element types differ: " << lhs.getElementType()
                      << " vs " << rhs.getElementType();
    return failure();
  }
  unsigned bad = 0;
  auto shape = broadcastShapes(lhs.getShape(), rhs.getShape(), &bad);
  if (!shape) {
    if (loc) {
      int64_t a = lhs.getShape()[lhs.getRank() - 1 - bad];
      int64_t b = rhs.getShape()[rhs.getRank() - 1 - bad];
      emitError(*loc) << "shapes " << shapeString(lhs.getShape()) << " and "
                      << shapeString(rhs.getShape())
                      << " do not broadcast: trailing dimension " << bad
                      << " is " << a << " vs " << b;
    }
    return failure();
  }
  inferred.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

template <typename OpT>
static LogicalResult verifyBroadcastOp(OpT op) {
  SmallVector<Type> inferred;
  if (failed(inferBroadcastType(op.getLoc(), op->getOperands(), inferred)))
    return failure();
  if (inferred[0] != op.getType())
    return op.emitOpError("result type ")
           << op.getType() << " does not match the broadcast type "
           << inferred[0];
  return success();
}

#define DL_BROADCAST_OP_IMPL(OpT)                                              \
  LogicalResult OpT::inferReturnTypes(                                         \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferBroadcastType(loc, operands, inferred);                        \
  }                                                                            \
  LogicalResult OpT::verify() { return verifyBroadcastOp(*this); }

DL_BROADCAST_OP_IMPL(AddOp)
DL_BROADCAST_OP_IMPL(SubOp)
DL_BROADCAST_OP_IMPL(MulOp)
DL_BROADCAST_OP_IMPL(DivOp)
DL_BROADCAST_OP_IMPL(PowOp)
#undef DL_BROADCAST_OP_IMPL

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &inferred) {
  auto lhs = dyn_cast<RankedTensorType>(operands[0].getType());
  auto rhs = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!lhs || !rhs)
    return failure();
  if (lhs.getRank() != 2 || rhs.getRank() != 2) {
    if (loc)
      mlir::emitError(*loc) << "'dl.matmul' expects rank-2 operands, got "
                      << shapeString(lhs.getShape()) << " and "
                      << shapeString(rhs.getShape());
    return failure();
  }
  inferred.push_back(RankedTensorType::get(
      {lhs.getDimSize(0), rhs.getDimSize(1)}, lhs.getElementType()));
  return success();
}

LogicalResult MatMulOp::verify() {
  auto lhs = getLhs().getType();
  auto rhs = getRhs().getType();
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return emitOpError("expects rank-2 operands, got ")
           << shapeString(lhs.getShape()) << " and "
           << shapeString(rhs.getShape());
  if (lhs.getElementType() != rhs.getElementType())
    return emitOpError("element types differ: ")
           << lhs.getElementType() << " vs " << rhs.getElementType();
  int64_t k1 = lhs.getDimSize(1), k2 = rhs.getDimSize(0);
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return emitOpError("contraction sizes differ: ")
           << shapeString(lhs.getShape()) << " @ "
           << shapeString(rhs.getShape()) << " (" << k1 << " vs " << k2
           << ")";
  RankedTensorType expected = RankedTensorType::get(
      {lhs.getDimSize(0), rhs.getDimSize(1)}, lhs.getElementType());
  if (getType() != expected)
    return emitOpError("result type ")
           << getType() << " does not match the inferred type " << expected;
  return success();
}

#define GET_OP_CLASSES
#include "dialects/DL/IR/DLOps.cpp.inc"
