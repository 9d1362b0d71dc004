//===- GPUReductions.cpp - reduction loop nests on the GPU ----------------===//
#include "compiler/Conversion/GPUReductions.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace {
// Warp reductions of few outputs split each sum until the grid has about
// this many warps (an H100/H200 holds 64 per SM on 132 SMs; half of one
// wave), keeping at least this many steps per lane.
constexpr int64_t kTargetWarps = 4096, kMinStepsPerLane = 16;

/// The ops of `body` that `loop` depends on, in block order; false if one of
/// them has memory effects or regions.
bool collectLoopDeps(Block *body, scf::ForOp loop,
                     SmallVectorImpl<Operation *> &deps) {
  llvm::SetVector<Operation *> found;
  SmallVector<Value> work = {loop.getLowerBound(), loop.getUpperBound(),
                             loop.getStep()};
  loop.getBody()->walk([&](Operation *op) {
    for (Value v : op->getOperands())
      work.push_back(v);
  });
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != body || !found.insert(def))
      continue;
    if (def->getNumRegions() || !isMemoryEffectFree(def))
      return false;
    llvm::append_range(work, def->getOperands());
  }
  for (Operation &op : *body)
    if (found.contains(&op))
      deps.push_back(&op);
  return true;
}

/// `v`'s value, with every dynamic extent taken as
/// dlc::gpu::kAssumedDynamicExtent (the bound of a coalesced loop nest is a
/// product of extents, N * 100, as an affine.apply).
int64_t estimatedValue(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
    return c.value();
  if (auto mul = v.getDefiningOp<arith::MulIOp>())
    return estimatedValue(mul.getLhs()) * estimatedValue(mul.getRhs());
  if (auto apply = v.getDefiningOp<affine::AffineApplyOp>()) {
    AffineMap map = apply.getAffineMap();
    SmallVector<AffineExpr> dims, symbols;
    for (Value operand : apply.getDimOperands())
      dims.push_back(
          getAffineConstantExpr(estimatedValue(operand), v.getContext()));
    for (Value operand : apply.getSymbolOperands())
      symbols.push_back(
          getAffineConstantExpr(estimatedValue(operand), v.getContext()));
    AffineExpr e = map.getResult(0).replaceDimsAndSymbols(dims, symbols);
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return c.getValue();
  }
  return dlc::gpu::kAssumedDynamicExtent;
}

/// The trip count of `lb` to `ub` by `step`, estimated likewise.
int64_t estimatedTrips(Value lb, Value ub, Value step) {
  auto constant = [](Value v) -> std::optional<int64_t> {
    if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
      return c.value();
    return std::nullopt;
  };
  auto l = constant(lb), u = constant(ub), s = constant(step);
  if (l && u && s && *s > 0)
    return (*u - *l + *s - 1) / *s;
  if (l && s && *s > 0)
    return std::max<int64_t>((estimatedValue(ub) - *l + *s - 1) / *s, 1);
  return dlc::gpu::kAssumedDynamicExtent;
}
} // namespace

TypedAttr dlc::gpu::reductionIdentity(Operation *combine, Type type) {
  auto ft = dyn_cast<FloatType>(type);
  if (!ft || !ft.isF32())
    return nullptr;
  if (isa<arith::AddFOp>(combine))
    return FloatAttr::get(ft, 0.0);
  if (isa<arith::MaximumFOp>(combine))
    return FloatAttr::get(ft, -INFINITY);
  if (isa<arith::MinimumFOp>(combine))
    return FloatAttr::get(ft, INFINITY);
  return nullptr;
}

std::optional<dlc::gpu::Combine> dlc::gpu::matchCombine(scf::ForOp loop) {
  if (loop.getNumResults() != 1)
    return std::nullopt;
  for (Operation &op : loop.getBody()->without_terminator())
    if (op.getNumRegions() ||
        (!isMemoryEffectFree(&op) && !isa<memref::LoadOp>(&op)))
      return std::nullopt;
  Value acc = loop.getRegionIterArgs()[0];
  Value next = loop.getBody()->getTerminator()->getOperand(0);
  Operation *combine = next.getDefiningOp();
  if (!combine || combine->getBlock() != loop.getBody() ||
      combine->getNumOperands() != 2 ||
      !reductionIdentity(combine, next.getType()) || !acc.hasOneUse() ||
      *acc.getUsers().begin() != combine)
    return std::nullopt;
  Value contribution = combine->getOperand(combine->getOperand(0) == acc);
  if (contribution == acc)
    return std::nullopt;
  return Combine{combine, contribution};
}

std::optional<dlc::gpu::ReductionLoop>
dlc::gpu::matchReduction(scf::ParallelOp parallel) {
  Block *body = parallel.getBody();
  ReductionLoop r;
  unsigned reductions = 0;
  // Reduction loops (one result each), row loops (dl-gpu-fuse-reductions'
  // row epilogues: no results, straight-line bodies) and straight-line code
  // between them, whose values are scalars: dl-gpu-map-kernels passes them
  // from one of a warp's phases to the next as scf.if results.
  for (Operation &op : body->without_terminator()) {
    if (auto loop = dyn_cast<scf::ForOp>(&op)) {
      if (loop.getNumResults() != 0) {
        if (!matchCombine(loop))
          return std::nullopt;
        if (!r.loop)
          r.loop = loop;
        ++reductions;
        continue;
      }
      for (Operation &inner : loop.getBody()->without_terminator())
        if (inner.getNumRegions() ||
            (!isMemoryEffectFree(&inner) &&
             !isa<memref::LoadOp, memref::StoreOp>(inner)))
          return std::nullopt;
      continue;
    }
    if (op.getNumRegions() ||
        (!isMemoryEffectFree(&op) && !isa<memref::LoadOp, memref::StoreOp>(op)))
      return std::nullopt;
    for (Value v : op.getResults())
      if (!v.getType().isIntOrIndexOrFloat())
        return std::nullopt;
  }
  if (!r.loop)
    return std::nullopt;
  Combine c = *matchCombine(r.loop);
  r.combine = c.op;
  r.contribution = c.contribution;
  Value result = r.loop.getResult(0);
  for (Operation *user : result.getUsers()) {
    auto store = dyn_cast<memref::StoreOp>(user);
    if (store && store.getValueToStore() == result &&
        store->getBlock() == body) {
      r.store = store;
      break;
    }
  }
  if (!r.store)
    return std::nullopt;
  // A split sum's warps compute what the loop depends on unguarded.
  bool pureDeps = collectLoopDeps(body, r.loop, r.loopDeps);
  auto init = r.loop.getInitArgs()[0].getDefiningOp<memref::LoadOp>();
  r.splittable =
      pureDeps && reductions == 1 && init && init->getBlock() == body &&
      init->hasOneUse() && init.getMemRef() == r.store.getMemRef() &&
      init.getIndices() == r.store.getIndices() && result.hasOneUse() &&
      r.store->getNextNode() == body->getTerminator();
  return r;
}

int64_t dlc::gpu::reductionWarps(scf::ParallelOp parallel,
                                 const ReductionLoop &r) {
  int64_t outputs = 1;
  for (auto [lb, ub, step] :
       llvm::zip(parallel.getLowerBound(), parallel.getUpperBound(),
                 parallel.getStep()))
    outputs *= estimatedTrips(lb, ub, step);
  scf::ForOp loop = r.loop;
  int64_t length = estimatedTrips(loop.getLowerBound(), loop.getUpperBound(),
                                  loop.getStep());
  // Few outputs with long reductions leave the GPU idle one thread per
  // output (fc1's forward: 8192 threads, 12544 steps each); a warp per
  // output splits the reduction 32 ways and reads it coalesced. Fewer
  // outputs still (a convolution's 64 bias gradients over 50176 elements:
  // 64 warps) also split each sum over several warps, which add their
  // totals atomically (sums only: f32 atomic add is native).
  if (!((outputs < 32768 && length >= kWarp) || length >= 4096))
    return 0;
  if (!isa<arith::AddFOp>(r.combine) || !r.splittable)
    return 1;
  return std::clamp<int64_t>(
      llvm::divideCeil(kTargetWarps, outputs), 1,
      std::max<int64_t>(length / (kWarp * kMinStepsPerLane), 1));
}
