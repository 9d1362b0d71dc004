//===- GPUTileContractions.cpp - contractions as shared-memory GPU tiles --===//
//
// dl-gpu-map-kernels gives every output element a thread (or a warp) that
// reads its operands from global memory: a matmul of M x N outputs over K
// reads each operand element N (or M) times. Here a contraction
//   C[p] += A[a(p, r)] * B[b(p, r)]      (p: parallel dims, r: reductions)
// becomes the classic tiled GEMM, whatever its indexing maps (matmuls with
// transposed operands, batched matmuls, convolutions read as implicit GEMMs:
// an input pixel window is a row of A, a filter a column of B):
//  - the parallel dims only A reads are the rows (M), those only B reads
//    the columns (N), those both read the batch; the reductions are K;
//  - a block of 256 threads computes a 64 x 64 tile of C; per step of 16
//    along K the block stages A's 64 x 16 and B's 16 x 64 values in shared
//    memory (each thread loads 4 of each, out-of-range ones as 0), waits,
//    and each thread accumulates its 4 x 4 outputs (rows tr + 16 i, columns
//    tc + 16 j: conflict-free shared reads, coalesced writes) in registers;
//  - a contraction with few tiles and a long K (a fully connected layer's
//    forward over 12544 inputs) also splits K over the grid, and its blocks
//    add their partial sums with atomics;
//  - C keeps its initial value (a bias): the tile is added to it; a fill
//    just before is folded in (unless K is split): the tile is added to the
//    fill's value, and C is not read;
//  - unless K is split, an elementwise consumer of C just after it (a bias
//    add, an activation; other buffers' ops may lie between if it can move
//    above them) runs on each final value in registers, and C is stored
//    only if something else reads it.
// Each operand is staged with the thread index running along the dimension
// its buffer's last index follows (K or the tile's own side, followsK), so
// that adjacent threads read adjacent addresses where the layout allows.
// With `matmul` tf32 or 3xtf32 the same staged tiles are multiplied on the
// tensor cores: each warp owns 16 x 32 outputs as four m16n8 tiles and
// issues nvgpu.mma.sync m16n8k8 on fragments it reads from shared memory
// in the PTX ISA's layout, on values rounded to TF32 (or, 3xtf32, split
// into two TF32 parts whose three cross products give about f32's
// accuracy).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/BufferAccess.h"
#include "compiler/Conversion/GPUNests.h"
#include "compiler/Conversion/GPUReductions.h"
#include "compiler/Conversion/GPUTensorCores.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUTILECONTRACTIONS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

using dlc::gpu::kPerThread;
using dlc::gpu::kThreads;
using dlc::gpu::kTile;
using dlc::gpu::kTileK;
constexpr int64_t kSide = kTile / kPerThread; // 16 threads per tile side
constexpr int64_t kPad = 1; // shared rows of 65 floats: fewer conflicts
// Below these sizes a thread (or warp) per output is as good: a tile would
// leave most of its threads idle.
constexpr int64_t kMinMN = 32, kMinK = 16;
// Split K until the grid has this many blocks (two per SM of an H100/H200),
// keeping at least this much K per block.
constexpr int64_t kTargetBlocks = 264, kMinKPerSplit = 256;
using dlc::gpu::kAssumedDynamicExtent; // as dl-gpu-map-kernels

/// How the tiles multiply: f32 on the CUDA cores, or on the tensor cores
/// (mma.sync m16n8k8) in TF32 (inputs rounded to 10 of their 23 mantissa bits),
/// or in three TF32 products per pair (a = hi + lo: hi*hi + hi*lo + lo*hi,
/// about f32's accuracy at three times the tensor-core work).
enum class Precision { FP32, TF32, TF32x3 };

std::optional<Precision> parsePrecision(StringRef name) {
  return llvm::StringSwitch<std::optional<Precision>>(name)
      .Case("fp32", Precision::FP32)
      .Case("tf32", Precision::TF32)
      .Case("3xtf32", Precision::TF32x3)
      .Default(std::nullopt);
}

struct Contraction {
  linalg::LinalgOp op;
  OpOperand *a, *b, *c;
  SmallVector<unsigned> mDims, nDims, batchDims, kDims;
  bool aAlongK, bAlongK; // the operand's last index follows K
};

bool isFunctionOf(AffineMap map, ArrayRef<unsigned> dims) {
  return llvm::any_of(map.getResults(), [&](AffineExpr e) {
    return llvm::any_of(dims, [&](unsigned d) { return e.isFunctionOfDim(d); });
  });
}

/// Whether an operand's last index moves with the innermost K dim and not
/// with the innermost dim of its own tile side (A[m, k] and a transposed
/// B[n, k] do; B[k, n] and a convolution's input, whose last index ow + kw
/// moves along both, are staged along their own side, where runs of
/// adjacent addresses are longer).
bool followsK(AffineMap map, unsigned innermostK, unsigned innermostOwn) {
  AffineExpr last = map.getResult(map.getNumResults() - 1);
  return last.isFunctionOfDim(innermostK) &&
         !last.isFunctionOfDim(innermostOwn);
}

/// `C[p] += A * B` in f32 with the parallel dims before the reductions and
/// every parallel dim read by one operand or both.
std::optional<Contraction> match(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isF32() || type.getRank() == 0)
      return std::nullopt;
  }
  Contraction c;
  c.op = op;
  c.a = op.getDpsInputOperand(0);
  c.b = op.getDpsInputOperand(1);
  c.c = op.getDpsInitOperand(0);
  if (c.c->get() == c.a->get() || c.c->get() == c.b->get())
    return std::nullopt;
  // The body: yield(out + a * b), in either operand order.
  Block *body = op.getBlock();
  if (body->getOperations().size() != 3)
    return std::nullopt;
  auto mul = dyn_cast<arith::MulFOp>(&body->front());
  if (!mul)
    return std::nullopt;
  auto add = dyn_cast_or_null<arith::AddFOp>(mul->getNextNode());
  if (!add)
    return std::nullopt;
  Value a = body->getArgument(0), b = body->getArgument(1),
        out = body->getArgument(2);
  if (!((mul.getLhs() == a && mul.getRhs() == b) ||
        (mul.getLhs() == b && mul.getRhs() == a)) ||
      !((add.getLhs() == out && add.getRhs() == mul) ||
        (add.getLhs() == mul && add.getRhs() == out)) ||
      body->getTerminator()->getOperand(0) != add.getResult())
    return std::nullopt;

  AffineMap aMap = op.getMatchingIndexingMap(c.a);
  AffineMap bMap = op.getMatchingIndexingMap(c.b);
  AffineMap cMap = op.getMatchingIndexingMap(c.c);
  if (!cMap.isProjectedPermutation())
    return std::nullopt;
  bool reductions = false;
  for (auto [d, type] : llvm::enumerate(op.getIteratorTypesArray())) {
    unsigned dim = d;
    if (linalg::isReductionIterator(type)) {
      reductions = true;
      c.kDims.push_back(dim);
      if (cMap.isFunctionOfDim(dim))
        return std::nullopt;
      continue;
    }
    if (reductions || !cMap.isFunctionOfDim(dim))
      return std::nullopt; // a parallel dim after a reduction
    bool inA = isFunctionOf(aMap, dim), inB = isFunctionOf(bMap, dim);
    if (inA && inB) {
      c.batchDims.push_back(dim);
    } else if (inA) {
      c.mDims.push_back(dim);
    } else if (inB) {
      c.nDims.push_back(dim);
    } else {
      return std::nullopt; // an output broadcast along a dim
    }
  }
  if (c.mDims.empty() || c.nDims.empty())
    return std::nullopt;
  c.aAlongK = followsK(aMap, c.kDims.back(), c.mDims.back());
  c.bAlongK = followsK(bMap, c.kDims.back(), c.nDims.back());
  return c;
}

int64_t estimatedProduct(ArrayRef<int64_t> ranges, ArrayRef<unsigned> dims) {
  int64_t product = 1;
  for (unsigned d : dims)
    product *=
        ShapedType::isDynamic(ranges[d]) ? kAssumedDynamicExtent : ranges[d];
  return product;
}

class TileBuilder {
public:
  TileBuilder(Contraction &c, Precision precision)
      : c(c), b(c.op), loc(c.op.getLoc()), precision(precision) {}

  /// Replaces the contraction by its tiled kernel, or fails (leaving it for
  /// dl-gpu-map-kernels) if it is too small for tiles.
  LogicalResult run() {
    SmallVector<int64_t> ranges = c.op.getStaticLoopRanges();
    int64_t m = estimatedProduct(ranges, c.mDims),
            n = estimatedProduct(ranges, c.nDims),
            k = estimatedProduct(ranges, c.kDims),
            batch = estimatedProduct(ranges, c.batchDims);
    if (m < kMinMN || n < kMinMN || k < kMinK)
      return failure();
    int64_t tiles =
        llvm::divideCeil(m, kTile) * llvm::divideCeil(n, kTile) * batch;
    split = std::clamp<int64_t>(llvm::divideCeil(kTargetBlocks, tiles), 1,
                                std::max<int64_t>(k / kMinKPerSplit, 1));
    // Unsplit, each output has one writer, which can start from the fill
    // instead of reading it back: one launch and one pass over C fewer.
    linalg::FillOp fill = split == 1 ? initialFill() : nullptr;
    if (fill)
      initialValue = fill.getInputs()[0];
    // Unsplit, each output's final value is in one thread's registers: an
    // elementwise consumer (a bias add, an activation) runs there too.
    SmallVector<Operation *> between;
    epilogue = split == 1 ? followingEpilogue(between) : nullptr;
    if (epilogue) {
      for (Operation *op : between)
        op->moveBefore(c.op);
      storeC = !onlyTheEpilogueReads(fill);
    }

    // Host: the loop sizes, the grid.
    for (Range r : c.op.createLoopRanges(b, loc))
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
    Value mTotal = product(c.mDims), nTotal = product(c.nDims),
          kTotal = product(c.kDims), batchTotal = product(c.batchDims);
    Value tile = constant(kTile), splits = constant(split);
    Value kPerSplit = arith::MulIOp::create(
        b, loc,
        arith::CeilDivUIOp::create(
            b, loc, arith::CeilDivUIOp::create(b, loc, kTotal, splits),
            constant(kTileK)),
        constant(kTileK));
    bool mma = precision != Precision::FP32;
    Type shared = MemRefType::get(
        {kTileK, kTile + (mma ? dlc::gpu::kMmaSharedPad : kPad)},
        b.getF32Type(), AffineMap(),
        gpu::AddressSpaceAttr::get(b.getContext(),
                                   gpu::AddressSpace::Workgroup));
    auto launch = gpu::LaunchOp::create(
        b, loc, arith::CeilDivUIOp::create(b, loc, nTotal, tile),
        arith::CeilDivUIOp::create(b, loc, mTotal, tile),
        arith::MulIOp::create(b, loc, batchTotal, splits), constant(kThreads),
        constant(1), constant(1), /*dynamicSharedMemorySize=*/nullptr,
        /*asyncTokenType=*/nullptr, /*asyncDependencies=*/ValueRange(),
        TypeRange{shared, shared});
    Block &kernel = launch.getBody().front();
    b.setInsertionPointToEnd(&kernel);
    auto terminator = gpu::TerminatorOp::create(b, loc);
    b.setInsertionPoint(terminator);
    buildKernel(launch, mTotal, nTotal, kTotal, kPerSplit);
    Value cBuffer = c.c->get();
    c.op->erase();
    if (fill)
      fill->erase();
    if (epilogue) {
      epilogueOp = epilogue;
      epilogue->erase();
      // Nothing reads C: not allocated either, unless the grid's sizes
      // were read off it.
      if (!storeC && llvm::all_of(cBuffer.getUsers(), [](Operation *user) {
            return isa<memref::DeallocOp>(user);
          })) {
        for (Operation *user : llvm::make_early_inc_range(cBuffer.getUsers()))
          user->erase();
        cBuffer.getDefiningOp()->erase();
      }
    }
    return success();
  }

private:
  /// The elementwise linalg.generic after the contraction that reads C at
  /// the element the contraction writes and writes its outputs there,
  /// reading nothing that the kernel writes elsewhere and writing nothing
  /// that the tiles read; or null. Between them: ops free of memory effects
  /// and allocations (into `between`, to move above the contraction),
  /// deallocations, and a few ops on other buffers that the epilogue can
  /// move above (the next contraction's fill).
  linalg::GenericOp followingEpilogue(SmallVectorImpl<Operation *> &between) {
    SmallPtrSet<Value, 8> passedReads, passedWrites;
    SmallPtrSet<Operation *, 8> passed;
    int scanned = 0;
    for (Operation *op = c.op->getNextNode(); op && scanned < 8;
         op = op->getNextNode()) {
      if (isa<memref::DeallocOp>(op))
        continue; // it stays: the epilogue cannot use what it frees
      if (dlc::gpu::isTransparent(op)) {
        for (Value operand : op->getOperands())
          if (passed.contains(operand.getDefiningOp()))
            return nullptr; // it could not move above what it uses
        between.push_back(op);
        continue;
      }
      ++scanned;
      if (auto e = dyn_cast<linalg::GenericOp>(op))
        if (isEpilogue(e, passedReads, passedWrites))
          return e;
      if (!dlc::buffers::accesses(op, passedReads, passedWrites))
        return nullptr;
      passed.insert(op);
    }
    return nullptr;
  }

  /// Whether `e` can run on the tile's final values, above ops that read
  /// `passedReads` and write `passedWrites`.
  bool isEpilogue(linalg::GenericOp e,
                  const SmallPtrSetImpl<Value> &passedReads,
                  const SmallPtrSetImpl<Value> &passedWrites) {
    Value cBuffer = c.c->get();
    Value cRoot = dlc::buffers::rootOf(cBuffer);
    auto cType = cast<MemRefType>(cBuffer.getType());
    if (!e.hasPureBufferSemantics() || e.getNumReductionLoops() ||
        e.getNumLoops() != static_cast<unsigned>(cType.getRank()))
      return false;
    for (OpOperand &operand : e->getOpOperands()) {
      Value root = dlc::buffers::rootOf(operand.get());
      if (passedWrites.contains(root) ||
          (e.isDpsInit(&operand) && passedReads.contains(root)))
        return false;
    }
    for (Operation &inner : e.getBlock()->without_terminator())
      if (inner.getNumRegions())
        return false;
    Value aRoot = dlc::buffers::rootOf(c.a->get()),
          bRoot = dlc::buffers::rootOf(c.b->get());
    DenseSet<Value> written;
    for (OpOperand &init : e.getDpsInitsMutable()) {
      Value root = dlc::buffers::rootOf(init.get());
      if (!e.getMatchingIndexingMap(&init).isIdentity() || root == cRoot ||
          root == aRoot || root == bRoot)
        return false;
      written.insert(root);
    }
    bool readsC = false;
    for (OpOperand *input : e.getDpsInputOperands()) {
      bool identity = e.getMatchingIndexingMap(input).isIdentity();
      Value root = dlc::buffers::rootOf(input->get());
      if (input->get() == cBuffer && identity) {
        readsC = true;
        continue;
      }
      // Another element of C, or of an output, is another thread's.
      if (root == cRoot ||
          (written.contains(root) &&
           !(identity && llvm::is_contained(e.getDpsInits(), input->get()))))
        return false;
    }
    return readsC;
  }

  /// Whether the contraction, its fill, its epilogue and deallocations are
  /// all that use C, allocated here.
  bool onlyTheEpilogueReads(linalg::FillOp fill) {
    Value cBuffer = c.c->get();
    if (!cBuffer.getDefiningOp<memref::AllocOp>())
      return false;
    return llvm::all_of(cBuffer.getUsers(), [&](Operation *user) {
      return user == c.op.getOperation() || user == fill ||
             user == epilogue.getOperation() || isa<memref::DeallocOp>(user);
    });
  }

  /// The epilogue at C's element `at`, whose final value is `value`: its
  /// other inputs loaded, its body, its results stored.
  void emitEpilogue(Value value, ArrayRef<Value> at) {
    IRMapping map;
    for (OpOperand &operand : epilogue->getOpOperands()) {
      BlockArgument arg = epilogue.getMatchingBlockArgument(&operand);
      if (arg.use_empty())
        continue;
      if (operand.get() == c.c->get() && epilogue.isDpsInput(&operand)) {
        map.map(arg, value);
        continue;
      }
      map.map(arg,
              memref::LoadOp::create(
                  b, loc, operand.get(),
                  applyMap(epilogue.getMatchingIndexingMap(&operand), at)));
    }
    for (Operation &op : epilogue.getBlock()->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(&op)) {
        map.map(index.getResult(), at[index.getDim()]);
        continue;
      }
      b.clone(op, map);
    }
    auto yield = cast<linalg::YieldOp>(epilogue.getBlock()->getTerminator());
    for (auto [init, result] :
         llvm::zip(epilogue.getDpsInits(), yield.getValues()))
      memref::StoreOp::create(b, loc, map.lookupOrDefault(result), init, at);
  }

  /// The linalg.fill of C just before the contraction (with only ops free of
  /// memory effects and allocations between them), or null.
  linalg::FillOp initialFill() {
    for (Operation *op = c.op->getPrevNode(); op; op = op->getPrevNode()) {
      if (auto fill = dyn_cast<linalg::FillOp>(op))
        return fill.getDpsInitOperand(0)->get() == c.c->get() ? fill : nullptr;
      if (!dlc::gpu::isTransparent(op))
        return nullptr;
    }
    return nullptr;
  }

  Value constant(int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  Value product(ArrayRef<unsigned> dims) {
    Value p = constant(1);
    for (unsigned d : dims)
      p = arith::MulIOp::create(b, loc, p, sizes[d]);
    return p;
  }

  /// Writes the indices of `dims` for their row-major linear index `linear`
  /// into `iv`.
  void delinearize(Value linear, ArrayRef<unsigned> dims,
                   SmallVectorImpl<Value> &iv) {
    Value rest = linear;
    for (int64_t i = static_cast<int64_t>(dims.size()) - 1; i >= 0; --i) {
      unsigned d = dims[i];
      if (i == 0) {
        iv[d] = rest;
        break;
      }
      iv[d] = arith::RemUIOp::create(b, loc, rest, sizes[d]);
      rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
    }
  }

  /// The indices of `operand` at loop position `iv`.
  SmallVector<Value> indices(OpOperand *operand, ArrayRef<Value> iv) {
    return applyMap(c.op.getMatchingIndexingMap(operand), iv);
  }

  /// The results of `map` at `iv`.
  SmallVector<Value> applyMap(AffineMap map, ArrayRef<Value> iv) {
    SmallVector<Value> result;
    for (AffineExpr e : map.getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(e)) {
        result.push_back(iv[dim.getPosition()]);
        continue;
      }
      result.push_back(affine::AffineApplyOp::create(
          b, loc, AffineMap::get(map.getNumDims(), 0, e), iv));
    }
    return result;
  }

  Value lessThan(Value x, Value bound) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, bound);
  }

  /// Thread `tid`'s share of one operand's tile: element e = tid + 256 i of
  /// the 16 x 64 tile, with the thread index along K (`alongK`) or along the
  /// tile's own dim; out-of-range elements are 0.
  void stage(OpOperand *operand, bool alongK, ArrayRef<unsigned> ownDims,
             Value ownBase, Value ownTotal, Value k0, Value kEnd, Value tid,
             Value sharedTile, ArrayRef<Value> fixed) {
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    for (int64_t i = 0; i < kTile * kTileK / kThreads; ++i) {
      Value e = arith::AddIOp::create(b, loc, tid, constant(kThreads * i));
      Value kk, own;
      if (alongK) {
        kk = arith::RemUIOp::create(b, loc, e, constant(kTileK));
        own = arith::DivUIOp::create(b, loc, e, constant(kTileK));
      } else {
        own = arith::RemUIOp::create(b, loc, e, constant(kTile));
        kk = arith::DivUIOp::create(b, loc, e, constant(kTile));
      }
      Value g = arith::AddIOp::create(b, loc, ownBase, own);
      Value gk = arith::AddIOp::create(b, loc, k0, kk);
      Value inRange = arith::AndIOp::create(b, loc, lessThan(g, ownTotal),
                                            lessThan(gk, kEnd));
      auto load = scf::IfOp::create(b, loc, TypeRange{b.getF32Type()}, inRange,
                                    /*withElse=*/true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(load.elseBlock());
        scf::YieldOp::create(b, loc, zero);
        b.setInsertionPointToStart(load.thenBlock());
        SmallVector<Value> iv(fixed);
        delinearize(g, ownDims, iv);
        delinearize(gk, c.kDims, iv);
        Value v = memref::LoadOp::create(b, loc, operand->get(),
                                         indices(operand, iv));
        scf::YieldOp::create(b, loc, v);
      }
      memref::StoreOp::create(b, loc, load.getResult(0), sharedTile,
                              ValueRange{kk, own});
    }
  }

  /// Thread `tid`'s place in the block's 64 x 64 tile, and its 16 outputs'
  /// rows and columns. On the CUDA cores, rows tr + 16 i and columns
  /// tc + 16 j (output 4 i + j); with tensor cores, the lane's accumulators
  /// in its warp's m16n8 tiles (dlc::gpu::WarpTile).
  void placeThread(Value tid, SmallVectorImpl<Value> &rows,
                   SmallVectorImpl<Value> &cols) {
    if (precision == Precision::FP32) {
      Value side = constant(kSide);
      tr = arith::DivUIOp::create(b, loc, tid, side);
      tc = arith::RemUIOp::create(b, loc, tid, side);
      for (int64_t i = 0; i < kPerThread; ++i)
        for (int64_t j = 0; j < kPerThread; ++j) {
          rows.push_back(
              arith::AddIOp::create(b, loc, tr, constant(kSide * i)));
          cols.push_back(
              arith::AddIOp::create(b, loc, tc, constant(kSide * j)));
        }
      return;
    }
    warpTile.emplace(b, loc, tid, precision == Precision::TF32x3);
    warpTile->outputPositions(rows, cols);
  }

  /// One staged step of K on the CUDA cores: each thread's 4 x 4 products
  /// added to `acc`, kk from 0 to 16.
  SmallVector<Value> multiplyOnCudaCores(Value as, Value bs, ValueRange acc) {
    auto inner = scf::ForOp::create(
        b, loc, constant(0), constant(kTileK), constant(1), acc,
        [&](OpBuilder &, Location, Value kk, ValueRange sums) {
          SmallVector<Value> av, bv;
          for (int64_t i = 0; i < kPerThread; ++i) {
            Value offset = constant(kSide * i);
            av.push_back(memref::LoadOp::create(
                b, loc, as,
                ValueRange{kk, arith::AddIOp::create(b, loc, tr, offset)}));
            bv.push_back(memref::LoadOp::create(
                b, loc, bs,
                ValueRange{kk, arith::AddIOp::create(b, loc, tc, offset)}));
          }
          SmallVector<Value> next;
          for (int64_t i = 0; i < kPerThread; ++i)
            for (int64_t j = 0; j < kPerThread; ++j)
              next.push_back(arith::AddFOp::create(
                  b, loc, sums[i * kPerThread + j],
                  arith::MulFOp::create(b, loc, av[i], bv[j])));
          scf::YieldOp::create(b, loc, next);
        });
    return inner.getResults();
  }

  void buildKernel(gpu::LaunchOp launch, Value mTotal, Value nTotal,
                   Value kTotal, Value kPerSplit) {
    Value tid = launch.getThreadIds().x;
    Value tile = constant(kTile);
    Value m0 = arith::MulIOp::create(b, loc, launch.getBlockIds().y, tile);
    Value n0 = arith::MulIOp::create(b, loc, launch.getBlockIds().x, tile);
    Value splits = constant(split);
    Value z = launch.getBlockIds().z;
    Value batchIndex = arith::DivUIOp::create(b, loc, z, splits);
    Value kBegin = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, z, splits), kPerSplit);
    Value kEnd = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, kBegin, kPerSplit), kTotal);

    // Loop positions every access shares: the batch, 0 for unused dims.
    SmallVector<Value> fixed(sizes.size(), constant(0));
    delinearize(batchIndex, c.batchDims, fixed);
    Value as = launch.getWorkgroupAttributions()[0];
    Value bs = launch.getWorkgroupAttributions()[1];
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    constexpr int64_t outputs = kPerThread * kPerThread;
    SmallVector<Value> init(outputs, zero);
    SmallVector<Value> rows, cols;
    placeThread(tid, rows, cols);

    auto steps = scf::ForOp::create(
        b, loc, kBegin, kEnd, constant(kTileK), init,
        [&](OpBuilder &, Location, Value k0, ValueRange acc) {
          stage(c.a, c.aAlongK, c.mDims, m0, mTotal, k0, kEnd, tid, as, fixed);
          stage(c.b, c.bAlongK, c.nDims, n0, nTotal, k0, kEnd, tid, bs, fixed);
          gpu::BarrierOp::create(b, loc);
          SmallVector<Value> sums = precision == Precision::FP32
                                        ? multiplyOnCudaCores(as, bs, acc)
                                        : warpTile->multiply(as, bs, acc);
          gpu::BarrierOp::create(b, loc);
          scf::YieldOp::create(b, loc, sums);
        });

    // C += the tile (atomically when blocks along K share outputs).
    for (int64_t o = 0; o < outputs; ++o) {
      Value gm = arith::AddIOp::create(b, loc, m0, rows[o]);
      Value gn = arith::AddIOp::create(b, loc, n0, cols[o]);
      Value inRange = arith::AndIOp::create(b, loc, lessThan(gm, mTotal),
                                            lessThan(gn, nTotal));
      auto write = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(write.thenBlock()->getTerminator());
      SmallVector<Value> iv(fixed);
      delinearize(gm, c.mDims, iv);
      delinearize(gn, c.nDims, iv);
      SmallVector<Value> at = indices(c.c, iv);
      Value sum = steps.getResult(o);
      if (split > 1) {
        memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, sum,
                                    c.c->get(), at);
      } else {
        Value old = initialValue
                        ? initialValue
                        : memref::LoadOp::create(b, loc, c.c->get(), at);
        Value value = arith::AddFOp::create(b, loc, old, sum);
        if (storeC)
          memref::StoreOp::create(b, loc, value, c.c->get(), at);
        if (epilogue)
          emitEpilogue(value, at);
      }
    }
  }

public:
  /// The epilogue run() erased, or null.
  Operation *erasedEpilogue() const { return epilogueOp; }

private:
  Contraction &c;
  OpBuilder b;
  Location loc;
  int64_t split = 1;
  Value initialValue;              // C's fill value, or null: C is read
  linalg::GenericOp epilogue;      // run on each final value, or null
  Operation *epilogueOp = nullptr; // once erased
  bool storeC = true;              // false: only the epilogue reads C
  Precision precision;
  Value tr, tc; // on the CUDA cores: the thread's row and column
  std::optional<dlc::gpu::WarpTile> warpTile; // with tensor cores
  SmallVector<Value> sizes;
};

struct GPUTileContractionsPass
    : dl::impl::GPUTileContractionsBase<GPUTileContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<Precision> precision = parsePrecision(matmul);
    if (!precision) {
      getOperation().emitError()
          << "dl-gpu-tile-contractions: unknown matmul precision '" << matmul
          << "' (fp32, tf32 or 3xtf32)";
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    // A tile erases its epilogue, an op later in the list.
    DenseSet<Operation *> erased;
    for (linalg::LinalgOp op : ops) {
      if (erased.contains(op))
        continue;
      if (std::optional<Contraction> c = match(op)) {
        TileBuilder tile(*c, *precision);
        if (succeeded(tile.run()) && tile.erasedEpilogue())
          erased.insert(tile.erasedEpilogue());
      }
    }
  }
};

} // namespace
