//===- CPUMergeHorizontal.cpp - independent loop nests as one kernel ------===//
//
// dl-plan-fusion plans the optimizer's update of every parameter (mutually
// independent elementwise kernels whose results are only returned) as one
// horizontal kernel (`dl.horizontal`). On buffers, this pass carries it out
// the way PyTorch's multi-tensor apply does: every member's buffers are seen
// as one-dimensional, cut into chunks of `chunk` elements, and one
// `scf.parallel` runs over the chunks of all members; each iteration finds
// its member with a few comparisons and runs that member's body (an
// `scf.index_switch` over 1-D views of the chunk). One kernel, one fork of
// the thread team: the biases' updates, each too small for threads of its
// own, share the work of the weights'. dl-cpu-vectorize then vectorises each
// chunk's op like any elementwise op.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_CPUMERGEHORIZONTAL
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace dlc::fusion;

namespace {

/// The buffer `v` is a view of (through subviews, casts, reshapes).
Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// A member of a horizontal kernel: an elementwise generic on static
/// buffers, each read or written with the identity or a scalar (rank 0).
struct Member {
  linalg::GenericOp op;
  int64_t elements = 1;
  llvm::SmallPtrSet<Value, 8> reads, writes; // root buffers
};

std::optional<Member> asMember(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() ||
      op.getNumLoops() != op.getNumParallelLoops() ||
      !op.getBody()->getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  Member m;
  m.op = op;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
      return std::nullopt;
    if (map.getNumResults() == 0) {
      if (type.getRank() != 0)
        return std::nullopt;
    } else if (!map.isIdentity()) {
      return std::nullopt;
    } else {
      m.elements = type.getNumElements();
    }
    Value root = rootOf(operand.get());
    (op.isDpsInit(&operand) ? m.writes : m.reads).insert(root);
  }
  return m;
}

bool intersects(const llvm::SmallPtrSet<Value, 8> &a,
                const llvm::SmallPtrSet<Value, 8> &b) {
  return llvm::any_of(a, [&](Value v) { return b.contains(v); });
}

/// Whether `op` (or an op nested in it) may write `root`'s buffer, or read
/// it when `readsToo`.
bool touches(Operation *op, Value root, bool readsToo) {
  WalkResult r = op->walk([&](Operation *inner) {
    for (Value operand : inner->getOperands()) {
      if (!isa<BaseMemRefType>(operand.getType()) || rootOf(operand) != root)
        continue;
      if (readsToo)
        return WalkResult::interrupt();
      auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
      if (!effects)
        return WalkResult::interrupt(); // unknown: assume it writes
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffectsOnValue(operand, list);
      if (llvm::any_of(list, [](MemoryEffects::EffectInstance &e) {
            return !isa<MemoryEffects::Read>(e.getEffect());
          }))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// Whether `m` can run where `last` is: no op between them writes what it
/// reads, or reads or writes what it writes.
bool canMoveTo(const Member &m, Operation *last,
               const llvm::SmallPtrSet<Operation *, 16> &members) {
  for (Operation *op = m.op->getNextNode(); op && op != last;
       op = op->getNextNode()) {
    if (members.contains(op))
      continue;
    for (Value w : m.writes)
      if (touches(op, w, /*readsToo=*/true))
        return false;
    for (Value r : m.reads)
      if (touches(op, r, /*readsToo=*/false))
        return false;
  }
  return true;
}

/// `v` (a static buffer with the identity layout) as a 1-D buffer.
Value flatten(OpBuilder &b, Location loc, Value v) {
  auto type = cast<MemRefType>(v.getType());
  if (type.getRank() == 1)
    return v;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return memref::CollapseShapeOp::create(b, loc, v,
                                         ArrayRef<ReassociationIndices>{all});
}

struct CPUMergeHorizontalPass
    : dl::impl::CPUMergeHorizontalBase<CPUMergeHorizontalPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    llvm::MapVector<int64_t, SmallVector<linalg::GenericOp>> groups;
    fn.walk([&](linalg::GenericOp op) {
      if (std::optional<int64_t> g = horizontalGroup(op))
        groups[*g].push_back(op);
    });
    for (auto &[group, ops] : groups)
      merge(ops);
    // What did not join keeps running as a kernel of its own.
    fn.walk([](linalg::GenericOp op) { op->removeAttr(kHorizontalAttr); });
  }

  void merge(ArrayRef<linalg::GenericOp> ops) {
    if (chunk <= 0)
      return;
    SmallVector<Member> members;
    for (linalg::GenericOp op : ops)
      if (std::optional<Member> m = asMember(op);
          m && op->getBlock() == ops.front()->getBlock())
        members.push_back(std::move(*m));
    if (members.size() < 2)
      return;
    llvm::sort(members, [](const Member &a, const Member &b) {
      return a.op->isBeforeInBlock(b.op);
    });
    // Mutually independent (a plan edited by hand may say otherwise) and
    // movable to the last member, where the merged loop goes; a member
    // that is not stays where it is.
    Operation *last = members.back().op;
    llvm::SmallPtrSet<Operation *, 16> memberOps;
    for (Member &m : members)
      memberOps.insert(m.op);
    SmallVector<Member *> joining;
    for (Member &m : members) {
      bool independent = llvm::all_of(members, [&](Member &other) {
        return &other == &m || (!intersects(m.writes, other.reads) &&
                                !intersects(m.writes, other.writes));
      });
      if (independent && canMoveTo(m, last, memberOps))
        joining.push_back(&m);
    }
    if (joining.size() < 2)
      return;

    OpBuilder b(last);
    Location loc = b.getFusedLoc(llvm::to_vector(llvm::map_range(
        joining, [](Member *m) { return m->op->getLoc(); })));
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // Chunk boundaries: member j runs chunks [start[j], start[j + 1]).
    SmallVector<int64_t> start = {0};
    for (Member *m : joining)
      start.push_back(start.back() + llvm::divideCeil(m->elements, chunk));
    // The 1-D views, made once outside the loop (one per buffer: a
    // parameter is read and written).
    SmallVector<SmallVector<Value>> flat;
    llvm::DenseMap<Value, Value> viewOf;
    for (Member *m : joining) {
      SmallVector<Value> views;
      for (Value v : m->op->getOperands()) {
        Value &view = viewOf[v];
        if (!view)
          view = cast<MemRefType>(v.getType()).getRank() == 0
                     ? v
                     : flatten(b, loc, v);
        views.push_back(view);
      }
      flat.push_back(views);
    }
    auto loop = scf::ParallelOp::create(b, loc, ValueRange{index(0)},
                                        ValueRange{index(start.back())},
                                        ValueRange{index(1)});
    b.setInsertionPointToStart(loop.getBody());
    Value c = loop.getInductionVars()[0];
    // The member of chunk c: how many members start at or before it, less 1.
    Value which = index(0);
    for (unsigned j = 1; j < joining.size(); ++j) {
      Value after = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, c,
                                          index(start[j]));
      which = arith::AddIOp::create(
          b, loc, which,
          arith::SelectOp::create(b, loc, after, index(1), index(0)));
    }
    SmallVector<int64_t> cases;
    for (unsigned j = 0; j + 1 < joining.size(); ++j)
      cases.push_back(j);
    auto branch = scf::IndexSwitchOp::create(b, loc, TypeRange{}, which, cases,
                                             cases.size());
    for (unsigned j = 0; j < joining.size(); ++j) {
      Region &region =
          j + 1 < joining.size() ? branch.getCaseRegions()[j]
                                 : branch.getDefaultRegion();
      b.setInsertionPointToStart(&region.emplaceBlock());
      auto yield = scf::YieldOp::create(b, loc);
      b.setInsertionPoint(yield);
      emitChunk(b, *joining[j], flat[j], c, start[j]);
    }
    for (Member *m : joining)
      m->op->erase();
  }

  /// Member `m`'s op over chunk `c` (the member's first chunk is `first`):
  /// elements [(c - first) * chunk, min(+chunk, elements)) of its 1-D views.
  void emitChunk(OpBuilder &b, Member &m, ArrayRef<Value> flat, Value c,
                 int64_t first) {
    linalg::GenericOp op = m.op;
    Location loc = op.getLoc();
    if (op.getNumLoops() == 0) { // a scalar update: its op as it is
      b.clone(*op);
      return;
    }
    SmallVector<Value> views(flat.begin(), flat.end());
    if (m.elements > chunk) {
      Value offset = arith::MulIOp::create(
          b, loc,
          arith::SubIOp::create(b, loc, c,
                                arith::ConstantIndexOp::create(b, loc, first)),
          arith::ConstantIndexOp::create(b, loc, chunk));
      Value size = arith::MinSIOp::create(
          b, loc, arith::ConstantIndexOp::create(b, loc, chunk),
          arith::SubIOp::create(
              b, loc, arith::ConstantIndexOp::create(b, loc, m.elements),
              offset));
      for (Value &v : views)
        if (cast<MemRefType>(v.getType()).getRank() == 1)
          v = memref::SubViewOp::create(b, loc, v, OpFoldResult(offset),
                                        OpFoldResult(size),
                                        OpFoldResult(b.getIndexAttr(1)));
    }
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineMap> maps;
    for (Value v : views)
      maps.push_back(cast<MemRefType>(v.getType()).getRank() == 0
                         ? AffineMap::get(1, 0, {}, ctx)
                         : AffineMap::getMultiDimIdentityMap(1, ctx));
    unsigned inputs = op.getNumDpsInputs();
    auto chunkOp = linalg::GenericOp::create(
        b, loc, TypeRange{}, ArrayRef(views).take_front(inputs),
        ArrayRef(views).drop_front(inputs), maps,
        {utils::IteratorType::parallel});
    chunkOp.getRegion().getBlocks().clear();
    IRMapping none;
    op.getRegion().cloneInto(&chunkOp.getRegion(), none);
    for (NamedAttribute a : planOf(op))
      if (a.getName() != kHorizontalAttr)
        chunkOp->setAttr(a.getName(), a.getValue());
  }
};

} // namespace
