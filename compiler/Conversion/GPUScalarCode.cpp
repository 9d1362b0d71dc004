//===- GPUScalarCode.cpp - scalar code as nests of one iteration ----------===//
//
// dlc-gpu-map-kernels runs the compute it finds outside nests (loads and
// stores of rank-0 buffers, a loop summing into one) in a one-thread
// kernel. Two steps of dl-gpu-fuse-reductions leave it less: a rank-0
// buffer that only holds a value the host computes is read as that value,
// and a sum into a rank-0 buffer becomes a nest of one iteration, which
// the pass then treats as any reduction's (promoted, a warp's).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/BufferAccess.h"
#include "compiler/Conversion/GPUNests.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using dlc::buffers::rootOf;

namespace dlc::gpu {

/// A rank-0 buffer stored once, outside kernels, with a value the host
/// computes, and read only after it: the loads read the value (a kernel
/// argument), the buffer goes (dl-gpu-map-kernels would launch a thread to
/// store it).
void forwardHostScalars(Block &body) {
  SmallVector<memref::AllocOp> allocs(body.getOps<memref::AllocOp>());
  for (memref::AllocOp alloc : allocs) {
    if (alloc.getType().getRank() != 0)
      continue;
    memref::StoreOp store;
    SmallVector<memref::LoadOp> loads;
    SmallVector<Operation *> deallocs;
    bool onlyThese = true;
    for (Operation *user : alloc->getUsers()) {
      auto s = dyn_cast<memref::StoreOp>(user);
      if (s && s.getMemRef() == alloc && s->getBlock() == &body && !store)
        store = s;
      else if (auto load = dyn_cast<memref::LoadOp>(user))
        loads.push_back(load);
      else if (isa<memref::DeallocOp>(user))
        deallocs.push_back(user);
      else
        onlyThese = false;
    }
    if (!onlyThese || !store || !isHostValue(store.getValueToStore()) ||
        llvm::any_of(loads, [&](memref::LoadOp load) {
          Operation *at = body.findAncestorOpInBlock(*load);
          return !at || !store->isBeforeInBlock(at);
        }))
      continue;
    for (memref::LoadOp load : loads) {
      load.replaceAllUsesWith(store.getValueToStore());
      load.erase();
    }
    store.erase();
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    alloc.erase();
  }
}

/// A sum into a rank-0 buffer outside any nest (a mean over the batch)
/// would run in one thread of its own, with the scalar code around it. It
/// becomes a nest of one iteration, `scf.parallel (%u) = (0) to (1)`, with
/// the stores of host values just before it (the accumulator's initial
/// value) and the scalar code after it up to the next nest, loop or
/// deallocation (the division by the count); host bookkeeping in that
/// range moves above it. Then the loop is promoted like any reduction's,
/// loads of what the nest stored read the stored value, and
/// dl-gpu-map-kernels gives it a warp. Left alone when a value it computes
/// is used outside it, or when a load in it may read an element an earlier
/// store of it wrote through another view or indices (a warp's lane 0
/// stores; only forwarded values are safe to read).
void wrapScalarReduction(scf::ForOp loop) {
  if (loop.getNumResults() != 0)
    return;
  // Loops (a sum over several dimensions: promote() coalesces them) and
  // straight-line code storing to rank-0 buffers only.
  bool stores = false;
  WalkResult scalar = loop.getBody()->walk([&](Operation *op) {
    if (auto inner = dyn_cast<scf::ForOp>(op))
      return inner.getNumResults() ? WalkResult::interrupt()
                                   : WalkResult::advance();
    if (isa<scf::YieldOp>(op))
      return WalkResult::advance();
    if (op->getNumRegions() ||
        (!isMemoryEffectFree(op) && !isa<memref::LoadOp, memref::StoreOp>(op)))
      return WalkResult::interrupt();
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (store.getMemRefType().getRank() != 0)
        return WalkResult::interrupt();
      stores = true;
    }
    return WalkResult::advance();
  });
  if (scalar.wasInterrupted() || !stores)
    return;
  SmallVector<Operation *> wrapped, hoisted;
  for (Operation *op = loop->getPrevNode(); op; op = op->getPrevNode()) {
    auto store = dyn_cast<memref::StoreOp>(op);
    if (store && isHostValue(store.getValueToStore()) && !isShapeAccess(op)) {
      wrapped.insert(wrapped.begin(), op);
      continue;
    }
    if (!isTransparent(op))
      break;
  }
  wrapped.push_back(loop);
  DenseSet<Value> produced;
  for (Operation *op = loop->getNextNode();
       op && !op->hasTrait<OpTrait::IsTerminator>(); op = op->getNextNode()) {
    bool usesWrapped = llvm::any_of(
        op->getOperands(), [&](Value v) { return produced.contains(v); });
    if (isShapeAccess(op) && !usesWrapped) {
      hoisted.push_back(op);
      continue;
    }
    if (!op->getNumRegions() && (isa<memref::LoadOp, memref::StoreOp>(op) ||
                                 (usesWrapped && isMemoryEffectFree(op)))) {
      wrapped.push_back(op);
      produced.insert(op->getResults().begin(), op->getResults().end());
      continue;
    }
    if (isTransparent(op) && !usesWrapped) {
      hoisted.push_back(op);
      continue;
    }
    break;
  }
  Block &body = *loop->getBlock();
  DenseSet<Operation *> inside(wrapped.begin(), wrapped.end());
  for (Operation *op : wrapped)
    for (Operation *user : op->getUsers())
      if (!inside.contains(body.findAncestorOpInBlock(*user)))
        return;
  // Loads after stores to the same buffer: the same element, so forwarded
  // (the loop's own accumulators aside: promoted).
  DenseSet<Value> accumulators;
  loop.getBody()->walk([&](memref::StoreOp store) {
    accumulators.insert(rootOf(store.getMemRef()));
  });
  SmallVector<Access> storedBefore;
  bool safe = true;
  auto visit = [&](Operation *op, bool inLoop) {
    std::optional<Access> a = accessOf(op);
    if (!a || (inLoop && accumulators.contains(rootOf(a->memref))))
      return;
    if (a->write) {
      storedBefore.push_back(*a);
      return;
    }
    IRMapping identity;
    for (const Access &s : storedBefore)
      if (rootOf(s.memref) == rootOf(a->memref) &&
          (s.memref != a->memref ||
           !sameIndices(s.indices, a->indices, identity)))
        safe = false;
  };
  for (Operation *op : wrapped) {
    if (op == loop.getOperation())
      loop.getBody()->walk([&](Operation *inner) { visit(inner, true); });
    else
      visit(op, false);
  }
  if (!safe)
    return;

  for (Operation *op : hoisted)
    op->moveBefore(loop);
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto unit = scf::ParallelOp::create(b, loc, ValueRange{zero}, ValueRange{one},
                                      ValueRange{one});
  for (Operation *op : wrapped)
    op->moveBefore(unit.getBody()->getTerminator());
}

} // namespace dlc::gpu
