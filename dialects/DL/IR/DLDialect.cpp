//===- DLDialect.cpp - the dl dialect -------------------------------------===//
#include "dialects/DL/IR/DLDialect.h"
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::dl;

#include "dialects/DL/IR/DLInterfaces.cpp.inc"
#include "dialects/DL/IR/DLOpsDialect.cpp.inc"

namespace {
/// Every dl op is pure and region-free, so calls into dl code inline freely.
struct DLInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void DLDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/DL/IR/DLOps.cpp.inc"
      >();
  addInterfaces<DLInlinerInterface>();
}

Operation *DLDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
