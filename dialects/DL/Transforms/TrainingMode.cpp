//===- TrainingMode.cpp - training-mode copies of trained functions -------===//
//
// Training mode is a property of the compiled train step, not of the source:
// the same `forward` runs in evaluation mode when called for predictions and
// in training mode inside the step. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "dialects/DL/IR/DLOps.h"
#include "dialects/DL/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>

namespace mlir::dl {
#define GEN_PASS_DEF_DLTRAININGMODE
#include "dialects/DL/Transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// The argument index of `v` if it is a parameter of `f`.
std::optional<unsigned> paramIndex(func::FuncOp f, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &f.front() ||
      !f.getArgAttr(arg.getArgNumber(), "dl.param"))
    return std::nullopt;
  return arg.getArgNumber();
}

void switchToTraining(func::FuncOp f) {
  MLIRContext *ctx = f.getContext();
  auto keyType = RankedTensorType::get({}, IntegerType::get(ctx, 64));
  unsigned keyIndex = f.getNumArguments();
  (void)f.insertArgument(
      keyIndex, keyType,
      DictionaryAttr::get(ctx, {NamedAttribute("dl.rng", UnitAttr::get(ctx))}),
      f.getLoc());
  Value key = f.getArgument(keyIndex);

  // Argument index -> its newest value, in program order.
  std::map<unsigned, Value> updated;
  int64_t stream = 0;
  OpBuilder b(ctx);
  f.walk([&](Operation *op) {
    if (auto dropout = dyn_cast<DropoutOp>(op)) {
      dropout.getKeyMutable().assign(key);
      dropout.setStream(stream++);
      return;
    }
    auto bn = dyn_cast<BatchNormOp>(op);
    if (!bn)
      return;
    bn.setTraining(true);
    for (auto [operand, result] :
         {std::pair(&bn.getRunningMeanMutable(), bn.getNewRunningMean()),
          std::pair(&bn.getRunningVarMutable(), bn.getNewRunningVar())}) {
      auto index = paramIndex(f, operand->get());
      if (!index)
        continue;
      // Chain a second application to the first one's update.
      if (auto it = updated.find(*index); it != updated.end())
        operand->assign(it->second);
      updated[*index] = result;
    }
  });

  auto ret = cast<func::ReturnOp>(f.front().getTerminator());
  b.setInsertionPoint(ret);
  for (unsigned i = 0; i < keyIndex; ++i) {
    auto kind = f.getArgAttrOfType<StringAttr>(i, "dl.buffer");
    if (!kind || kind.getValue() != "step_count")
      continue;
    Value arg = f.getArgument(i);
    Type elem = cast<RankedTensorType>(arg.getType()).getElementType();
    updated[i] = AddOp::create(b, ret.getLoc(), arg,
                               scalarTensor(b, ret.getLoc(), elem, 1));
  }
  SmallVector<Value> results(ret.getOperands());
  SmallVector<int64_t> indices;
  for (auto [index, value] : updated) {
    indices.push_back(index);
    results.push_back(value);
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  f.setType(FunctionType::get(ctx, f.getArgumentTypes(),
                              ValueRange(results).getTypes()));
  f->setAttr("dl.updates", DenseI64ArrayAttr::get(ctx, indices));
}

struct DLTrainingModePass : dl::impl::DLTrainingModeBase<DLTrainingModePass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> targets;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (f->hasAttr("dl.train"))
        targets.push_back(f);
    for (func::FuncOp f : targets) {
      if (!f.getBody().hasOneBlock()) {
        f.emitError("cannot train a function with control flow");
        return signalPassFailure();
      }
      OpBuilder b(f);
      b.setInsertionPointAfter(f);
      auto copy = cast<func::FuncOp>(b.clone(*f));
      copy.setName((f.getName() + ".train").str());
      copy.setPrivate();
      f->removeAttr("dl.train");
      switchToTraining(copy);
    }
  }
};

} // namespace
