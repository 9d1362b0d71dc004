//===- BufferAccess.cpp - which buffers an op reads and writes ------------===//
#include "compiler/Conversion/BufferAccess.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

Value dlc::buffers::rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

bool dlc::buffers::accesses(Operation *op, llvm::SmallPtrSetImpl<Value> &reads,
                            llvm::SmallPtrSetImpl<Value> &writes) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand &operand : op->getOpOperands())
      if (isa<MemRefType>(operand.get().getType()))
        (linalgOp.isDpsInit(&operand) ? writes : reads)
            .insert(rootOf(operand.get()));
    // The body's ops are pure (a payload of scalars).
    return true;
  }
  if (op->getNumRegions() != 0)
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> list;
  effects.getEffects(list);
  for (MemoryEffects::EffectInstance &e : list) {
    Value v = e.getValue();
    if (!v)
      return false; // on a resource, not a buffer
    if (isa<MemoryEffects::Read>(e.getEffect()))
      reads.insert(rootOf(v));
    else
      writes.insert(rootOf(v)); // write, free, allocate
  }
  return true;
}
