//===- GPUNests.cpp - top-level loop nests before dl-gpu-map-kernels ------===//
#include "compiler/Conversion/GPUNests.h"
#include "compiler/Conversion/BufferAccess.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using dlc::buffers::rootOf;

namespace dlc::gpu {

bool isShapeBuffer(Value buffer) {
  if (!buffer.getDefiningOp<memref::AllocOp>() &&
      !buffer.getDefiningOp<memref::AllocaOp>() &&
      !buffer.getDefiningOp<memref::GetGlobalOp>())
    return false;
  bool shapeUse = false;
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    if (!isa<func::FuncOp>(user->getParentOp()))
      return false;
    if (auto reshape = dyn_cast<memref::ReshapeOp>(user)) {
      if (reshape.getShape() != buffer)
        return false;
      shapeUse = true;
    } else if (auto store = dyn_cast<memref::StoreOp>(user)) {
      if (store.getMemRef() != buffer)
        return false;
    } else if (!isa<memref::DeallocOp, memref::LoadOp>(user)) {
      return false;
    }
  }
  return shapeUse;
}

std::optional<Access> accessOf(Operation *op) {
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return Access{load.getMemRef(), llvm::to_vector(load.getIndices()), false};
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return Access{store.getMemRef(), llvm::to_vector(store.getIndices()), true};
  return std::nullopt;
}

bool sameValue(Value a, Value b) {
  if (a == b)
    return true;
  std::optional<int64_t> x = getConstantIntValue(a), y = getConstantIntValue(b);
  if (x || y)
    return x && y && *x == *y;
  // Each nest reads its bounds off the buffers (no CSE has run yet).
  auto dx = a.getDefiningOp<memref::DimOp>(),
       dy = b.getDefiningOp<memref::DimOp>();
  return dx && dy && dx.getSource() == dy.getSource() &&
         sameValue(dx.getIndex(), dy.getIndex());
}

/// Whether `a` and `b` iterate over the same space.
bool sameSpace(scf::ParallelOp a, scf::ParallelOp b) {
  if (a.getNumLoops() != b.getNumLoops())
    return false;
  for (unsigned i = 0; i < a.getNumLoops(); ++i)
    if (!sameValue(a.getLowerBound()[i], b.getLowerBound()[i]) ||
        !sameValue(a.getUpperBound()[i], b.getUpperBound()[i]) ||
        !sameValue(a.getStep()[i], b.getStep()[i]))
      return false;
  return true;
}

/// Whether `a` (with `map` applied: another nest's induction variables to
/// this one's) and `b` are the same indices.
bool sameIndices(ArrayRef<Value> a, ArrayRef<Value> b, const IRMapping &map) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (!sameValue(map.lookupOrDefault(x), y))
      return false;
  return true;
}

/// A load or store of a shape buffer, or a reshape reading one.
bool isShapeAccess(Operation *op) {
  if (auto reshape = dyn_cast<memref::ReshapeOp>(op))
    return isShapeBuffer(reshape.getShape());
  std::optional<Access> a = accessOf(op);
  return a && isa<func::FuncOp>(op->getParentOp()) && isShapeBuffer(a->memref);
}

/// Host bookkeeping that a nest may move across.
bool isTransparent(Operation *op) {
  return (op->getNumRegions() == 0 && isMemoryEffectFree(op)) ||
         isa<memref::AllocOp>(op) || isShapeAccess(op);
}

/// A memref.dealloc, or an scf.if of deallocations (ownership-based
/// deallocation frees conditionally).
bool isDeallocation(Operation *op) {
  if (isa<memref::DeallocOp>(op))
    return true;
  auto branch = dyn_cast<scf::IfOp>(op);
  if (!branch || branch.getNumResults() != 0)
    return false;
  WalkResult r = branch->walk([&](Operation *inner) {
    if (inner == op || isa<memref::DeallocOp, scf::YieldOp>(inner))
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  return !r.wasInterrupted();
}

/// Whether a nest's body is straight-line element code: loads, stores, ops
/// free of memory effects.
bool isElementwise(scf::ParallelOp nest) {
  if (nest.getNumResults() != 0)
    return false;
  for (Operation &op : nest.getBody()->without_terminator())
    if (op.getNumRegions() ||
        (!isMemoryEffectFree(&op) && !isa<memref::LoadOp, memref::StoreOp>(op)))
      return false;
  return true;
}

/// Whether two loops run over the same range.
bool sameRange(scf::ForOp a, scf::ForOp b) {
  return sameValue(a.getLowerBound(), b.getLowerBound()) &&
         sameValue(a.getUpperBound(), b.getUpperBound()) &&
         sameValue(a.getStep(), b.getStep());
}

IRMapping inductionMap(scf::ParallelOp from, scf::ParallelOp to) {
  IRMapping map;
  for (auto [x, y] : llvm::zip(from.getInductionVars(), to.getInductionVars()))
    map.map(x, y);
  return map;
}

/// Whether the host can compute `v`: built from function arguments and
/// constants by ops free of memory effects (a batch size as a float).
bool isHostValue(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return isa<func::FuncOp>(arg.getOwner()->getParentOp());
  Operation *def = v.getDefiningOp();
  return def->getNumRegions() == 0 && isMemoryEffectFree(def) &&
         llvm::all_of(def->getOperands(), isHostValue);
}

} // namespace dlc::gpu
