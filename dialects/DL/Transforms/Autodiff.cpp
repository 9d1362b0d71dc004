//===- Autodiff.cpp - reverse-mode differentiation of dl functions --------===//
//
// Source transformation, as in Enzyme or JAX's linearize + transpose: the
// gradient function is ordinary dl IR that later passes fuse and lower like
// any other. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "dialects/DL/IR/DLOps.h"
#include "dialects/DL/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLAUTODIFF
#include "dialects/DL/Transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

bool isFloatTensor(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && isa<FloatType>(r.getElementType());
}

Value zerosOf(OpBuilder &b, Location loc, Type type) {
  auto t = cast<RankedTensorType>(type);
  return ConstantOp::create(
      b, loc,
      cast<ElementsAttr>(DenseElementsAttr::get(
          t, b.getFloatAttr(t.getElementType(), 0.0).getValue())));
}

/// The `.grad` function of a marked function: every float parameter.
LogicalResult differentiateParams(func::FuncOp f) {
  SmallVector<unsigned> wrt;
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    if (f.getArgAttr(i, "dl.param") &&
        isFloatTensor(f.getArgument(i).getType()))
      wrt.push_back(i);
  return success(buildGradientFunction(f, wrt, (f.getName() + ".grad").str()) !=
                 nullptr);
}

} // namespace

func::FuncOp dl::buildGradientFunction(func::FuncOp f, ArrayRef<unsigned> wrt,
                                       StringRef name) {
  FunctionType type = f.getFunctionType();
  if (type.getNumResults() == 0 || !isFloatTensor(type.getResult(0)) ||
      cast<RankedTensorType>(type.getResult(0)).getRank() != 0 ||
      (type.getNumResults() > 1 && !f->hasAttr("dl.updates"))) {
    f.emitError("only functions returning one float scalar can be "
                "differentiated; '")
        << f.getName() << "' returns " << type.getResults();
    return nullptr;
  }
  if (!f.getBody().hasOneBlock()) {
    f.emitError("cannot differentiate a function with control flow");
    return nullptr;
  }

  SmallVector<Type> results = {type.getResult(0)};
  for (unsigned i : wrt)
    results.push_back(f.getArgument(i).getType());
  // A training-mode function's state updates pass through, undifferentiated.
  for (Type t : type.getResults().drop_front())
    results.push_back(t);
  OpBuilder b(f);
  b.setInsertionPointAfter(f);
  auto g = func::FuncOp::create(b, f.getLoc(), name,
                                b.getFunctionType(type.getInputs(), results));
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    g.setArgAttrs(i, mlir::function_interface_impl::getArgAttrs(f, i));
  Block *entry = g.addEntryBlock();
  IRMapping map;
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    map.map(f.getArgument(i), entry->getArgument(i));
  b.setInsertionPointToStart(entry);
  auto ret = cast<func::ReturnOp>(f.front().getTerminator());
  SmallVector<Operation *> forward;
  for (Operation &op : f.front().without_terminator())
    forward.push_back(b.clone(op, map));
  Value out = map.lookup(ret.getOperand(0));

  // Forward activity: depends on a parameter and is a float.
  DenseSet<Value> active;
  for (unsigned i : wrt)
    active.insert(entry->getArgument(i));
  for (Operation *op : forward) {
    bool dependent = llvm::any_of(op->getOperands(),
                                  [&](Value v) { return active.contains(v); });
    if (!dependent)
      continue;
    for (Value r : op->getResults())
      if (isFloatTensor(r.getType()))
        active.insert(r);
  }

  // Backward: adjoints, accumulated where a value fans out.
  DenseMap<Value, Value> adjoint;
  Location retLoc = ret.getLoc();
  if (active.contains(out)) {
    auto t = cast<RankedTensorType>(out.getType());
    adjoint[out] = ConstantOp::create(
        b, retLoc,
        cast<ElementsAttr>(DenseElementsAttr::get(
            t, b.getFloatAttr(t.getElementType(), 1.0).getValue())));
  }
  bool ok = true;
  for (Operation *op : llvm::reverse(forward)) {
    if (op->getNumResults() != 1)
      continue;
    Value r = op->getResult(0);
    auto it = adjoint.find(r);
    if (it == adjoint.end() || !active.contains(r))
      continue;
    auto rule = dyn_cast<VJPOpInterface>(op);
    if (!rule) {
      op->emitError("'") << op->getName()
                         << "' has no derivative rule (needed for the "
                            "gradient of '"
                         << f.getName() << "')";
      ok = false;
      continue;
    }
    SmallVector<Value> operandAdjoints;
    if (failed(rule.buildVJP(b, it->second, operandAdjoints))) {
      ok = false;
      continue;
    }
    for (auto [operand, adj] : llvm::zip(op->getOperands(), operandAdjoints)) {
      if (!adj || !active.contains(operand))
        continue;
      auto [slot, inserted] = adjoint.try_emplace(operand, adj);
      if (!inserted)
        slot->second = AddOp::create(b, op->getLoc(), slot->second, adj);
    }
  }
  if (!ok) {
    g.erase();
    return nullptr;
  }
  SmallVector<Value> values = {out};
  for (unsigned i : wrt) {
    Value arg = entry->getArgument(i);
    Value adj = adjoint.lookup(arg);
    values.push_back(adj ? adj : zerosOf(b, retLoc, arg.getType()));
  }
  for (Value aux : ret.getOperands().drop_front())
    values.push_back(map.lookup(aux));
  func::ReturnOp::create(b, retLoc, values);
  return g;
}

namespace {

/// Replaces each dl.grad with a call of a (shared, private) gradient
/// function of its callee with respect to the one operand.
LogicalResult materializeGradOps(ModuleOp module) {
  SmallVector<GradOp> uses;
  module.walk([&](GradOp op) { uses.push_back(op); });
  llvm::StringMap<func::FuncOp> made;
  bool ok = true;
  for (GradOp op : uses) {
    auto callee = module.lookupSymbol<func::FuncOp>(op.getCallee());
    if (!callee) {
      op.emitOpError("calls unknown function @") << op.getCallee();
      ok = false;
      continue;
    }
    auto wrt = static_cast<unsigned>(op.getWrt());
    std::string name = (callee.getName() + ".d" + Twine(wrt)).str();
    func::FuncOp g = made.lookup(name);
    if (!g) {
      g = buildGradientFunction(callee, {wrt}, name);
      if (!g) {
        ok = false;
        continue;
      }
      g.setPrivate(); // inlined into its users, then dropped
      made[name] = g;
    }
    OpBuilder b(op);
    auto call = func::CallOp::create(b, op.getLoc(), g, op.getOperands());
    Value result = call.getResult(1);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(b, op.getLoc(), op.getType(), result);
    op.replaceAllUsesWith(result);
    op.erase();
  }
  return success(ok);
}

struct DLAutodiffPass : dl::impl::DLAutodiffBase<DLAutodiffPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> targets;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (f->hasAttr("dl.differentiate"))
        targets.push_back(f);
    bool ok = true;
    // Report every function's problems before failing.
    for (func::FuncOp f : targets)
      ok &= succeeded(differentiateParams(f));
    ok &= succeeded(materializeGradOps(getOperation()));
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
