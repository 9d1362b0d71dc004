//===- GPUMapKernels.cpp - every loop nest becomes a GPU kernel -----------===//
//
// After bufferization and convert-linalg-to-parallel-loops, a function body is
// a straight line of host bookkeeping (allocations, views, dims, conditional
// deallocations) and compute (top-level scf.parallel nests, and scalar code:
// scf.for reductions, loads and stores of rank-0 buffers). The host cannot
// touch device memory, so all compute moves into gpu.launch regions:
//  - a top-level scf.parallel becomes one launch of ceil(N / 256) blocks of
//    256 threads over its N iterations, the last dimension fastest (adjacent
//    threads touch adjacent elements: coalesced accesses);
//  - one whose iterations are few and each a long reduction in a register
//    (dl-gpu-fuse-reductions' form, dlc::gpu::reductionWarps decides) gets a
//    warp per iteration, or several that add their sums atomically; a body
//    with several reductions (a softmax's maximum and sum) runs in phases
//    cut at them;
//  - a run of scalar compute becomes a one-thread launch;
//  - memref.alloc / dealloc become gpu.alloc / gpu.dealloc (device memory),
//    and constant globals are copied to device memory at function entry.
// Nested scf.parallel loops inside a kernel run sequentially per thread
// (scf-parallel-for-to-nested-fors, afterwards).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/GPUNests.h"
#include "compiler/Conversion/GPUReductions.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUMAPKERNELS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

constexpr int64_t kThreadsPerBlock = 256;
using dlc::gpu::isShapeBuffer;
using dlc::gpu::kWarp;

/// Whether `op` only does host bookkeeping: it reads and writes no buffer
/// contents, and every value it uses is available on the host.
bool isHostOp(Operation *op, const DenseSet<Value> &deviceValues) {
  for (Value v : op->getOperands())
    if (deviceValues.contains(v))
      return false;
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return isShapeBuffer(store.getMemRef());
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return isShapeBuffer(load.getMemRef());
  if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp, memref::DimOp,
          memref::ExtractAlignedPointerAsIndexOp, memref::GetGlobalOp,
          func::ReturnOp, ViewLikeOpInterface>(op))
    return true;
  if (op->getNumRegions() == 0)
    return isMemoryEffectFree(op);
  // Region ops (scf.if around a deallocation): host if everything inside is.
  bool host = true;
  op->walk([&](Operation *inner) {
    if (inner != op && !isa<scf::YieldOp>(inner) &&
        !isHostOp(inner, deviceValues))
      host = false;
  });
  return host;
}

/// Whether a host op must stay ordered with the compute around it.
bool ordersCompute(Operation *op) {
  if (isa<memref::DeallocOp, func::ReturnOp>(op))
    return true;
  return op->getNumRegions() != 0; // conditional deallocations
}

class KernelMapper {
public:
  KernelMapper(func::FuncOp fn) : fn(fn), b(fn.getContext()) {}

  LogicalResult run() {
    Block &body = fn.getBody().front();
    SmallVector<Operation *> ops;
    for (Operation &op : body)
      ops.push_back(&op);
    SmallVector<Operation *> serial;
    for (Operation *op : ops) {
      // A kernel already (dl-gpu-tile-contractions).
      if (isa<gpu::LaunchOp>(op)) {
        if (failed(flush(serial)))
          return failure();
        continue;
      }
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        if (failed(flush(serial)) || failed(mapParallel(loop)))
          return failure();
        continue;
      }
      if (!isHostOp(op, deviceValues)) {
        serial.push_back(op);
        for (Value r : op->getResults())
          deviceValues.insert(r);
        continue;
      }
      if (ordersCompute(op) && failed(flush(serial)))
        return failure();
    }
    if (failed(flush(serial)))
      return failure();
    moveAllocationsToDevice();
    return success();
  }

private:
  /// Builds `gpu.launch` at the builder's insertion point with a grid of
  /// `blocks` x `threads`.
  gpu::LaunchOp createLaunch(Location loc, Value blocks, Value threads) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto launch =
        gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(&launch.getBody().front());
    gpu::TerminatorOp::create(b, loc);
    return launch;
  }

  /// One thread runs `ops` in order.
  LogicalResult flush(SmallVector<Operation *> &ops) {
    if (ops.empty())
      return success();
    Operation *last = ops.back();
    b.setInsertionPointAfter(last);
    Value one = arith::ConstantIndexOp::create(b, last->getLoc(), 1);
    gpu::LaunchOp launch = createLaunch(last->getLoc(), one, one);
    Block &kernel = launch.getBody().front();
    for (Operation *op : ops)
      op->moveBefore(kernel.getTerminator());
    ops.clear();
    return checkContained(launch);
  }

  /// Values defined in a kernel cannot be used after it.
  LogicalResult checkContained(gpu::LaunchOp launch) {
    WalkResult r = launch.getBody().walk([&](Operation *op) {
      for (Value v : op->getResults())
        for (Operation *user : v.getUsers())
          if (!launch->isProperAncestor(user)) {
            op->emitError("internal error: a value computed on the GPU is "
                          "used by the host (dl-gpu-map-kernels)");
            return WalkResult::interrupt();
          }
      return WalkResult::advance();
    });
    return failure(r.wasInterrupted());
  }

  /// The trip count of each dimension of `loop` (into `trips`) and their
  /// product, computed on the host before `loop`.
  Value tripCounts(scf::ParallelOp loop, SmallVectorImpl<Value> &trips) {
    Location loc = loop.getLoc();
    Value total = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value span = arith::SubIOp::create(b, loc, ub, lb);
      Value trip = arith::CeilDivUIOp::create(b, loc, span, step);
      trips.push_back(trip);
      total = arith::MulIOp::create(b, loc, total, trip);
    }
    return total;
  }

  /// Guards the rest of the kernel with `id < total` (the tail block) and
  /// maps `loop`'s induction variables to iteration `id` inside the guard.
  void enterIteration(scf::ParallelOp loop, ArrayRef<Value> trips, Value id,
                      Value total, IRMapping &map) {
    Location loc = loop.getLoc();
    Value inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, id, total);
    auto guard = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
    b.setInsertionPoint(guard.thenBlock()->getTerminator());
    delinearize(loop, trips, id, map);
  }

  /// Maps `loop`'s induction variables to iteration `id` (row-major, the last
  /// dimension fastest).
  void delinearize(scf::ParallelOp loop, ArrayRef<Value> trips, Value id,
                   IRMapping &map) {
    Location loc = loop.getLoc();
    Value rest = id;
    for (int64_t d = static_cast<int64_t>(trips.size()) - 1; d >= 0; --d) {
      Value index = rest;
      if (d > 0) {
        index = arith::RemUIOp::create(b, loc, rest, trips[d]);
        rest = arith::DivUIOp::create(b, loc, rest, trips[d]);
      }
      Value iv = arith::AddIOp::create(
          b, loc, loop.getLowerBound()[d],
          arith::MulIOp::create(b, loc, index, loop.getStep()[d]));
      map.map(loop.getInductionVars()[d], iv);
    }
  }

  /// One thread per iteration of `loop`, or one warp per iteration when the
  /// iterations are few and each reduces over many elements.
  LogicalResult mapParallel(scf::ParallelOp loop) {
    if (loop.getNumResults() != 0)
      return loop.emitError(
          "internal error: scf.parallel with reductions cannot be mapped to "
          "the GPU");
    // A reduction in a register (dl-gpu-fuse-reductions): a thread per
    // output, or a warp (reductionWarps says which).
    if (std::optional<dlc::gpu::ReductionLoop> r =
            dlc::gpu::matchReduction(loop))
      if (int64_t warps = dlc::gpu::reductionWarps(loop, *r))
        return mapWarpReduction(loop, *r, warps);
    Location loc = loop.getLoc();
    b.setInsertionPoint(loop);
    // Trip counts and their product, on the host.
    SmallVector<Value> trips;
    Value total = tripCounts(loop, trips);
    Value threads = arith::ConstantIndexOp::create(b, loc, kThreadsPerBlock);
    Value blocks = arith::CeilDivUIOp::create(b, loc, total, threads);
    gpu::LaunchOp launch = createLaunch(loc, blocks, threads);

    Block &kernel = launch.getBody().front();
    b.setInsertionPoint(kernel.getTerminator());
    Value id = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                              launch.getBlockSizeX()),
        launch.getThreadIds().x);
    IRMapping map;
    enterIteration(loop, trips, id, total, map);
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
    loop.erase();
    return checkContained(launch);
  }

  /// One warp per iteration of `loop` (or `split` warps, each taking every
  /// split-th run of 32 elements): lane l reduces elements l, l + 32, ...
  /// of each reduction loop in a register, the warp combines the 32 partial
  /// results with shuffles, and every lane combines the total with the
  /// initial value and goes on with the iteration (or, split, lane 0 adds
  /// the total atomically). The order of the additions differs from the
  /// CPU's (floating-point results differ in rounding only).
  LogicalResult mapWarpReduction(scf::ParallelOp loop,
                                 dlc::gpu::ReductionLoop &r, int64_t split) {
    Location loc = loop.getLoc();
    b.setInsertionPoint(loop);
    SmallVector<Value> trips;
    Value total = tripCounts(loop, trips);
    Value threads = arith::ConstantIndexOp::create(b, loc, kThreadsPerBlock);
    Value warpsPerBlock =
        arith::ConstantIndexOp::create(b, loc, kThreadsPerBlock / kWarp);
    Value splits = arith::ConstantIndexOp::create(b, loc, split);
    Value warps =
        split > 1 ? arith::MulIOp::create(b, loc, total, splits) : total;
    Value blocks = arith::CeilDivUIOp::create(b, loc, warps, warpsPerBlock);
    gpu::LaunchOp launch = createLaunch(loc, blocks, threads);

    Block &kernel = launch.getBody().front();
    b.setInsertionPoint(kernel.getTerminator());
    Value warpSize = arith::ConstantIndexOp::create(b, loc, kWarp);
    Value tid = launch.getThreadIds().x;
    Value lane = arith::RemUIOp::create(b, loc, tid, warpSize);
    Value warp = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x, warpsPerBlock),
        arith::DivUIOp::create(b, loc, tid, warpSize));
    // The shuffles run in every warp of the block, live or not (the tail
    // block's idle warps contribute the identity): only what touches memory
    // is guarded, so that every thread of the block reaches the same
    // synchronisation points (what the CPU emulation of kernels needs, and
    // what CUDA asks of full-mask shuffles).
    IRMapping map;
    Lanes lanes;
    lanes.lane = lane;
    lanes.count = warpSize;
    lanes.first =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                              arith::ConstantIndexOp::create(b, loc, 0));
    if (split > 1) {
      Value id = arith::DivUIOp::create(b, loc, warp, splits);
      lanes.live =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, id, total);
      delinearize(loop, trips, id, map);
      // This warp's lanes are lanes part, part + 1, ... of split * 32.
      lanes.lane = arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(
              b, loc, arith::RemUIOp::create(b, loc, warp, splits), warpSize),
          lane);
      lanes.count = arith::MulIOp::create(b, loc, warpSize, splits);
      mapSplitSum(loop, r, lanes, map);
    } else {
      lanes.live =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, warp, total);
      delinearize(loop, trips, warp, map);
      mapWarpPhases(loop, lanes, map);
    }
    loop.erase();
    return checkContained(launch);
  }

  /// Where a warp's lanes stand: lane `lane` of `count` that split each
  /// reduction, live when the warp's iteration exists, `first` in the
  /// warp's lane 0.
  struct Lanes {
    Value lane, count, live, first;
  };

  /// This lane's part of reduction loop `reduction`: its elements, from
  /// the identity.
  Value lanePartial(scf::ForOp reduction, const dlc::gpu::Combine &combine,
                    const Lanes &lanes, IRMapping &map) {
    Location loc = reduction.getLoc();
    Value identity = arith::ConstantOp::create(
        b, loc,
        dlc::gpu::reductionIdentity(combine.op,
                                    reduction.getResult(0).getType()));
    Value step = map.lookupOrDefault(reduction.getStep());
    Value start = arith::AddIOp::create(
        b, loc, map.lookupOrDefault(reduction.getLowerBound()),
        arith::MulIOp::create(b, loc, lanes.lane, step));
    Value stride = arith::MulIOp::create(b, loc, step, lanes.count);
    auto partial = scf::ForOp::create(
        b, loc, start, map.lookupOrDefault(reduction.getUpperBound()), stride,
        ValueRange{identity},
        [&](OpBuilder &nb, Location l, Value k, ValueRange acc) {
          IRMapping inner = map;
          inner.map(reduction.getInductionVar(), k);
          for (Operation &op : reduction.getBody()->without_terminator())
            if (&op != combine.op)
              nb.clone(op, inner);
          Operation *next = nb.clone(*combine.op, inner);
          next->setOperands(
              {acc[0], inner.lookupOrDefault(combine.contribution)});
          scf::YieldOp::create(nb, l, next->getResult(0));
        });
    return partial.getResult(0);
  }

  /// The lanes' partial results combined by five xor shuffles: the total,
  /// in every lane.
  Value warpTotal(Value partial, const dlc::gpu::Combine &combine) {
    Location loc = partial.getLoc();
    Value value = partial;
    for (int32_t offset = kWarp / 2; offset > 0; offset /= 2) {
      auto other = gpu::ShuffleOp::create(b, loc, value, offset, kWarp,
                                          gpu::ShuffleMode::XOR);
      Operation *c = b.clone(*combine.op);
      c->setOperands({value, other.getShuffleResult()});
      value = c->getResult(0);
    }
    return value;
  }

  /// A sum split over several warps: what the loop depends on (free of
  /// memory effects) unguarded, the warp's total, and lane 0 of a live warp
  /// adds it to the output atomically (nothing follows the store).
  void mapSplitSum(scf::ParallelOp loop, dlc::gpu::ReductionLoop &r,
                   const Lanes &lanes, IRMapping &map) {
    Location loc = loop.getLoc();
    for (Operation *op : r.loopDeps)
      b.clone(*op, map);
    dlc::gpu::Combine combine{r.combine, r.contribution};
    Type type = r.loop.getResult(0).getType();
    auto live = scf::IfOp::create(b, loc, TypeRange{type}, lanes.live,
                                  /*withElse=*/true);
    b.setInsertionPointToStart(live.thenBlock());
    scf::YieldOp::create(b, loc, lanePartial(r.loop, combine, lanes, map));
    b.setInsertionPointToStart(live.elseBlock());
    scf::YieldOp::create(
        b, loc,
        arith::ConstantOp::create(b, loc,
                                  dlc::gpu::reductionIdentity(r.combine, type))
            .getResult());
    b.setInsertionPointAfter(live);
    Value value = warpTotal(live.getResult(0), combine);
    auto leader = scf::IfOp::create(
        b, loc, arith::AndIOp::create(b, loc, lanes.first, lanes.live),
        /*withElse=*/false);
    b.setInsertionPoint(leader.thenBlock()->getTerminator());
    Operation *init = r.loop.getInitArgs()[0].getDefiningOp();
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (llvm::is_contained(r.loopDeps, &op) || &op == init || &op == r.loop)
        continue;
      if (&op == r.store) {
        SmallVector<Value> indices;
        for (Value i : r.store.getIndices())
          indices.push_back(map.lookupOrDefault(i));
        memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, value,
                                    map.lookupOrDefault(r.store.getMemRef()),
                                    indices);
        continue;
      }
      b.clone(op, map);
    }
  }

  /// A warp per iteration, the body cut at its reduction loops into phases.
  /// Each phase runs in every lane of a live warp, ending in the lane's part
  /// of the reduction that follows it (guarded by an scf.if whose results
  /// carry that part and the values later phases use; idle warps yield the
  /// identity and zeros), lane 0 alone storing the iteration's own elements
  /// and the lanes splitting row loops 32 ways, as they split the
  /// reductions: a lane reads back only row elements it wrote itself. After
  /// each phase, unguarded, the shuffles and the total combined with the
  /// reduction's initial value.
  void mapWarpPhases(scf::ParallelOp loop, const Lanes &lanes, IRMapping &map) {
    Location loc = loop.getLoc();
    Block *body = loop.getBody();
    SmallVector<Operation *> phase;
    auto runPhase = [&](scf::ForOp reduction) {
      std::optional<dlc::gpu::Combine> combine;
      if (reduction)
        combine = dlc::gpu::matchCombine(reduction);
      DenseSet<Operation *> members(phase.begin(), phase.end());
      SmallVector<Value> liveOut;
      SmallVector<Type> types;
      for (Operation *op : phase)
        for (Value v : op->getResults())
          if (llvm::any_of(v.getUsers(), [&](Operation *user) {
                // The reduction's initial value is combined after it.
                Operation *at = body->findAncestorOpInBlock(*user);
                if (at == reduction)
                  return v == reduction.getInitArgs()[0];
                return !members.contains(at);
              })) {
            liveOut.push_back(v);
            types.push_back(v.getType());
          }
      if (reduction)
        types.push_back(reduction.getResult(0).getType());
      if (phase.empty() && !reduction)
        return;
      auto guard = scf::IfOp::create(b, loc, types, lanes.live,
                                     /*withElse=*/!types.empty());
      OpBuilder::InsertionGuard insertion(b);
      if (types.empty())
        b.setInsertionPoint(guard.thenBlock()->getTerminator());
      else
        b.setInsertionPointToStart(guard.thenBlock());
      for (Operation *op : phase)
        cloneInLane(op, lanes, map);
      phase.clear();
      if (types.empty())
        return;
      SmallVector<Value> results;
      for (Value v : liveOut)
        results.push_back(map.lookupOrDefault(v));
      if (reduction)
        results.push_back(lanePartial(reduction, *combine, lanes, map));
      scf::YieldOp::create(b, loc, results);
      b.setInsertionPointToStart(guard.elseBlock());
      SmallVector<Value> idle;
      for (Value v : liveOut)
        idle.push_back(
            arith::ConstantOp::create(b, loc, b.getZeroAttr(v.getType())));
      if (reduction)
        idle.push_back(arith::ConstantOp::create(
            b, loc, dlc::gpu::reductionIdentity(combine->op, types.back())));
      scf::YieldOp::create(b, loc, idle);
      for (auto [v, result] : llvm::zip(liveOut, guard.getResults()))
        map.map(v, result);
      if (!reduction)
        return;
      b.setInsertionPointAfter(guard);
      Value total = warpTotal(guard.getResults().back(), *combine);
      Operation *c = b.clone(*combine->op);
      c->setOperands({map.lookupOrDefault(reduction.getInitArgs()[0]), total});
      map.map(reduction.getResult(0), c->getResult(0));
    };
    for (Operation &op : body->without_terminator()) {
      auto reduction = dyn_cast<scf::ForOp>(&op);
      if (reduction && reduction.getNumResults() == 1)
        runPhase(reduction);
      else
        phase.push_back(&op);
    }
    runPhase(nullptr);
  }

  /// `op` of a warp's iteration, in a lane: a row loop over the lane's
  /// elements, a store of the iteration's own element by lane 0.
  void cloneInLane(Operation *op, const Lanes &lanes, IRMapping &map) {
    Location loc = op->getLoc();
    if (auto row = dyn_cast<scf::ForOp>(op)) {
      Value step = map.lookupOrDefault(row.getStep());
      Value start = arith::AddIOp::create(
          b, loc, map.lookupOrDefault(row.getLowerBound()),
          arith::MulIOp::create(b, loc, lanes.lane, step));
      auto strided = scf::ForOp::create(
          b, loc, start, map.lookupOrDefault(row.getUpperBound()),
          arith::MulIOp::create(b, loc, step, lanes.count));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(strided.getBody()->getTerminator());
      map.map(row.getInductionVar(), strided.getInductionVar());
      for (Operation &inner : row.getBody()->without_terminator())
        b.clone(inner, map);
      return;
    }
    if (isa<memref::StoreOp>(op)) {
      auto first = scf::IfOp::create(b, loc, lanes.first, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(first.thenBlock()->getTerminator());
      b.clone(*op, map);
      return;
    }
    b.clone(*op, map);
  }

  /// Buffers live in device memory; constant globals get a device copy.
  void moveAllocationsToDevice() {
    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::DeallocOp, memref::GetGlobalOp>(op) &&
          !op->getParentOfType<gpu::LaunchOp>()) {
        Value buffer =
            isa<memref::DeallocOp>(op) ? op->getOperand(0) : op->getResult(0);
        if (!isShapeBuffer(buffer))
          ops.push_back(op);
      }
    });
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        auto device = gpu::AllocOp::create(
            b, loc, alloc.getType(), /*asyncToken=*/Type(),
            /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands(), /*hostShared=*/false);
        alloc.replaceAllUsesWith(device.getMemref());
        alloc.erase();
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(),
                               dealloc.getMemref());
        dealloc.erase();
      } else if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
        auto type = cast<MemRefType>(global.getType());
        b.setInsertionPointAfter(global);
        auto device = gpu::AllocOp::create(b, loc, type, Type(), ValueRange(),
                                           ValueRange(), ValueRange(), false);
        b.setInsertionPointAfter(device);
        gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(),
                              device.getMemref(), global.getResult());
        global.getResult().replaceAllUsesExcept(device.getMemref(),
                                                device->getNextNode());
        // Freed before every return (a global is never returned: ownership
        // based deallocation returns a copy).
        fn.walk([&](func::ReturnOp ret) {
          b.setInsertionPoint(ret);
          gpu::DeallocOp::create(b, loc, Type(), ValueRange(),
                                 device.getMemref());
        });
      }
    }
  }

  func::FuncOp fn;
  OpBuilder b;
  DenseSet<Value> deviceValues;
};

struct GPUMapKernelsPass : dl::impl::GPUMapKernelsBase<GPUMapKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      if (!fn.getBody().hasOneBlock()) {
        fn.emitError("internal error: dl-gpu-map-kernels expects functions "
                     "with one block");
        return signalPassFailure();
      }
      if (failed(KernelMapper(fn).run()))
        return signalPassFailure();
    }
  }
};

} // namespace
