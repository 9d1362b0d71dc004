//===- MaterializeOptimizer.cpp - compiled training steps -----------------===//
//
// The update is part of the compiled step (so it fuses with the backward
// pass later) and follows torch.optim's single-tensor implementations
// operation by operation, with the same float32 coefficients, so one step
// matches PyTorch to rounding.
//
//===----------------------------------------------------------------------===//
#include "dialects/DL/IR/DLOps.h"
#include "dialects/DL/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLMATERIALIZEOPTIMIZER
#include "dialects/DL/Transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

using mlir::dl::scalarTensor;

namespace {

double number(DictionaryAttr config, StringRef key, double dflt) {
  if (auto f = config.getAs<FloatAttr>(key))
    return f.getValueAsDouble();
  return dflt;
}

LogicalResult materialize(func::FuncOp f) {
  auto config = f->getAttrOfType<DictionaryAttr>("dl.train");
  auto kindAttr = config.getAs<StringAttr>("optimizer");
  StringRef kind = kindAttr ? kindAttr.getValue() : "";
  if (kind != "sgd" && kind != "adam" && kind != "adamw")
    return f.emitError("unknown optimizer '")
           << kind << "' (expected sgd, adam or adamw)";
  double momentum = number(config, "momentum", 0);
  bool nesterov = config.getAs<BoolAttr>("nesterov") &&
                  config.getAs<BoolAttr>("nesterov").getValue();
  double wd = number(config, "weight_decay", 0);
  double beta1 = number(config, "beta1", 0.9),
         beta2 = number(config, "beta2", 0.999);
  double eps = number(config, "eps", 1e-8);
  bool adam = kind != "sgd";
  unsigned buffers = adam ? 2 : (momentum != 0 ? 1 : 0);

  // `floats`: the trained parameters (float, not a buffer, not frozen).
  llvm::StringSet<> frozen;
  if (auto names = config.getAs<ArrayAttr>("frozen"))
    for (auto n : names.getAsRange<StringAttr>())
      frozen.insert(n.getValue());
  SmallVector<unsigned> params, floats, data;
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    auto name = f.getArgAttrOfType<StringAttr>(i, "dl.param");
    if (!name) {
      data.push_back(i);
      continue;
    }
    params.push_back(i);
    auto t = dyn_cast<RankedTensorType>(f.getArgument(i).getType());
    if (t && isa<FloatType>(t.getElementType()) &&
        !f.getArgAttr(i, "dl.buffer") && !frozen.contains(name.getValue()))
      floats.push_back(i);
  }
  // The step of a training-mode copy `<loss>.train` is `<loss>.step`.
  StringRef base = f.getName();
  base.consume_back(".train");
  if (floats.empty())
    return f.emitError("'") << base << "' has no float parameter to train";
  func::FuncOp grad =
      buildGradientFunction(f, floats, (base + ".step_grad").str());
  if (!grad)
    return failure();
  grad.setPrivate();

  Type lossType = f.getFunctionType().getResult(0);
  Type elem = cast<RankedTensorType>(lossType).getElementType();
  auto scalarType = RankedTensorType::get({}, elem);
  SmallVector<Type> inputs, results = {lossType};
  for (unsigned i : params)
    inputs.push_back(f.getArgument(i).getType());
  for (unsigned k = 0; k < buffers; ++k)
    for (unsigned i : floats)
      inputs.push_back(f.getArgument(i).getType());
  unsigned coefficients = adam ? 3 : 1;
  for (unsigned k = 0; k < coefficients; ++k)
    inputs.push_back(scalarType);
  for (unsigned i : data)
    inputs.push_back(f.getArgument(i).getType());
  for (unsigned i : params)
    results.push_back(f.getArgument(i).getType());
  for (unsigned k = 0; k < buffers; ++k)
    for (unsigned i : floats)
      results.push_back(f.getArgument(i).getType());

  OpBuilder b(f);
  b.setInsertionPointAfter(grad);
  Location loc = f.getLoc();
  auto step = func::FuncOp::create(b, loc, (base + ".step").str(),
                                   b.getFunctionType(inputs, results));
  for (unsigned n = 0; n < params.size(); ++n)
    step.setArgAttrs(n,
                     mlir::function_interface_impl::getArgAttrs(f, params[n]));
  Block *entry = step.addEntryBlock();
  b.setInsertionPointToStart(entry);
  unsigned at = 0;
  SmallVector<Value> paramValues, state, coeff, dataValues;
  for (size_t n = 0; n < params.size(); ++n)
    paramValues.push_back(entry->getArgument(at++));
  for (unsigned k = 0; k < buffers * floats.size(); ++k)
    state.push_back(entry->getArgument(at++));
  for (unsigned k = 0; k < coefficients; ++k)
    coeff.push_back(entry->getArgument(at++));
  for (size_t n = 0; n < data.size(); ++n)
    dataValues.push_back(entry->getArgument(at++));

  // The original argument order for the gradient function.
  SmallVector<Value> callArgs(f.getNumArguments());
  for (size_t n = 0; n < params.size(); ++n)
    callArgs[params[n]] = paramValues[n];
  for (size_t n = 0; n < data.size(); ++n)
    callArgs[data[n]] = dataValues[n];
  auto call = func::CallOp::create(b, loc, grad, callArgs);

  SmallVector<Value> newParams(paramValues), newState(state.size());
  auto c = [&](double v) { return scalarTensor(b, loc, elem, v); };
  for (size_t j = 0; j < floats.size(); ++j) {
    size_t n = llvm::find(params, floats[j]) - params.begin();
    Value p = paramValues[n];
    Value g = call.getResult(1 + j);
    Location ploc = loc;
    if (!adam) {
      // torch.optim.SGD: d_p = g + wd p; buf = momentum buf + d_p (the zero
      // initial buffer makes the first step buf = d_p, as torch's clone);
      // nesterov: d_p + momentum buf; p - lr d_p.
      if (wd != 0)
        g = AddOp::create(b, ploc, g, MulOp::create(b, ploc, p, c(wd)));
      if (momentum != 0) {
        Value buf = AddOp::create(
            b, ploc, MulOp::create(b, ploc, state[j], c(momentum)), g);
        newState[j] = buf;
        g = nesterov
                ? Value(AddOp::create(b, ploc, g,
                                      MulOp::create(b, ploc, buf, c(momentum))))
                : buf;
      }
      newParams[n] =
          SubOp::create(b, ploc, p, MulOp::create(b, ploc, g, coeff[0]));
      continue;
    }
    // torch.optim.Adam / AdamW (single-tensor path).
    if (kind == "adamw" && wd != 0)
      p = MulOp::create(b, ploc, p,
                        SubOp::create(b, ploc, c(1),
                                      MulOp::create(b, ploc, coeff[0], c(wd))));
    if (kind == "adam" && wd != 0)
      g = AddOp::create(b, ploc, g, MulOp::create(b, ploc, p, c(wd)));
    Value m = AddOp::create(b, ploc, MulOp::create(b, ploc, state[j], c(beta1)),
                            MulOp::create(b, ploc, g, c(1 - beta1)));
    Value v = AddOp::create(
        b, ploc, MulOp::create(b, ploc, state[floats.size() + j], c(beta2)),
        MulOp::create(b, ploc, MulOp::create(b, ploc, g, g), c(1 - beta2)));
    Value denom = AddOp::create(
        b, ploc, DivOp::create(b, ploc, SqrtOp::create(b, ploc, v), coeff[2]),
        c(eps));
    newParams[n] = SubOp::create(
        b, ploc, p,
        MulOp::create(b, ploc, DivOp::create(b, ploc, m, denom), coeff[1]));
    newState[j] = m;
    newState[floats.size() + j] = v;
  }
  // Buffers take their training-mode updates.
  if (auto updates = f->getAttrOfType<DenseI64ArrayAttr>("dl.updates"))
    for (auto [k, index] : llvm::enumerate(updates.asArrayRef())) {
      size_t n = llvm::find(params, unsigned(index)) - params.begin();
      newParams[n] = call.getResult(1 + floats.size() + k);
    }
  SmallVector<Value> returned = {call.getResult(0)};
  returned.append(newParams.begin(), newParams.end());
  returned.append(newState.begin(), newState.end());
  func::ReturnOp::create(b, loc, returned);
  // Every result after the loss replaces an argument: parameters first, then
  // the optimizer state (see dl-update-in-place).
  SmallVector<int64_t> inPlace;
  for (unsigned i = 0; i < params.size() + state.size(); ++i)
    inPlace.push_back(i);
  step->setAttr("dl.in_place", b.getDenseI64ArrayAttr(inPlace));
  return success();
}

struct DLMaterializeOptimizerPass
    : dl::impl::DLMaterializeOptimizerBase<DLMaterializeOptimizerPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> targets;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (f->hasAttr("dl.train"))
        targets.push_back(f);
    bool ok = true;
    for (func::FuncOp f : targets)
      ok &= succeeded(materialize(f));
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
