//===- GPUFuseReductions.cpp - reductions with their inits and consumers --===//
//
// After convert-linalg-to-parallel-loops a reduction (a convolution, a small
// matmul, a sum over the batch) is a parallel nest whose inner loops load
// and store its output element at every step, a separate nest before it
// initialises that output (a fill, a bias broadcast) and nests after it
// consume it elementwise (a ReLU). On the GPU that is three launches, and
// every step of the reduction a round trip to global memory: LLVM cannot
// keep the element in a register, as it cannot prove that the buffers do
// not alias. First (wrapScalarReduction, forwardHostScalars), a sum into a
// rank-0 buffer outside any nest becomes a nest of one iteration with the
// scalar code around it, and a rank-0 buffer holding one host value is read
// as that value. Then, for every top-level scf.parallel with a loop nest:
//  1. the perfectly nested scf.for loops become one loop (coalesced), so
//     that a warp can split it (dl-gpu-map-kernels);
//  2. each output element the loop accumulates into (a load and a store at
//     the same loop-invariant indices, no other access to its buffer in the
//     loop) is carried in a register, loaded before the loop and stored
//     after it;
//  3. unless dl-gpu-map-kernels will split the sum over warps that add
//     their totals atomically (dlc::gpu::reductionWarps > 1):
//     - prologues: parallel nests just before it, over the same iteration
//       space, that only store each iteration's initial value of one of its
//       outputs become that register's initial value (the nest goes away);
//     - epilogues: parallel nests just after it, over the same iteration
//       space, without loops, whose accesses to what it writes are to the
//       element its own iteration writes, run in it, reading the register;
//       so do nests over one more dimension (row epilogues, as a loop) and
//       following nests with loops (a row's further reductions) that touch
//       what it touches only at the iteration's own elements;
//  4. an output that nothing reads any more is neither stored nor
//     allocated.
// A padding (a fill of a buffer, then a copy into a view of its interior)
// becomes one nest that writes each element once.
// An elementwise nest takes the nests after it as a reduction takes its
// epilogues (the planner keeps a producer with several consumers apart, so
// as not to recompute it; here nothing is recomputed: it stays stored).
// Prologues are folded in a first sweep over all nests, epilogues in a
// second, so that a fill becomes its reduction's initial value before it
// could join another nest. Only host bookkeeping free of memory effects
// (index arithmetic, allocations) may lie between the nests, and before an
// epilogue deallocations too (they stay where they are: the epilogue cannot
// use what they free); allocations an epilogue uses move up with it.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/BufferAccess.h"
#include "compiler/Conversion/GPUNests.h"
#include "compiler/Conversion/GPUReductions.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUFUSEREDUCTIONS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace dlc::gpu;
using dlc::buffers::rootOf;

namespace {

/// The one store of an elementwise nest that reads no buffer of `roots`, or
/// null.
memref::StoreOp soleStore(scf::ParallelOp nest, const DenseSet<Value> &roots) {
  memref::StoreOp store;
  for (Operation &op : nest.getBody()->without_terminator()) {
    if (auto s = dyn_cast<memref::StoreOp>(&op)) {
      if (store)
        return nullptr;
      store = s;
    } else if (auto load = dyn_cast<memref::LoadOp>(&op);
               load && roots.contains(rootOf(load.getMemRef()))) {
      return nullptr;
    }
  }
  return store;
}

/// Whether a nest's body is straight-line element code and loops of it:
/// reductions in registers (no stores) and row loops whose stores are to
/// elements of their own iteration (an index is the loop's variable), so
/// that lanes splitting a loop write distinct elements.
bool hasRowForm(scf::ParallelOp nest) {
  auto isElementOp = [](Operation &op) {
    return !op.getNumRegions() && (isMemoryEffectFree(&op) ||
                                   isa<memref::LoadOp, memref::StoreOp>(op));
  };
  if (nest.getNumResults() != 0)
    return false;
  for (Operation &op : nest.getBody()->without_terminator()) {
    auto loop = dyn_cast<scf::ForOp>(&op);
    if (!loop) {
      if (!isElementOp(op))
        return false;
      continue;
    }
    for (Operation &inner : loop.getBody()->without_terminator()) {
      if (!isElementOp(inner))
        return false;
      auto store = dyn_cast<memref::StoreOp>(&inner);
      if (store &&
          (loop.getNumResults() != 0 ||
           !llvm::is_contained(store.getIndices(), loop.getInductionVar())))
        return false;
    }
  }
  return true;
}

/// An access of a row-form nest and the loop it lies in (null: none).
struct PlacedAccess {
  Access access;
  scf::ForOp loop;
};

SmallVector<PlacedAccess> placedAccesses(scf::ParallelOp nest) {
  SmallVector<PlacedAccess> out;
  for (Operation &op : nest.getBody()->without_terminator()) {
    if (auto loop = dyn_cast<scf::ForOp>(&op)) {
      for (Operation &inner : loop.getBody()->without_terminator())
        if (std::optional<Access> a = accessOf(&inner))
          out.push_back({*a, loop});
    } else if (std::optional<Access> a = accessOf(&op)) {
      out.push_back({*a, nullptr});
    }
  }
  return out;
}

/// How dl-gpu-map-kernels will run a nest: -1 it has no reduction loop, 0
/// a thread per iteration, 1 a warp, n > 1 n warps that add atomically.
int64_t mapping(scf::ParallelOp nest) {
  bool reduces = llvm::any_of(nest.getBody()->getOps<scf::ForOp>(),
                              [](scf::ForOp l) { return l.getNumResults(); });
  if (!reduces)
    return -1;
  std::optional<dlc::gpu::ReductionLoop> r = dlc::gpu::matchReduction(nest);
  return r ? dlc::gpu::reductionWarps(nest, *r) : 0;
}

/// The elements an iteration has stored (outside loops, and in the row
/// loop a row epilogue joins), last last: a load of one of them in code
/// that joins the iteration reads the stored value (in a warp only lane 0
/// stores).
class StoredElements {
public:
  void add(memref::StoreOp store) {
    list.push_back({*accessOf(store), store.getValueToStore()});
  }

  /// The value stored last at an element, or null.
  Value lookup(Value memref, ArrayRef<Value> indices) const {
    IRMapping identity;
    for (auto &[access, value] : llvm::reverse(list))
      if (access.memref == memref &&
          sameIndices(access.indices, indices, identity))
        return value;
    return nullptr;
  }

  /// Clones `op` at `b` with `map`, except a load of a stored element,
  /// whose result `map` takes to the value instead; a cloned store is
  /// recorded, and loads of stored elements inside a cloned loop read the
  /// value too.
  void cloneForwarding(OpBuilder &b, Operation &op, IRMapping &map) {
    if (auto load = dyn_cast<memref::LoadOp>(&op)) {
      SmallVector<Value> at;
      for (Value i : load.getIndices())
        at.push_back(map.lookupOrDefault(i));
      if (Value value = lookup(map.lookupOrDefault(load.getMemRef()), at)) {
        map.map(load.getResult(), value);
        return;
      }
    }
    Operation *copy = b.clone(op, map);
    if (auto store = dyn_cast<memref::StoreOp>(copy))
      add(store);
    if (!copy->getNumRegions())
      return;
    SmallVector<memref::LoadOp> loads;
    copy->walk([&](memref::LoadOp load) { loads.push_back(load); });
    for (memref::LoadOp load : loads)
      if (Value value =
              lookup(load.getMemRef(), llvm::to_vector(load.getIndices()))) {
        load.replaceAllUsesWith(value);
        load.erase();
      }
  }

private:
  SmallVector<std::pair<Access, Value>> list;
};

class ReductionFuser {
public:
  explicit ReductionFuser(scf::ParallelOp nest) : nest(nest) {}

  /// Steps 1 to 3's prologues (all nests first: a fill must become its
  /// reduction's initial value before it could join another nest).
  void initialise() {
    if (foldInterior())
      return;
    scf::ForOp loop = promote();
    forwardStores();
    if (loop && !isSplit())
      foldPrologues(loop);
  }

  /// Step 3's epilogues, then step 4. Any nest but a split sum takes them:
  /// an elementwise nest's consumers join it as they would a reduction's.
  void absorb() {
    if (isSplit())
      return;
    while (foldEpilogue()) {
    }
    dropDeadStores();
  }

private:
  /// A padding: this nest fills a buffer (its indices the induction
  /// variables, or 0 along unit dimensions) and the next copies the interior
  /// into a unit-stride view of it. Then this nest writes each element once,
  /// the copy's value where the copy would write it, the fill's elsewhere:
  /// one launch and one pass over the buffer instead of two.
  bool foldInterior() {
    Block *body = nest.getBody();
    auto fill = dyn_cast<memref::StoreOp>(&body->front());
    if (!fill || fill->getNextNode() != body->getTerminator() ||
        !fill.getValueToStore().getParentRegion()->isProperAncestor(
            &nest.getRegion()))
      return false;
    SmallVector<Operation *> between;
    Operation *op = nest->getNextNode();
    for (; op && isTransparent(op); op = op->getNextNode())
      between.push_back(op);
    auto copy = dyn_cast_or_null<scf::ParallelOp>(op);
    if (!copy || !isElementwise(copy))
      return false;
    memref::StoreOp store =
        soleStore(copy, DenseSet<Value>{rootOf(fill.getMemRef())});
    auto view =
        store ? store.getMemRef().getDefiningOp<memref::SubViewOp>() : nullptr;
    if (!view || view.getSource() != fill.getMemRef() ||
        view.getSourceType().getRank() != view.getType().getRank() ||
        !llvm::all_of(view.getStaticStrides(),
                      [](int64_t s) { return s == 1; }))
      return false;
    // Position by position: both indices induction variables of the nests
    // (each from 0 by 1), or both 0 where the view's offset is 0.
    // The fill must cover the whole buffer, so that it covers what the
    // copy writes: each dimension is the fill's loop over the buffer's size,
    // or 0 of a unit dimension.
    SmallVector<OpFoldResult> offsets = view.getMixedOffsets();
    auto type = cast<MemRefType>(fill.getMemRef().getType());
    auto alloc = fill.getMemRef().getDefiningOp<memref::AllocOp>();
    auto coversDim = [&](Value ub, unsigned k) {
      if (!type.isDynamicDim(k))
        return getConstantIntValue(ub) == type.getDimSize(k);
      if (auto dim = ub.getDefiningOp<memref::DimOp>();
          dim && dim.getSource() == fill.getMemRef() &&
          getConstantIntValue(dim.getIndex()) == static_cast<int64_t>(k))
        return true;
      return alloc &&
             sameValue(ub, alloc.getDynamicSizes()[type.getDynamicDimIndex(k)]);
    };
    SmallVector<std::tuple<unsigned, BlockArgument, BlockArgument>> dims;
    llvm::SmallBitVector usedP(nest.getNumLoops()), usedQ(copy.getNumLoops());
    for (auto [k, pair] :
         llvm::enumerate(llvm::zip(fill.getIndices(), store.getIndices()))) {
      auto [outer, inner] = pair;
      auto p = dyn_cast<BlockArgument>(outer);
      auto q = dyn_cast<BlockArgument>(inner);
      if (!p && !q) {
        if (type.getDimSize(k) != 1 || getConstantIntValue(offsets[k]) != 0 ||
            getConstantIntValue(outer) != 0 || getConstantIntValue(inner) != 0)
          return false;
        continue;
      }
      if (!p || !q || p.getOwner() != body || q.getOwner() != copy.getBody())
        return false;
      unsigned pi = p.getArgNumber(), qi = q.getArgNumber();
      if (usedP.test(pi) || usedQ.test(qi) ||
          getConstantIntValue(nest.getLowerBound()[pi]) != 0 ||
          getConstantIntValue(nest.getStep()[pi]) != 1 ||
          !coversDim(nest.getUpperBound()[pi], k) ||
          getConstantIntValue(copy.getLowerBound()[qi]) != 0 ||
          getConstantIntValue(copy.getStep()[qi]) != 1)
        return false;
      usedP.set(pi);
      usedQ.set(qi);
      dims.push_back({static_cast<unsigned>(k), p, q});
    }
    if (!usedP.all() || !usedQ.all())
      return false;

    for (Operation *host : between)
      host->moveBefore(nest);
    OpBuilder b(fill);
    Location loc = fill.getLoc();
    IRMapping map;
    Value inside = arith::ConstantIntOp::create(b, loc, 1, 1);
    for (auto [k, p, q] : dims) {
      Value size = copy.getUpperBound()[q.getArgNumber()];
      if (getConstantIntValue(offsets[k]) == 0) {
        // Unpadded along this dimension (the batch): no test when the copy
        // covers it all.
        map.map(Value(q), Value(p));
        if (!sameValue(size, nest.getUpperBound()[p.getArgNumber()]))
          inside = arith::AndIOp::create(
              b, loc, inside,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p,
                                    size));
        continue;
      }
      Value offset = getValueOrCreateConstantIndexOp(b, loc, offsets[k]);
      Value end = arith::AddIOp::create(b, loc, offset, size);
      inside = arith::AndIOp::create(
          b, loc, inside,
          arith::AndIOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, p,
                                    offset),
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p,
                                    end)));
      map.map(Value(q), arith::SubIOp::create(b, loc, p, offset).getResult());
    }
    auto value = scf::IfOp::create(b, loc, fill.getValueToStore().getType(),
                                   inside, /*withElse=*/true);
    b.setInsertionPointToStart(value.elseBlock());
    scf::YieldOp::create(b, loc, fill.getValueToStore());
    b.setInsertionPointToStart(value.thenBlock());
    for (Operation &inner : copy.getBody()->without_terminator())
      if (&inner != store.getOperation())
        b.clone(inner, map);
    scf::YieldOp::create(b, loc, map.lookupOrDefault(store.getValueToStore()));
    fill->setOperand(0, value.getResult(0)); // the value to store
    copy.erase();
    return true;
  }

  /// Whether dl-gpu-map-kernels will split the sum over warps that add
  /// their partial sums atomically: the output must be ready before it.
  bool isSplit() {
    std::optional<dlc::gpu::ReductionLoop> r = dlc::gpu::matchReduction(nest);
    return r && dlc::gpu::reductionWarps(nest, *r) > 1;
  }

  /// Steps 1 and 2: the reduction loop with its accumulators in registers,
  /// or null.
  scf::ForOp promote() {
    Block *body = nest.getBody();
    // The body's loop nest: last in a nest of linalg's, followed by the
    // scalar code after it in a unit nest (wrapScalarReduction).
    scf::ForOp loop;
    for (auto candidate : body->getOps<scf::ForOp>())
      if (candidate.getNumResults() == 0) {
        loop = candidate;
        break;
      }
    if (!loop || nest.getNumResults() != 0)
      return nullptr;
    // Coalescing replaces the loop (and puts the bounds' product before).
    Operation *before = loop->getPrevNode();
    (void)coalescePerfectlyNestedSCFForLoops(loop);
    Operation *op = before ? before->getNextNode() : &body->front();
    while (!isa<scf::ForOp>(op))
      op = op->getNextNode();
    loop = cast<scf::ForOp>(op);
    SmallVector<memref::StoreOp> stores;
    SmallVector<memref::LoadOp> loads;
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (op.getNumRegions())
        return nullptr;
      if (auto store = dyn_cast<memref::StoreOp>(&op))
        stores.push_back(store);
      else if (auto load = dyn_cast<memref::LoadOp>(&op))
        loads.push_back(load);
      else if (!isMemoryEffectFree(&op))
        return nullptr;
    }
    if (stores.empty())
      return nullptr;
    // Each store's element: loaded once before it at the same indices, its
    // buffer touched by nothing else in the loop.
    SmallVector<memref::LoadOp> accumulators;
    for (memref::StoreOp store : stores) {
      for (Value i : store.getIndices())
        if (loop.getBodyRegion().isAncestor(i.getParentRegion()))
          return nullptr;
      memref::LoadOp acc;
      for (memref::LoadOp load : loads)
        if (load.getMemRef() == store.getMemRef() &&
            load.getIndices() == store.getIndices() &&
            load->isBeforeInBlock(store) && !acc)
          acc = load;
      if (!acc)
        return nullptr;
      Value root = rootOf(store.getMemRef());
      for (Operation &op : loop.getBody()->without_terminator())
        if (std::optional<Access> a = accessOf(&op))
          if (&op != store && &op != acc && rootOf(a->memref) == root)
            return nullptr;
      accumulators.push_back(acc);
    }

    OpBuilder b(loop);
    Location loc = loop.getLoc();
    SmallVector<Value> inits;
    for (memref::StoreOp store : stores)
      inits.push_back(memref::LoadOp::create(b, loc, store.getMemRef(),
                                             store.getIndices()));
    auto promoted = scf::ForOp::create(
        b, loc, loop.getLowerBound(), loop.getUpperBound(), loop.getStep(),
        inits, [&](OpBuilder &nb, Location l, Value iv, ValueRange acc) {
          IRMapping map;
          map.map(loop.getInductionVar(), iv);
          for (auto [load, arg] : llvm::zip(accumulators, acc))
            map.map(load.getResult(), arg);
          SmallVector<Value> next;
          for (Operation &op : loop.getBody()->without_terminator()) {
            if (auto store = dyn_cast<memref::StoreOp>(&op)) {
              next.push_back(map.lookupOrDefault(store.getValueToStore()));
              continue;
            }
            if (!llvm::is_contained(accumulators,
                                    dyn_cast<memref::LoadOp>(&op)))
              nb.clone(op, map);
          }
          scf::YieldOp::create(nb, l, next);
        });
    for (auto [store, result] : llvm::zip(stores, promoted.getResults()))
      memref::StoreOp::create(b, loc, result, store.getMemRef(),
                              store.getIndices());
    loop.erase();
    return promoted;
  }

  /// Loads of an element this iteration stored before, outside loops, read
  /// the stored value (a unit nest's scalar code: the accumulator's initial
  /// value, the total after the loop), and a store that a later one to the
  /// same element overwrites before anything reads the buffer goes. A
  /// store, or a loop storing, to a buffer forgets what was stored to it at
  /// other indices; a load the stored values cannot answer, or a loop
  /// reading, keeps the stores to its buffer.
  void forwardStores() {
    SmallVector<memref::StoreOp> stored, unread;
    IRMapping identity;
    auto sameElement = [&](memref::StoreOp store, Value memref,
                           ValueRange indices) {
      return store.getMemRef() == memref &&
             sameIndices(llvm::to_vector(store.getIndices()),
                         llvm::to_vector(indices), identity);
    };
    auto onRoot = [](Value root) {
      return
          [root](memref::StoreOp s) { return rootOf(s.getMemRef()) == root; };
    };
    auto forward = [&](memref::LoadOp load) {
      for (memref::StoreOp store : llvm::reverse(stored))
        if (sameElement(store, load.getMemRef(), load.getIndices())) {
          load.replaceAllUsesWith(store.getValueToStore());
          load.erase();
          return true;
        }
      return false;
    };
    for (Operation &op :
         llvm::make_early_inc_range(nest.getBody()->without_terminator())) {
      if (auto store = dyn_cast<memref::StoreOp>(&op)) {
        Value root = rootOf(store.getMemRef());
        SmallVector<memref::StoreOp> overwritten;
        for (memref::StoreOp old : unread)
          if (sameElement(old, store.getMemRef(), store.getIndices()))
            overwritten.push_back(old);
        llvm::erase_if(unread, onRoot(root));
        llvm::erase_if(stored, onRoot(root));
        for (memref::StoreOp old : overwritten)
          old.erase();
        stored.push_back(store);
        unread.push_back(store);
      } else if (auto load = dyn_cast<memref::LoadOp>(&op)) {
        if (!forward(load))
          llvm::erase_if(unread, onRoot(rootOf(load.getMemRef())));
      } else if (auto loop = dyn_cast<scf::ForOp>(&op)) {
        SmallVector<memref::LoadOp> loads;
        loop.getBody()->walk([&](Operation *inner) {
          if (auto store = dyn_cast<memref::StoreOp>(inner)) {
            llvm::erase_if(stored, onRoot(rootOf(store.getMemRef())));
            llvm::erase_if(unread, onRoot(rootOf(store.getMemRef())));
          } else if (auto load = dyn_cast<memref::LoadOp>(inner)) {
            loads.push_back(load);
          }
        });
        for (memref::LoadOp load : loads)
          if (!forward(load))
            llvm::erase_if(unread, onRoot(rootOf(load.getMemRef())));
      }
    }
  }

  /// Step 3, prologues: nests before this one that store the initial value
  /// of one of its accumulators, and nothing else.
  void foldPrologues(scf::ForOp loop) {
    DenseMap<Value, memref::LoadOp> initOf; // the accumulator's buffer
    DenseSet<Value> written;
    for (Value init : loop.getInitArgs()) {
      auto load = init.getDefiningOp<memref::LoadOp>();
      if (!load || load->getBlock() != nest.getBody() || !load->hasOneUse())
        continue;
      initOf[load.getMemRef()] = load;
      written.insert(rootOf(load.getMemRef()));
    }
    for (Operation *op = nest->getPrevNode(); op && !initOf.empty();) {
      Operation *before = op->getPrevNode();
      if (isTransparent(op)) {
        op = before;
        continue;
      }
      auto prologue = dyn_cast<scf::ParallelOp>(op);
      if (!prologue || !foldPrologue(prologue, initOf, written))
        return;
      op = before;
    }
  }

  /// The prologue's induction variables to this nest's such that `store`
  /// writes, for each iteration, the element `init` reads in the
  /// corresponding one, over the same elements: the same space and
  /// indices, or spaces that differ by the permutation the indices show (a
  /// fill of a buffer this nest writes through a transposed map).
  std::optional<IRMapping> elementMap(scf::ParallelOp prologue,
                                      memref::StoreOp store,
                                      memref::LoadOp init) {
    SmallVector<Value> from = llvm::to_vector(store.getIndices());
    SmallVector<Value> to = llvm::to_vector(init.getIndices());
    if (sameSpace(prologue, nest)) {
      IRMapping map = inductionMap(prologue, nest);
      if (sameIndices(from, to, map))
        return map;
    }
    if (prologue.getNumLoops() != nest.getNumLoops() ||
        from.size() != to.size())
      return std::nullopt;
    IRMapping map;
    llvm::SmallBitVector used(nest.getNumLoops());
    for (auto [f, t] : llvm::zip(from, to)) {
      auto p = dyn_cast<BlockArgument>(f);
      auto n = dyn_cast<BlockArgument>(t);
      if (!p || !n || p.getOwner() != prologue.getBody() ||
          n.getOwner() != nest.getBody() || map.contains(p) ||
          used.test(n.getArgNumber()))
        return std::nullopt;
      unsigned i = p.getArgNumber(), j = n.getArgNumber();
      if (!sameValue(prologue.getLowerBound()[i], nest.getLowerBound()[j]) ||
          !sameValue(prologue.getUpperBound()[i], nest.getUpperBound()[j]) ||
          !sameValue(prologue.getStep()[i], nest.getStep()[j]))
        return std::nullopt;
      map.map(p, n);
      used.set(j);
    }
    if (!used.all())
      return std::nullopt;
    return map;
  }

  bool foldPrologue(scf::ParallelOp prologue,
                    DenseMap<Value, memref::LoadOp> &initOf,
                    const DenseSet<Value> &written) {
    if (!isElementwise(prologue))
      return false;
    // It reads nothing the reduction writes.
    memref::StoreOp store = soleStore(prologue, written);
    if (!store)
      return false;
    auto it = initOf.find(store.getMemRef());
    if (it == initOf.end())
      return false;
    memref::LoadOp init = it->second;
    std::optional<IRMapping> element = elementMap(prologue, store, init);
    if (!element)
      return false;
    IRMapping &map = *element;
    OpBuilder b(init);
    for (Operation &op : prologue.getBody()->without_terminator())
      if (&op != store)
        b.clone(op, map);
    init.replaceAllUsesWith(map.lookupOrDefault(store.getValueToStore()));
    init.erase();
    initOf.erase(it);
    prologue.erase();
    return true;
  }

  /// The reduction loop (with its accumulators in registers), or null.
  scf::ForOp reductionLoop() {
    for (Operation &op : nest.getBody()->without_terminator())
      if (auto loop = dyn_cast<scf::ForOp>(&op); loop && loop.getNumResults())
        return loop;
    return nullptr;
  }

  /// Moves the host bookkeeping between this nest and the one joining it
  /// above this one; the elements this iteration stores so far.
  StoredElements join(ArrayRef<Operation *> between) {
    for (Operation *host : between)
      host->moveBefore(nest);
    StoredElements stored;
    for (Operation &inner : nest.getBody()->without_terminator())
      if (auto store = dyn_cast<memref::StoreOp>(&inner))
        stored.add(store);
    return stored;
  }

  /// Step 3, epilogues: the next nest, if it reads and writes what this one
  /// writes only at the element the same iteration writes, runs in it. A
  /// reduction also takes a nest over its space and one more (inner)
  /// dimension, a row epilogue (normalising by a row's sum or maximum): it
  /// runs as a loop after the reduction's store (one per row: a nest over
  /// the same inner range joins the loop), over which dl-gpu-map-kernels
  /// spreads a warp's lanes.
  bool foldEpilogue() {
    // Host bookkeeping between the nests: moved up with the epilogue, except
    // deallocations, which stay (the epilogue cannot use what they free).
    SmallVector<Operation *> between;
    Operation *op = nest->getNextNode();
    for (; op && (isTransparent(op) || isDeallocation(op));
         op = op->getNextNode())
      if (!isDeallocation(op))
        between.push_back(op);
    auto epilogue = dyn_cast_or_null<scf::ParallelOp>(op);
    if (!epilogue)
      return false;
    if (!isElementwise(epilogue))
      return foldFollowingNest(epilogue, between);
    unsigned rank = nest.getNumLoops();
    bool row = false;
    if (!sameSpace(epilogue, nest)) {
      if (!reductionLoop() || epilogue.getNumLoops() != rank + 1)
        return false;
      for (unsigned i = 0; i < rank; ++i)
        if (!sameValue(epilogue.getLowerBound()[i], nest.getLowerBound()[i]) ||
            !sameValue(epilogue.getUpperBound()[i], nest.getUpperBound()[i]) ||
            !sameValue(epilogue.getStep()[i], nest.getStep()[i]))
          return false;
      row = true;
    }
    // A row epilogue's inner index: the row loop's, if one over the same
    // range ends the body already, else its own until the loop is made.
    scf::ForOp rowLoop;
    Value innerIv = row ? epilogue.getInductionVars()[rank] : Value();
    if (row) {
      auto last = dyn_cast_or_null<scf::ForOp>(
          nest.getBody()->getTerminator()->getPrevNode());
      if (last && last.getNumResults() == 0 &&
          sameValue(last.getLowerBound(), epilogue.getLowerBound()[rank]) &&
          sameValue(last.getUpperBound(), epilogue.getUpperBound()[rank]) &&
          sameValue(last.getStep(), epilogue.getStep()[rank]))
        rowLoop = last;
    }
    // This nest's accesses, with the loop of its body each lies in (null:
    // none, or deeper).
    SmallVector<std::pair<Access, scf::ForOp>> mine;
    nest.getBody()->walk([&](Operation *inner) {
      if (std::optional<Access> a = accessOf(inner)) {
        auto loop = dyn_cast<scf::ForOp>(inner->getParentOp());
        if (loop && loop->getParentOp() != nest)
          loop = nullptr;
        mine.push_back({*a, loop});
      }
    });
    IRMapping map = inductionMap(epilogue, nest);
    if (rowLoop)
      map.map(innerIv, rowLoop.getInductionVar());
    for (Operation &inner : epilogue.getBody()->without_terminator()) {
      std::optional<Access> theirs = accessOf(&inner);
      if (!theirs)
        continue;
      Value root = rootOf(theirs->memref);
      for (auto &[a, loop] : mine) {
        if (rootOf(a.memref) != root || (!a.write && !theirs->write))
          continue;
        // Elsewhere than this iteration's element. A row epilogue's
        // position is that of a loop over the same range (a softmax's
        // exponentials written over the row its maximum read: a thread, or
        // each lane of a warp, rewrites what it read itself).
        IRMapping at = map;
        if (row && loop &&
            sameValue(loop.getLowerBound(), epilogue.getLowerBound()[rank]) &&
            sameValue(loop.getUpperBound(), epilogue.getUpperBound()[rank]) &&
            sameValue(loop.getStep(), epilogue.getStep()[rank]))
          at.map(innerIv, loop.getInductionVar());
        if (a.memref != theirs->memref ||
            !sameIndices(theirs->indices, a.indices, at))
          return false;
      }
    }

    StoredElements stored = join(between);
    if (row && !rowLoop) {
      OpBuilder lb(nest.getBody()->getTerminator());
      rowLoop = scf::ForOp::create(
          lb, epilogue.getLoc(), epilogue.getLowerBound()[rank],
          epilogue.getUpperBound()[rank], epilogue.getStep()[rank]);
      map.map(innerIv, rowLoop.getInductionVar());
    }
    if (rowLoop)
      for (Operation &op : rowLoop.getBody()->without_terminator())
        if (auto store = dyn_cast<memref::StoreOp>(&op))
          stored.add(store);
    OpBuilder b(row ? rowLoop.getBody()->getTerminator()
                    : nest.getBody()->getTerminator());
    for (Operation &inner : epilogue.getBody()->without_terminator())
      stored.cloneForwarding(b, inner, map);
    epilogue.erase();
    return true;
  }

  /// Step 3, a following nest with loops, over the same space: a row's
  /// further reductions (a softmax's sum of the exponentials that a row
  /// epilogue wrote, a layer norm's variance of `x - mean`) and what
  /// follows them run after this nest's body, if the two touch shared
  /// elements only at this iteration's: outside loops at the same indices,
  /// or inside loops over the same range at the same position of the row
  /// (the lanes of a warp take a row's elements alike in every loop: a lane
  /// reads back only what it wrote). Loads of elements this nest stored
  /// outside loops read the stored value. The nests must run alike (a split
  /// sum stays alone; a warp's reduction does not join a thread's).
  bool foldFollowingNest(scf::ParallelOp next, ArrayRef<Operation *> between) {
    if (!sameSpace(next, nest) || !hasRowForm(next) || !hasRowForm(nest))
      return false;
    int64_t mine = mapping(nest), theirs = mapping(next);
    if (theirs > 1 || (mine >= 0 && theirs >= 0 && mine != theirs))
      return false;
    IRMapping map = inductionMap(next, nest);
    SmallVector<PlacedAccess> mineAccesses = placedAccesses(nest);
    for (PlacedAccess &t : placedAccesses(next)) {
      Value root = rootOf(t.access.memref);
      for (PlacedAccess &m : mineAccesses) {
        if (rootOf(m.access.memref) != root ||
            (!m.access.write && !t.access.write))
          continue;
        // An element outside loops may be read in one (it stays the same
        // element); one of a row, only at the same position of a loop over
        // the same range.
        if (m.access.memref != t.access.memref ||
            (m.loop && (!t.loop || !sameRange(m.loop, t.loop))))
          return false;
        IRMapping at = map;
        if (m.loop)
          at.map(t.loop.getInductionVar(), m.loop.getInductionVar());
        if (!sameIndices(t.access.indices, m.access.indices, at))
          return false;
      }
    }

    StoredElements stored = join(between);
    OpBuilder b(nest.getBody()->getTerminator());
    for (Operation &inner : next.getBody()->without_terminator())
      stored.cloneForwarding(b, inner, map);
    next.erase();
    return true;
  }

  /// Step 4: outputs allocated here that only their deallocation reads.
  void dropDeadStores() {
    SmallVector<memref::StoreOp> stores;
    for (Operation &op : nest.getBody()->without_terminator())
      if (auto store = dyn_cast<memref::StoreOp>(&op))
        stores.push_back(store);
    for (memref::StoreOp store : stores) {
      auto alloc = store.getMemRef().getDefiningOp<memref::AllocOp>();
      if (!alloc)
        continue;
      SmallVector<Operation *> deallocs;
      bool dead = true;
      for (Operation *user : alloc->getUsers()) {
        if (isa<memref::DeallocOp>(user))
          deallocs.push_back(user);
        else if (user != store)
          dead = false;
      }
      if (!dead)
        continue;
      store.erase();
      for (Operation *dealloc : deallocs)
        dealloc->erase();
      alloc.erase();
    }
  }

  scf::ParallelOp nest;
};

struct GPUFuseReductionsPass
    : dl::impl::GPUFuseReductionsBase<GPUFuseReductionsPass> {
  void runOnOperation() override {
    // A nest erases only its prologues (before it) and epilogues (after it,
    // looked up again once it is done).
    Block &body = getOperation().getBody().front();
    forwardHostScalars(body);
    SmallVector<scf::ForOp> scalarLoops(body.getOps<scf::ForOp>());
    for (scf::ForOp loop : scalarLoops)
      wrapScalarReduction(loop);
    for (Operation *op = &body.front(); op; op = op->getNextNode())
      if (auto nest = dyn_cast<scf::ParallelOp>(op))
        ReductionFuser(nest).initialise();
    for (Operation *op = &body.front(); op; op = op->getNextNode())
      if (auto nest = dyn_cast<scf::ParallelOp>(op))
        ReductionFuser(nest).absorb();
  }
};

} // namespace
