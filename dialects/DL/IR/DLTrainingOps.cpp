//===- DLTrainingOps.cpp - batch norm, dropout and their primitives -------===//
#include "dialects/DL/IR/DLOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::dl;

Value dl::scalarTensor(OpBuilder &b, Location loc, Type elem, double v) {
  auto type = RankedTensorType::get({}, elem);
  Attribute attr;
  if (auto f = dyn_cast<FloatType>(elem)) {
    APFloat value(v);
    bool lost;
    value.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    attr = DenseElementsAttr::get(type, value);
  } else {
    attr = DenseElementsAttr::get(type, APInt(elem.getIntOrFloatBitWidth(),
                                              static_cast<int64_t>(v), true));
  }
  return ConstantOp::create(b, loc, cast<ElementsAttr>(attr));
}

//===----------------------------------------------------------------------===//
// batch_norm
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location>,
                                            BatchNormOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  inferred.push_back(adaptor.getInput().getType());
  inferred.push_back(adaptor.getRunningMean().getType());
  inferred.push_back(adaptor.getRunningVar().getType());
  return success();
}

LogicalResult BatchNormOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  if (x.getRank() < 2)
    return emitOpError("needs an input [N, C, ...], got ") << x;
  int64_t c = x.getDimSize(1);
  if (ShapedType::isDynamic(c))
    return emitOpError("needs a static channel count (axis 1), got ") << x;
  auto want = RankedTensorType::get({c}, x.getElementType());
  for (Value v : {getWeight(), getBias(), getRunningMean(), getRunningVar()})
    if (v.getType() != want)
      return emitOpError("weight, bias and running statistics must be ")
             << want << ", got " << v.getType();
  if (!(getEps().convertToDouble() > 0))
    return emitOpError("eps must be positive");
  double m = getMomentum().convertToDouble();
  if (!(m >= 0 && m <= 1))
    return emitOpError("momentum must be in [0, 1], got ") << m;
  return success();
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0 && p < 1))
    return emitOpError("p must be in [0, 1), got ") << p;
  return success();
}

//===----------------------------------------------------------------------===//
// numel
//===----------------------------------------------------------------------===//

LogicalResult NumelOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        NumelOp::Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto x = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!x)
    return failure();
  llvm::SmallDenseSet<int64_t> seen;
  for (int64_t a : adaptor.getAxes())
    if (a < 0 || a >= x.getRank() || !seen.insert(a).second)
      return emitOptionalError(loc, "'dl.numel' axis ", a,
                               " is out of range or repeated for ", x);
  inferred.push_back(RankedTensorType::get({}, x.getElementType()));
  return success();
}
