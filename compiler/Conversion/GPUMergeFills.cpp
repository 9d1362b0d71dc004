//===- GPUMergeFills.cpp - the fills of a function in few launches --------===//
//
// After dl-gpu-fuse-reductions, the fills left are those no reduction could
// take as its initial value: a split sum's or split tile's zeros (its warps
// or blocks add atomically), a scatter's. On the GPU each is a launch of its
// own, usually of a few thousand threads, right before its consumer. Here
// every fill nest (an scf.parallel from 0 by 1 storing a constant at its
// induction variables) moves up past the ops that neither define what it
// uses nor touch its buffer, and fills that then lie next to each other
// (host bookkeeping between) become one nest over the sum of their sizes:
// an iteration finds its fill by its offset and stores that fill's constant
// at the delinearised index. tiny_gpt's and bn_cnn's training steps have
// a fill before each weight gradient and bias gradient.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/BufferAccess.h"
#include "compiler/Conversion/GPUNests.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUMERGEFILLS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using dlc::buffers::rootOf;

namespace {

/// At most this many fills per launch (a kernel's parameters are limited to
/// 4 KiB: each fill passes its buffer's descriptor and its sizes).
constexpr size_t kMaxFills = 24;

/// The store of a fill nest: from 0 by 1, one store of a constant at the
/// induction variables, each once, and constant indices; or null.
memref::StoreOp fillStore(Operation *op) {
  auto nest = dyn_cast<scf::ParallelOp>(op);
  if (!nest || nest.getNumResults() != 0 ||
      !llvm::all_of(nest.getLowerBound(), isZeroInteger) ||
      !llvm::all_of(nest.getStep(), isOneInteger))
    return nullptr;
  Block *body = nest.getBody();
  auto store = dyn_cast<memref::StoreOp>(&body->front());
  if (!store || store->getNextNode() != body->getTerminator() ||
      !matchPattern(store.getValueToStore(), m_Constant()))
    return nullptr;
  // Each induction variable once; constants elsewhere (a unit dimension's
  // 0).
  llvm::SmallDenseSet<Value> seen;
  for (Value i : store.getIndices()) {
    if (matchPattern(i, m_Constant()))
      continue;
    if (!llvm::is_contained(nest.getInductionVars(), i) ||
        !seen.insert(i).second)
      return nullptr;
  }
  return seen.size() == nest.getNumLoops() ? store : nullptr;
}

/// Whether `op` (or an op inside it) uses a buffer whose root is `root`.
bool touches(Operation *op, Value root) {
  WalkResult r = op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (isa<BaseMemRefType>(v.getType()) && rootOf(v) == root)
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// Moves `op` (an allocation or an op free of memory effects) up past every
/// op that defines none of its operands, after moving those definitions of
/// the same kind up first.
void hoistDefinition(Operation *op) {
  if (op->getNumRegions() ||
      !(isMemoryEffectFree(op) || isa<memref::AllocOp>(op)))
    return;
  for (Value v : op->getOperands())
    if (Operation *def = v.getDefiningOp();
        def && def->getBlock() == op->getBlock())
      hoistDefinition(def);
  Operation *above = op->getPrevNode();
  while (above && llvm::none_of(above->getResults(), [&](Value r) {
           return llvm::is_contained(op->getOperands(), r);
         }))
    above = above->getPrevNode();
  if (above == op->getPrevNode())
    return;
  if (above)
    op->moveAfter(above);
  else
    op->moveBefore(&op->getBlock()->front());
}

/// Moves `fill` up past every op that defines nothing it uses and touches
/// nothing its buffer is part of; what it uses (its buffer's allocation,
/// its bounds) moves up first where it can.
void hoist(scf::ParallelOp fill, memref::StoreOp store) {
  Value root = rootOf(store.getMemRef());
  llvm::SetVector<Operation *> defs; // ordered: a deterministic output
  fill->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (Operation *def = v.getDefiningOp();
          def && def->getBlock() == fill->getBlock())
        defs.insert(def);
  });
  for (Operation *def : defs)
    hoistDefinition(def);
  Operation *above = fill->getPrevNode();
  while (above && !defs.contains(above) && !touches(above, root) &&
         !above->hasTrait<OpTrait::IsTerminator>())
    above = above->getPrevNode();
  if (above != fill->getPrevNode()) {
    if (above)
      fill->moveAfter(above);
    else
      fill->moveBefore(&fill->getBlock()->front());
  }
}

/// One nest for `fills` (in order), at the last one's place.
void merge(ArrayRef<scf::ParallelOp> fills) {
  scf::ParallelOp last = fills.back();
  OpBuilder b(last);
  Location loc = last.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> offsets = {zero};
  for (scf::ParallelOp fill : fills) {
    Value size = one;
    for (Value ub : fill.getUpperBound())
      size = arith::MulIOp::create(b, loc, size, ub);
    offsets.push_back(arith::AddIOp::create(b, loc, offsets.back(), size));
  }
  auto merged = scf::ParallelOp::create(
      b, loc, ValueRange{zero}, ValueRange{offsets.back()}, ValueRange{one});
  b.setInsertionPoint(merged.getBody()->getTerminator());
  Value i = merged.getInductionVars()[0];
  for (auto [k, member] : llvm::enumerate(fills)) {
    scf::ParallelOp fill = member;
    Value inside = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, i, offsets[k]),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i,
                              offsets[k + 1]));
    auto branch = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    // Row-major: the last dimension fastest, as the fill's own threads.
    IRMapping map;
    Value rest = arith::SubIOp::create(b, loc, i, offsets[k]);
    for (int64_t d = fill.getNumLoops() - 1; d >= 0; --d) {
      Value ub = fill.getUpperBound()[d];
      Value index = d > 0 ? arith::RemUIOp::create(b, loc, rest, ub) : rest;
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, ub);
      map.map(fill.getInductionVars()[d], index);
    }
    b.clone(*fillStore(fill), map);
  }
  for (scf::ParallelOp fill : fills)
    fill.erase();
}

struct GPUMergeFillsPass : dl::impl::GPUMergeFillsBase<GPUMergeFillsPass> {
  void runOnOperation() override {
    Block &body = getOperation().getBody().front();
    SmallVector<scf::ParallelOp> fills;
    for (Operation &op : body)
      if (memref::StoreOp store = fillStore(&op))
        fills.push_back(cast<scf::ParallelOp>(op));
    for (scf::ParallelOp fill : fills)
      hoist(fill, fillStore(fill));
    // Runs of fills with bookkeeping between.
    SmallVector<SmallVector<scf::ParallelOp>> runs;
    SmallVector<scf::ParallelOp> run;
    for (Operation &op : body) {
      if (fillStore(&op) && run.size() < kMaxFills) {
        run.push_back(cast<scf::ParallelOp>(op));
        continue;
      }
      if (fillStore(&op)) {
        runs.push_back(run);
        run = {cast<scf::ParallelOp>(op)};
        continue;
      }
      if (dlc::gpu::isTransparent(&op)) // host bookkeeping
        continue;
      if (run.size() > 1)
        runs.push_back(run);
      run.clear();
    }
    if (run.size() > 1)
      runs.push_back(run);
    for (ArrayRef<scf::ParallelOp> r : runs)
      if (r.size() > 1)
        merge(r);
  }
};

} // namespace
