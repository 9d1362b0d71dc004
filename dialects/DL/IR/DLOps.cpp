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

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>, ValueRange,
                                           DictionaryAttr attributes,
                                           OpaqueProperties properties,
                                           RegionRange,
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

template <typename OpT> static LogicalResult verifyBroadcastOp(OpT op) {
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

/// Matrix product shapes: [M, K] @ [K, N]; [..., M, K] @ [K, N] (the
/// right matrix shared by every batch); [..., M, K] @ [..., K, N] with equal
/// batch dimensions. Reports through `loc` when given.
static LogicalResult inferMatMul(std::optional<Location> loc, Type lhsType,
                                 Type rhsType,
                                 SmallVectorImpl<Type> &inferred) {
  auto lhs = dyn_cast<RankedTensorType>(lhsType);
  auto rhs = dyn_cast<RankedTensorType>(rhsType);
  if (!lhs || !rhs)
    return failure();
  auto fail = [&](const Twine &why) {
    if (loc)
      mlir::emitError(*loc) << "'dl.matmul' " << why;
    return failure();
  };
  int64_t lr = lhs.getRank(), rr = rhs.getRank();
  if (lr < 2 || rr < 2 || (rr > 2 && rr != lr))
    return fail("expects [..., M, K] @ [K, N] or equal-rank batches, got " +
                shapeString(lhs.getShape()) + " and " +
                shapeString(rhs.getShape()));
  if (lhs.getElementType() != rhs.getElementType())
    return fail("element types differ");
  int64_t k1 = lhs.getDimSize(lr - 1), k2 = rhs.getDimSize(rr - 2);
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return fail("contraction sizes differ: " + shapeString(lhs.getShape()) +
                " @ " + shapeString(rhs.getShape()) + " (" + Twine(k1) +
                " vs " + Twine(k2) + ")");
  SmallVector<int64_t> shape(lhs.getShape().drop_back());
  if (rr > 2)
    for (int64_t d = 0; d < lr - 2; ++d) {
      int64_t a = lhs.getDimSize(d), b = rhs.getDimSize(d);
      if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
        return fail("batch dimensions differ: " + shapeString(lhs.getShape()) +
                    " @ " + shapeString(rhs.getShape()));
      if (ShapedType::isDynamic(a))
        shape[d] = b;
    }
  shape.push_back(rhs.getDimSize(rr - 1));
  inferred.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &inferred) {
  return inferMatMul(loc, operands[0].getType(), operands[1].getType(),
                     inferred);
}

LogicalResult MatMulOp::verify() {
  SmallVector<Type> inferred;
  if (failed(inferMatMul(getLoc(), getLhs().getType(), getRhs().getType(),
                         inferred)))
    return failure();
  if (getType() != inferred[0])
    return emitOpError("result type ")
           << getType() << " does not match the inferred type " << inferred[0];
  return success();
}

LogicalResult GradOp::verify() {
  auto wrt = static_cast<int64_t>(getWrt());
  if (wrt < 0 || wrt >= static_cast<int64_t>(getOperands().size()))
    return emitOpError("wrt ") << wrt << " is not an operand index";
  auto operand = cast<RankedTensorType>(getOperands()[wrt].getType());
  if (operand.getShape() != getType().getShape() ||
      operand.getElementType() != getType().getElementType())
    return emitOpError("result type ")
           << getType() << " must be the type of operand " << wrt << ", "
           << operand;
  return success();
}

//===----------------------------------------------------------------------===//
// Identity folds. Only the bit-exact ones: x * 1, x / 1, x - 0, x + (-0.0)
// for floats (x + 0.0 is not x when x is -0.0), and x + 0 for integers. The
// kept operand must already have the result's type (no broadcasting).
//===----------------------------------------------------------------------===//

/// Is `attr` a splat equal to `value` (for floats: with the sign of zero)?
static bool isSplat(Attribute attr, double value) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  Type elem = dense.getElementType();
  if (isa<FloatType>(elem)) {
    APFloat v = dense.getSplatValue<APFloat>();
    bool lost;
    APFloat want(value);
    want.convert(v.getSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return v.bitwiseIsEqual(want);
  }
  if (isa<IntegerType>(elem))
    return dense.getSplatValue<APInt>().getSExtValue() ==
           static_cast<int64_t>(value);
  return false;
}

static bool isFloatOp(Operation *op) {
  return isa<FloatType>(
      cast<RankedTensorType>(op->getResult(0).getType()).getElementType());
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  double zero = isFloatOp(*this) ? -0.0 : 0.0;
  if (isSplat(adaptor.getRhs(), zero) && getLhs().getType() == getType())
    return getLhs();
  if (isSplat(adaptor.getLhs(), zero) && getRhs().getType() == getType())
    return getRhs();
  return {};
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 0.0) && getLhs().getType() == getType())
    return getLhs();
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 1.0) && getLhs().getType() == getType())
    return getLhs();
  if (isSplat(adaptor.getLhs(), 1.0) && getRhs().getType() == getType())
    return getRhs();
  return {};
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 1.0) && getLhs().getType() == getType())
    return getLhs();
  return {};
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (isSplat(adaptor.getRhs(), 1.0) && getLhs().getType() == getType())
    return getLhs();
  return {};
}

#define GET_OP_CLASSES
#include "dialects/DL/IR/DLOps.cpp.inc"
