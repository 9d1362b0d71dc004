//===- UpdateInPlace.cpp - train steps update their arguments in place ----===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::dl {
#define GEN_PASS_DEF_UPDATEINPLACE
#define GEN_PASS_DEF_DROPINPLACERESULTS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

struct UpdateInPlacePass : dl::impl::UpdateInPlaceBase<UpdateInPlacePass> {
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      auto targets = f->getAttrOfType<DenseI64ArrayAttr>("dl.in_place");
      if (!targets)
        continue;
      auto ret = cast<func::ReturnOp>(f.front().getTerminator());
      if (ret.getNumOperands() != targets.size() + 1) {
        f.emitError("dl.in_place names ")
            << targets.size() << " results but the function returns "
            << ret.getNumOperands() - 1 << " after the first";
        return signalPassFailure();
      }
      OpBuilder b(ret);
      for (auto [k, index] : llvm::enumerate(targets.asArrayRef())) {
        Value arg = f.getArgument(index);
        Value value = ret.getOperand(1 + k);
        if (value == arg)
          continue;
        auto write = bufferization::MaterializeInDestinationOp::create(
            b, ret.getLoc(), arg.getType(), value, arg);
        ret.setOperand(1 + k, write.getResult());
      }
    }
  }
};

struct DropInPlaceResultsPass
    : dl::impl::DropInPlaceResultsBase<DropInPlaceResultsPass> {
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      auto targets = f->getAttrOfType<DenseI64ArrayAttr>("dl.in_place");
      if (!targets)
        continue;
      auto ret = cast<func::ReturnOp>(f.front().getTerminator());
      for (auto [k, index] : llvm::enumerate(targets.asArrayRef()))
        if (ret.getOperand(1 + k) != f.getArgument(index)) {
          f.emitError("internal error: the update of argument ")
              << index << " was not bufferized in place";
          return signalPassFailure();
        }
      OpBuilder b(ret);
      func::ReturnOp::create(b, ret.getLoc(), ret.getOperand(0));
      Type loss = f.getResultTypes()[0];
      ret.erase();
      f.setType(FunctionType::get(f.getContext(), f.getArgumentTypes(), loss));
      f->removeAttr("dl.in_place");
    }
  }
};

} // namespace
