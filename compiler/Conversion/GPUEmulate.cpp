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
//  - a kernel without gpu.barrier or gpu.shuffle runs its threads as a loop;
//  - a kernel with them runs each block as an OpenMP team of blockDim
//    threads: gpu.barrier is omp.barrier, a shuffle exchanges values through
//    a per-block buffer between two barriers (so the whole block must reach
//    it, as the kernels here guarantee), workgroup (shared) buffers are one
//    allocation that every thread of the team sees;
//  - gpu.alloc / dealloc / memcpy are host allocations and copies.
// Only the lowering to NVVM and the CUDA driver are left out; those are
// tested by ptxas and by the fake driver (test/gpu).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUEMULATE
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

constexpr StringLiteral kThreadNum = "omp_get_thread_num";

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

class LaunchEmulator {
public:
  LaunchEmulator(gpu::LaunchOp launch, func::FuncOp threadNum)
      : launch(launch), threadNum(threadNum), b(launch) {}

  LogicalResult run() {
    if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
      return launch.emitError("dl-gpu-emulate: asynchronous launches are not "
                              "emulated (run it before gpu-async-region)");
    bool team = false;
    launch.getBody().walk([&](Operation *op) {
      if (isa<gpu::BarrierOp, gpu::ShuffleOp>(op))
        team = true;
    });
    Location loc = launch.getLoc();
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);

    // Shared memory: one host buffer per attribution, reused by every block
    // (a block's shared memory starts undefined on the GPU too).
    SmallVector<Value> buffers;
    for (BlockArgument shared : launch.getWorkgroupAttributions()) {
      auto type = cast<MemRefType>(shared.getType());
      auto host = MemRefType::get(type.getShape(), type.getElementType());
      Value buffer = memref::AllocOp::create(b, loc, host);
      buffers.push_back(buffer);
      map.map(shared, buffer);
    }
    if (!launch.getPrivateAttributions().empty())
      return launch.emitError(
          "dl-gpu-emulate: private attributions are not emulated");
    Value threads = arith::MulIOp::create(
        b, loc, block.x, arith::MulIOp::create(b, loc, block.y, block.z));

    // Per-block scratch for shuffles: thread t's value at [t].
    for (Type type : shuffleTypes()) {
      auto buffer = memref::AllocOp::create(
          b, loc, MemRefType::get({ShapedType::kDynamic}, type),
          ValueRange{threads});
      buffers.push_back(buffer);
      scratch[type] = buffer;
    }

    // Blocks, z outermost.
    gpu::KernelDim3 ids = launch.getBlockIds();
    Operation *nest = nullptr;
    for (auto [size, id] :
         {std::pair{grid.z, ids.z}, {grid.y, ids.y}, {grid.x, ids.x}}) {
      auto loop = scf::ForOp::create(b, loc, zero, size, one);
      if (!nest)
        nest = loop;
      b.setInsertionPointToStart(loop.getBody());
      map.map(id, loop.getInductionVar());
    }
    gpu::KernelDim3 gridArgs = launch.getGridSize(),
                    blockArgs = launch.getBlockSize();
    for (auto [arg, value] : {std::pair{gridArgs.x, grid.x},
                              {gridArgs.y, grid.y},
                              {gridArgs.z, grid.z},
                              {blockArgs.x, block.x},
                              {blockArgs.y, block.y},
                              {blockArgs.z, block.z}})
      map.map(arg, value);

    gpu::KernelDim3 tids = launch.getThreadIds();
    if (team) {
      omp::ParallelOperands clauses;
      clauses.numThreads =
          arith::IndexCastOp::create(b, loc, b.getI32Type(), threads);
      auto parallel = omp::ParallelOp::create(b, loc, clauses);
      b.setInsertionPointToStart(b.createBlock(&parallel.getRegion()));
      auto terminator = omp::TerminatorOp::create(b, loc);
      b.setInsertionPoint(terminator);
      Value t = func::CallOp::create(b, loc, threadNum).getResult(0);
      linearThread = arith::IndexCastOp::create(b, loc, b.getIndexType(), t);
      Value x = arith::RemUIOp::create(b, loc, linearThread, block.x);
      Value rest = arith::DivUIOp::create(b, loc, linearThread, block.x);
      map.map(tids.x, x);
      map.map(tids.y, arith::RemUIOp::create(b, loc, rest, block.y));
      map.map(tids.z, arith::DivUIOp::create(b, loc, rest, block.y));
    } else {
      for (auto [size, id] :
           {std::pair{block.z, tids.z}, {block.y, tids.y}, {block.x, tids.x}}) {
        auto loop = scf::ForOp::create(b, loc, zero, size, one);
        b.setInsertionPointToStart(loop.getBody());
        map.map(id, loop.getInductionVar());
      }
    }

    Region &body = launch.getBody();
    if (!body.hasOneBlock())
      return launch.emitError("dl-gpu-emulate: kernels with several blocks "
                              "are not emulated");
    for (Operation &op : body.front().without_terminator())
      b.clone(op, map);
    if (failed(replaceIntrinsics(nest)))
      return failure();

    b.setInsertionPointAfter(launch);
    for (Value buffer : buffers)
      memref::DeallocOp::create(b, loc, buffer);
    launch.erase();
    return success();
  }

private:
  SmallVector<Type> shuffleTypes() {
    SetVector<Type> types;
    launch.getBody().walk(
        [&](gpu::ShuffleOp s) { types.insert(s.getValue().getType()); });
    return types.takeVector();
  }

  /// The GPU's synchronisation inside `nest` (the emulated launch) in
  /// OpenMP's terms.
  LogicalResult replaceIntrinsics(Operation *nest) {
    SmallVector<Operation *> ops;
    nest->walk([&](Operation *op) {
      if (isa<gpu::BarrierOp, gpu::ShuffleOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (isa<gpu::BarrierOp>(op)) {
        omp::BarrierOp::create(b, loc);
        op->erase();
        continue;
      }
      auto shuffle = cast<gpu::ShuffleOp>(op);
      Value width = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                               shuffle.getWidth());
      Value offset = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                shuffle.getOffset());
      Value lane = arith::RemUIOp::create(b, loc, linearThread, width);
      Value first = arith::SubIOp::create(b, loc, linearThread, lane);
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
        return op->emitError("dl-gpu-emulate: only xor and down shuffles "
                             "are emulated");
      }
      // An invalid source reads the thread's own value (CUDA's result).
      source = arith::SelectOp::create(b, loc, valid, source, lane);
      Value buffer = scratch.lookup(shuffle.getValue().getType());
      memref::StoreOp::create(b, loc, shuffle.getValue(), buffer, linearThread);
      omp::BarrierOp::create(b, loc);
      Value other = memref::LoadOp::create(
          b, loc, buffer,
          ValueRange{arith::AddIOp::create(b, loc, first, source)});
      // Nobody overwrites the buffer before every thread has read it.
      omp::BarrierOp::create(b, loc);
      shuffle.getShuffleResult().replaceAllUsesWith(other);
      shuffle.getValid().replaceAllUsesWith(valid);
      op->erase();
    }
    return success();
  }

  gpu::LaunchOp launch;
  func::FuncOp threadNum;
  OpBuilder b;
  IRMapping map;
  Value linearThread;
  DenseMap<Type, Value> scratch;
};

struct GPUEmulatePass : dl::impl::GPUEmulateBase<GPUEmulatePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    replaceDeviceMemory(module);
    SmallVector<gpu::LaunchOp> launches;
    module.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    func::FuncOp threadNum;
    if (!launches.empty()) {
      threadNum = module.lookupSymbol<func::FuncOp>(kThreadNum);
      if (!threadNum) {
        OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
        threadNum =
            func::FuncOp::create(b, module.getLoc(), kThreadNum,
                                 b.getFunctionType({}, {b.getI32Type()}));
        threadNum.setPrivate();
      }
    }
    for (gpu::LaunchOp launch : launches)
      if (failed(LaunchEmulator(launch, threadNum).run()))
        return signalPassFailure();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
