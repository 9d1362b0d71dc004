//===- GPUEmulate.cpp - run GPU kernels on the CPU, for tests -------------===//
//
// The GPU target's kernel mapping (dl-gpu-map-kernels, dl-gpu-tile-
// contractions) decides which thread reads and writes what, where blocks
// synchronise and how warps combine partial sums. None of that can be run
// on a machine without a GPU, so it would go untested where CI runs. This
// pass makes the same kernels run on the CPU, with the semantics CUDA gives
// them, so that `--target cuda-emulator` can be compared against the CPU
// target (dlc compare-targets) on any machine:
//  - every gpu.launch becomes loops over its blocks (sequential: blocks are
//    independent by CUDA's rules, so any order is one the GPU could take);
//  - within a block, the threads run as a loop between every two barriers
//    (barrier fission: each thread runs up to the barrier before any goes
//    on, one schedule a GPU could take). Values live across a barrier are
//    kept per thread in arrays of blockDim elements, as are the iteration
//    arguments of an scf.for with barriers inside (its bounds are the same
//    for every thread, as CUDA requires); barriers elsewhere (inside an
//    scf.if) are refused;
//  - a shuffle writes its value to a per-block buffer, passes a barrier,
//    reads its source lane's value, passes another; a tensor-core mma.sync
//    likewise, each lane then computing its accumulators from the warp's
//    fragments;
//  - workgroup (shared) buffers are host buffers, gpu.alloc / dealloc /
//    memcpy host allocations and copies.
// No threads: deterministic, and fast enough for CI. One schedule hides
// one kind of race, a barrier missing at the end of a loop body (every
// thread ends an iteration before any starts the next): such a loop whose
// end and start touch the same workgroup buffer is refused (checkBackEdge).
// Races through global memory (one thread or block reading what another
// writes) do not show in one order; `reverse` runs blocks and threads last
// to first, so that comparing both orders with the CPU exposes them.
// Only the lowering to NVVM and the CUDA driver are left out; those are
// tested by ptxas and by the fake driver (test/gpu).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUEMULATE
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// Host memory in place of device memory.
void replaceDeviceMemory(ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp>(op))
      ops.push_back(op);
  });
  OpBuilder b(module.getContext());
  for (Operation *op : ops) {
    b.setInsertionPoint(op);
    if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
      auto host = memref::AllocOp::create(b, op->getLoc(), alloc.getType(),
                                          alloc.getDynamicSizes(),
                                          alloc.getSymbolOperands());
      alloc.getMemref().replaceAllUsesWith(host.getResult());
    } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
      memref::DeallocOp::create(b, op->getLoc(), dealloc.getMemref());
    } else if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
      memref::CopyOp::create(b, op->getLoc(), copy.getSrc(), copy.getDst());
    }
    op->erase();
  }
}

/// Runs a `gpu.launch` as loops: blocks one after the other, and within a
/// block the threads as a loop between every two barriers (barrier fission:
/// a loop over all threads runs the code up to a barrier for each thread in
/// turn, so every thread has reached the barrier before any goes on). A
/// value computed before a barrier and used after it is kept per thread in
/// an array of blockDim elements; so are the iteration arguments of an
/// scf.for that contains barriers (its bounds are the same for every
/// thread, as CUDA requires: thread 0's are used).
class LaunchEmulator {
public:
  LaunchEmulator(gpu::LaunchOp launch, bool reverse)
      : launch(launch), b(launch), reverse(reverse) {}

  LogicalResult run() {
    if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
      return launch.emitError("dl-gpu-emulate: asynchronous launches are not "
                              "emulated (run it before gpu-async-region)");
    if (!launch.getPrivateAttributions().empty())
      return launch.emitError(
          "dl-gpu-emulate: private attributions are not emulated");
    Region &body = launch.getBody();
    if (!body.hasOneBlock())
      return launch.emitError("dl-gpu-emulate: kernels with several blocks "
                              "are not emulated");
    Location loc = launch.getLoc();
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    block = launch.getBlockSizeOperandValues();
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    one = arith::ConstantIndexOp::create(b, loc, 1);
    threads = arith::MulIOp::create(
        b, loc, block.x, arith::MulIOp::create(b, loc, block.y, block.z));
    // Constants are the same for every thread: before the loops.
    for (Operation &op :
         llvm::make_early_inc_range(body.front().without_terminator()))
      if (op.hasTrait<OpTrait::ConstantLike>())
        op.moveBefore(launch);
    if (failed(lowerShuffles()) || failed(lowerMmas()))
      return failure();

    // Shared memory: one host buffer per attribution, reused by every block
    // (a block's shared memory starts undefined on the GPU too).
    for (BlockArgument shared : launch.getWorkgroupAttributions()) {
      auto type = cast<MemRefType>(shared.getType());
      auto host = MemRefType::get(type.getShape(), type.getElementType());
      Value buffer = memref::AllocOp::create(b, loc, host);
      buffers.push_back(buffer);
      uniform.map(shared, buffer);
    }
    gpu::KernelDim3 gridArgs = launch.getGridSize(),
                    blockArgs = launch.getBlockSize();
    for (auto [arg, value] : {std::pair{gridArgs.x, grid.x},
                              {gridArgs.y, grid.y},
                              {gridArgs.z, grid.z},
                              {blockArgs.x, block.x},
                              {blockArgs.y, block.y},
                              {blockArgs.z, block.z}})
      uniform.map(arg, value);
    gpu::KernelDim3 ids = launch.getBlockIds();
    for (auto [size, id] :
         {std::pair{grid.z, ids.z}, {grid.y, ids.y}, {grid.x, ids.x}}) {
      auto loop = scf::ForOp::create(b, loc, zero, size, one);
      // Per-thread arrays are allocated before the block loops.
      if (!arraysBefore)
        arraysBefore = loop;
      b.setInsertionPointToStart(loop.getBody());
      uniform.map(id, inOrder(loop.getInductionVar(), size));
    }
    if (failed(emitBlock(body.front())))
      return failure();

    b.setInsertionPointAfter(launch);
    for (Value buffer : buffers)
      memref::DeallocOp::create(b, loc, buffer);
    launch.erase();
    return success();
  }

private:
  /// Iteration `i` of a loop over `n` blocks or threads: `i`, or the
  /// `i`-th from the end.
  Value inOrder(Value i, Value n) {
    if (!reverse)
      return i;
    Location loc = launch.getLoc();
    return arith::SubIOp::create(b, loc, arith::SubIOp::create(b, loc, n, one),
                                 i);
  }

  /// A shuffle becomes: write the value to a per-block buffer at the
  /// thread's index, barrier, read the source lane's, barrier (nobody
  /// overwrites the buffer before every thread has read it).
  LogicalResult lowerShuffles() {
    SmallVector<gpu::ShuffleOp> shuffles;
    launch.getBody().walk([&](gpu::ShuffleOp s) { shuffles.push_back(s); });
    if (shuffles.empty())
      return success();
    DenseMap<Type, Value> scratch;
    for (gpu::ShuffleOp s : shuffles) {
      Type type = s.getValue().getType();
      if (!scratch.count(type))
        scratch[type] = newArray(type);
    }
    for (gpu::ShuffleOp shuffle : shuffles) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(shuffle);
      Location loc = shuffle.getLoc();
      Value linear = linearThreadId(loc);
      Value width = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                               shuffle.getWidth());
      Value offset = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                shuffle.getOffset());
      Value lane = arith::RemUIOp::create(b, loc, linear, width);
      Value first = arith::SubIOp::create(b, loc, linear, lane);
      Value source;
      Value valid = arith::ConstantIntOp::create(b, loc, 1, 1);
      switch (shuffle.getMode()) {
      case gpu::ShuffleMode::XOR:
        source = arith::XOrIOp::create(b, loc, lane, offset);
        break;
      case gpu::ShuffleMode::DOWN:
        source = arith::AddIOp::create(b, loc, lane, offset);
        valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, source,
                                      width);
        break;
      default:
        return shuffle.emitError("dl-gpu-emulate: only xor and down "
                                 "shuffles are emulated");
      }
      // An invalid source reads the thread's own value (CUDA's result).
      source = arith::SelectOp::create(b, loc, valid, source, lane);
      Value buffer = scratch.lookup(shuffle.getValue().getType());
      memref::StoreOp::create(b, loc, shuffle.getValue(), buffer, linear);
      gpu::BarrierOp::create(b, loc);
      Value other = memref::LoadOp::create(
          b, loc, buffer,
          ValueRange{arith::AddIOp::create(b, loc, first, source)});
      gpu::BarrierOp::create(b, loc);
      shuffle.getShuffleResult().replaceAllUsesWith(other);
      shuffle.getValid().replaceAllUsesWith(valid);
      shuffle.erase();
    }
    return success();
  }

  /// The linear index of the thread in its block.
  Value linearThreadId(Location loc) {
    gpu::KernelDim3 tids = launch.getThreadIds(), size = launch.getBlockSize();
    return arith::AddIOp::create(
        b, loc, tids.x,
        arith::MulIOp::create(
            b, loc, size.x,
            arith::AddIOp::create(
                b, loc, tids.y,
                arith::MulIOp::create(b, loc, size.y, tids.z))));
  }

  /// An nvgpu.mma.sync m16n8k8 on TF32 (the only form dl-gpu-tile-
  /// contractions makes) becomes: each lane writes its A (4) and B (2)
  /// fragment values to per-thread arrays, barrier, each lane computes its
  /// four accumulators from the warp's values, barrier. Lane l = 4 g + t
  /// holds A[g + 8 (i % 2)][t + 4 (i / 2)] in a_i, B[t + 4 i][g] in b_i and
  /// D[g + 8 (i / 2)][2 t + i % 2] in d_i (PTX ISA, "Matrix Fragments for
  /// mma.m16n8k8", .tf32). A and B are read as TF32, their 13 low mantissa
  /// bits cleared: a no-op for the tiles, which give mma.sync TF32 values
  /// only (what the hardware makes of other bits is not assumed). The
  /// products of TF32 values are exact in f32; the sums are f32 in order k.
  LogicalResult lowerMmas() {
    SmallVector<nvgpu::MmaSyncOp> mmas;
    launch.getBody().walk([&](nvgpu::MmaSyncOp m) { mmas.push_back(m); });
    if (mmas.empty())
      return success();
    Type f32 = b.getF32Type();
    auto aType = VectorType::get({4, 1}, f32);
    auto bType = VectorType::get({2, 1}, f32);
    auto cType = VectorType::get({2, 2}, f32);
    for (nvgpu::MmaSyncOp m : mmas)
      if (m.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 8} ||
          !m.getTf32Enabled() || m.getMatrixA().getType() != aType ||
          m.getMatrixB().getType() != bType ||
          m.getMatrixC().getType() != cType)
        return m.emitError("dl-gpu-emulate: only mma.sync m16n8k8 on tf32 "
                           "with f32 accumulators is emulated");
    SmallVector<Value> aValues, bValues;
    for (int i = 0; i < 4; ++i)
      aValues.push_back(newArray(f32));
    for (int i = 0; i < 2; ++i)
      bValues.push_back(newArray(f32));
    for (nvgpu::MmaSyncOp m : mmas) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(m);
      Location loc = m.getLoc();
      auto index = [&](int64_t v) {
        return arith::ConstantIndexOp::create(b, loc, v);
      };
      Value linear = linearThreadId(loc);
      Value lane = arith::RemUIOp::create(b, loc, linear, index(32));
      Value first = arith::SubIOp::create(b, loc, linear, lane);
      Value g = arith::DivUIOp::create(b, loc, lane, index(4));
      Value t = arith::RemUIOp::create(b, loc, lane, index(4));
      Type i32 = b.getI32Type();
      Value mask = arith::ConstantIntOp::create(b, loc, i32, 0xFFFFE000);
      // Element i (row-major) of a fragment. Vectors cannot be kept across
      // the barriers: one the kernel built once for several mma.sync (A,
      // for four tiles) is read from the elements it was built of.
      auto element = [&](Value vector, int64_t i) -> Value {
        if (auto built = vector.getDefiningOp<vector::FromElementsOp>())
          return built.getElements()[i];
        int64_t columns = cast<VectorType>(vector.getType()).getDimSize(1);
        return vector::ExtractOp::create(
            b, loc, vector, ArrayRef<int64_t>{i / columns, i % columns});
      };
      auto store = [&](Value vector, int64_t i, Value array) {
        Value bits = arith::AndIOp::create(
            b, loc, arith::BitcastOp::create(b, loc, i32, element(vector, i)),
            mask);
        memref::StoreOp::create(
            b, loc, arith::BitcastOp::create(b, loc, f32, bits), array, linear);
      };
      for (int64_t i = 0; i < 4; ++i)
        store(m.getMatrixA(), i, aValues[i]);
      for (int64_t i = 0; i < 2; ++i)
        store(m.getMatrixB(), i, bValues[i]);
      SmallVector<Value> acc;
      for (int64_t i = 0; i < 4; ++i)
        acc.push_back(element(m.getMatrixC(), i));
      gpu::BarrierOp::create(b, loc);
      for (int64_t i = 0; i < 4; ++i) {
        // D[row][col], row = g + 8 (i / 2), col = 2 t + i % 2.
        Value col = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, t, index(2)), index(i % 2));
        for (int64_t k = 0; k < 8; ++k) {
          // A[row][k]: lane 4 g + k % 4, value (row / 8) + 2 (k / 4).
          Value aLane = arith::AddIOp::create(
              b, loc, first,
              arith::AddIOp::create(b, loc,
                                    arith::MulIOp::create(b, loc, g, index(4)),
                                    index(k % 4)));
          // B[k][col]: lane 4 col + k % 4, value k / 4.
          Value bLane = arith::AddIOp::create(
              b, loc, first,
              arith::AddIOp::create(
                  b, loc, arith::MulIOp::create(b, loc, col, index(4)),
                  index(k % 4)));
          Value x = memref::LoadOp::create(b, loc, aValues[i / 2 + 2 * (k / 4)],
                                           ValueRange{aLane});
          Value y =
              memref::LoadOp::create(b, loc, bValues[k / 4], ValueRange{bLane});
          acc[i] = arith::AddFOp::create(b, loc, acc[i],
                                         arith::MulFOp::create(b, loc, x, y));
        }
      }
      gpu::BarrierOp::create(b, loc);
      m.getRes().replaceAllUsesWith(
          vector::FromElementsOp::create(b, loc, cType, acc).getResult());
      m.erase();
    }
    // The fragments' vectors, now unused.
    SmallVector<vector::FromElementsOp> unused;
    launch.getBody().walk([&](vector::FromElementsOp v) {
      if (v->use_empty())
        unused.push_back(v);
    });
    for (vector::FromElementsOp v : unused)
      v.erase();
    return success();
  }

  static bool hasBarrier(Operation *op) {
    return op->walk([](gpu::BarrierOp) { return WalkResult::interrupt(); })
        .wasInterrupted();
  }

  /// An array of one `type` per thread, allocated before the block loops
  /// (before the launch while they are not built yet).
  Value newArray(Type type) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(arraysBefore ? arraysBefore : launch.getOperation());
    Value array = memref::AllocOp::create(
        b, launch.getLoc(), MemRefType::get({ShapedType::kDynamic}, type),
        ValueRange{threads});
    buffers.push_back(array);
    return array;
  }

  /// Emits `src` (the kernel body, or the body of an scf.for with barriers)
  /// at the builder: runs of ops without barriers as thread loops, scf.for
  /// ops with barriers as sequential loops around their fissioned bodies.
  /// `yield`: the terminator's operands go to these arrays (iteration
  /// arguments) at the end.
  LogicalResult emitBlock(Block &src, ArrayRef<Value> yieldTo = {}) {
    // Items: runs of barrier-free ops, barriers, loops with barriers.
    SmallVector<SmallVector<Operation *>> items;
    DenseMap<Operation *, unsigned> itemOf;
    bool newRun = true;
    for (Operation &op : src.without_terminator()) {
      bool sync = hasBarrier(&op);
      if (sync && !isa<gpu::BarrierOp, scf::ForOp>(&op))
        return op.emitError("dl-gpu-emulate: a barrier inside this op is not "
                            "emulated (only at the top of a kernel or of an "
                            "scf.for)");
      if (sync || newRun)
        items.emplace_back();
      items.back().push_back(&op);
      itemOf[&op] = items.size() - 1;
      newRun = sync;
    }
    // Values used by a later item (or the terminator): kept per thread.
    for (Operation &op : src.without_terminator()) {
      if (isa<scf::ForOp>(op) && hasBarrier(&op))
        continue; // its results live in its own arrays (emitSyncLoop)
      for (Value r : op.getResults())
        for (Operation *user : r.getUsers()) {
          Operation *at = src.findAncestorOpInBlock(*user);
          auto it = at ? itemOf.find(at) : itemOf.end();
          if ((it != itemOf.end() && it->second == itemOf[&op]) ||
              perThread.count(r))
            continue;
          if (!r.getType().isIntOrIndexOrFloat())
            return op.emitError("dl-gpu-emulate: a value of this type "
                                "cannot be kept across a barrier");
          perThread[r] = newArray(r.getType());
        }
    }
    for (SmallVector<Operation *> &item : items) {
      Operation *first = item.front();
      if (isa<gpu::BarrierOp>(first))
        continue; // the thread loops before and after are the barrier
      if (auto loop = dyn_cast<scf::ForOp>(first); loop && hasBarrier(loop)) {
        if (failed(emitSyncLoop(loop)))
          return failure();
        continue;
      }
      emitThreadLoop(item, nullptr, {});
    }
    if (!yieldTo.empty())
      emitThreadLoop({}, src.getTerminator(), yieldTo);
    return success();
  }

  /// for t in threads: `ops` for thread t, then (if `yield`) its operands
  /// stored to `yieldTo`; results used later stored to their arrays.
  void emitThreadLoop(ArrayRef<Operation *> ops, Operation *yield,
                      ArrayRef<Value> yieldTo) {
    Location loc = launch.getLoc();
    auto loop = scf::ForOp::create(b, loc, zero, threads, one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = inOrder(loop.getInductionVar(), threads);
    IRMapping map = uniform;
    gpu::KernelDim3 tids = launch.getThreadIds();
    Value rest = arith::DivUIOp::create(b, loc, t, block.x);
    map.map(tids.x, arith::RemUIOp::create(b, loc, t, block.x));
    map.map(tids.y, arith::RemUIOp::create(b, loc, rest, block.y));
    map.map(tids.z, arith::DivUIOp::create(b, loc, rest, block.y));
    // Per-thread values from earlier items, loaded where used.
    auto load = [&](Value v) {
      if (map.contains(v))
        return;
      // Defined in this thread loop: not loaded.
      Operation *def = v.getDefiningOp();
      if (!def)
        def = v.getParentBlock()->getParentOp();
      if (llvm::any_of(ops, [&](Operation *op) { return op->isAncestor(def); }))
        return;
      if (auto it = perThread.find(v); it != perThread.end())
        map.map(v, memref::LoadOp::create(b, loc, it->second, t));
    };
    for (Operation *op : ops)
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          load(v);
      });
    if (yield)
      for (Value v : yield->getOperands())
        load(v);
    for (Operation *op : ops) {
      Operation *copy = b.clone(*op, map);
      for (auto [r, c] : llvm::zip(op->getResults(), copy->getResults()))
        if (auto it = perThread.find(r); it != perThread.end())
          memref::StoreOp::create(b, loc, c, it->second, t);
    }
    if (yield)
      for (auto [v, array] : llvm::zip(yield->getOperands(), yieldTo))
        memref::StoreOp::create(b, loc, map.lookupOrDefault(v), array, t);
  }

  /// An scf.for containing barriers: the same for every thread, so one
  /// sequential loop (thread 0's bounds) around its fissioned body; its
  /// iteration arguments and results live in per-thread arrays.
  LogicalResult emitSyncLoop(scf::ForOp loop) {
    if (failed(checkBackEdge(loop)))
      return failure();
    Location loc = loop.getLoc();
    auto bound = [&](Value v) -> Value {
      if (auto it = perThread.find(v); it != perThread.end())
        return memref::LoadOp::create(b, loc, it->second, ValueRange{zero});
      return uniform.lookupOrDefault(v);
    };
    Value lb = bound(loop.getLowerBound()), ub = bound(loop.getUpperBound()),
          step = bound(loop.getStep());
    SmallVector<Value> arrays;
    for (auto [arg, result] :
         llvm::zip(loop.getRegionIterArgs(), loop.getResults())) {
      Value array = newArray(arg.getType());
      arrays.push_back(array);
      perThread[arg] = array;
      perThread[result] = array; // after the loop: the final values
    }
    // The initial values, per thread.
    if (!arrays.empty())
      emitInit(loop, arrays);
    auto seq = scf::ForOp::create(b, loc, lb, ub, step);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(seq.getBody());
    uniform.map(loop.getInductionVar(), seq.getInductionVar());
    return emitBlock(*loop.getBody(), arrays);
  }

  /// Fission runs every thread to the end of an iteration before any thread
  /// starts the next, which a GPU does not: without a barrier between them,
  /// one thread's start of the next iteration races with another's end of
  /// this one. Refuses a loop whose code after its last barrier and before
  /// its first touch the same workgroup buffer, one of them writing (a
  /// tile's K loop without its closing barrier).
  LogicalResult checkBackEdge(scf::ForOp loop) {
    Block *body = loop.getBody();
    auto touched = [&](auto begin, auto end, DenseSet<Value> &reads,
                       DenseSet<Value> &writes) {
      for (auto it = begin; it != end && !hasBarrier(&*it); ++it)
        it->walk([&](Operation *op) {
          if (auto load = dyn_cast<memref::LoadOp>(op))
            reads.insert(load.getMemRef());
          else if (auto store = dyn_cast<memref::StoreOp>(op))
            writes.insert(store.getMemRef());
        });
    };
    DenseSet<Value> headReads, headWrites, tailReads, tailWrites;
    touched(body->begin(), body->end(), headReads, headWrites);
    touched(body->rbegin(), body->rend(), tailReads, tailWrites);
    for (BlockArgument shared : launch.getWorkgroupAttributions())
      if ((tailWrites.contains(shared) &&
           (headReads.contains(shared) || headWrites.contains(shared))) ||
          (tailReads.contains(shared) && headWrites.contains(shared)))
        return loop.emitError(
            "dl-gpu-emulate: a race between iterations: the end of this loop "
            "body and its start access the same workgroup buffer with no "
            "barrier between them");
    return success();
  }

  /// for t: arrays[i][t] = init_i (thread t's).
  void emitInit(scf::ForOp loop, ArrayRef<Value> arrays) {
    Location loc = loop.getLoc();
    auto init = scf::ForOp::create(b, loc, zero, threads, one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(init.getBody());
    Value t = init.getInductionVar();
    for (auto [v, array] : llvm::zip(loop.getInitArgs(), arrays)) {
      Value value = uniform.lookupOrDefault(v);
      if (auto it = perThread.find(v); it != perThread.end())
        value = memref::LoadOp::create(b, loc, it->second, t);
      memref::StoreOp::create(b, loc, value, array, t);
    }
  }

  gpu::LaunchOp launch;
  OpBuilder b;
  bool reverse;
  gpu::KernelDim3 block;
  Value zero, one, threads;
  Operation *arraysBefore = nullptr;
  IRMapping uniform; // the same for every thread of a block
  DenseMap<Value, Value> perThread;
  SmallVector<Value> buffers;
};

struct GPUEmulatePass : dl::impl::GPUEmulateBase<GPUEmulatePass> {
  using GPUEmulateBase::GPUEmulateBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    replaceDeviceMemory(module);
    SmallVector<gpu::LaunchOp> launches;
    module.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp launch : launches)
      if (failed(LaunchEmulator(launch, reverse).run()))
        return signalPassFailure();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
