//===- MergeHorizontal.cpp - independent loop nests as one kernel ---------===//
//
// dl-plan-fusion plans the optimizer's update of every parameter (mutually
// independent elementwise kernels whose results are only returned) as one
// horizontal kernel (`dl.horizontal`). On buffers, this pass carries it out
// the way PyTorch's multi-tensor apply does: every member's buffers are seen
// as one-dimensional, cut into chunks of `chunk` elements, and one
// `scf.parallel` runs over the chunks of all members; each iteration finds
// its member with a few comparisons and runs that member's body (an
// `scf.index_switch` over 1-D views of the chunk; members with the same
// body share one copy of it, their buffers picked by a second switch). One
// kernel, one fork of the thread team: the biases' updates, each too small
// for threads of its own, share the work of the weights'. dl-cpu-vectorize
// then vectorises each chunk's op like any elementwise op. On the GPU
// (chunk 1) the loop is one thread per element: one launch for all updates.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/BufferAccess.h"
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_MERGEHORIZONTAL
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace dlc::fusion;
using dlc::buffers::rootOf;

namespace {

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

bool intersects(const llvm::SmallPtrSetImpl<Value> &a,
                const llvm::SmallPtrSetImpl<Value> &b) {
  return llvm::any_of(a, [&](Value v) { return b.contains(v); });
}

/// Whether `m` can run where `last` is: no op between them writes what it
/// reads, or reads or writes what it writes (an op whose accesses are not
/// known, one with regions, counts as touching everything).
bool canMoveTo(const Member &m, Operation *last,
               const llvm::SmallPtrSet<Operation *, 16> &members) {
  for (Operation *op = m.op->getNextNode(); op && op != last;
       op = op->getNextNode()) {
    if (members.contains(op) || isMemoryEffectFree(op))
      continue;
    llvm::SmallPtrSet<Value, 8> reads, writes;
    if (!dlc::buffers::accesses(op, reads, writes) ||
        intersects(m.writes, reads) || intersects(m.writes, writes) ||
        intersects(m.reads, writes))
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

struct MergeHorizontalPass
    : dl::impl::MergeHorizontalBase<MergeHorizontalPass> {
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
    // Kernels take their buffers as parameters, and a GPU kernel's
    // parameters are limited (4 KiB): at most `maxOperands` distinct buffers
    // per merged loop, members in order.
    SmallVector<Member *> batch;
    llvm::SmallPtrSet<Value, 32> buffers;
    for (Member *m : joining) {
      llvm::SmallPtrSet<Value, 32> with = buffers;
      with.insert(m->op->getOperands().begin(), m->op->getOperands().end());
      if (maxOperands > 0 && !batch.empty() &&
          static_cast<int64_t>(with.size()) > maxOperands) {
        mergeAt(batch, last);
        batch.clear();
        with.clear();
        with.insert(m->op->getOperands().begin(), m->op->getOperands().end());
      }
      batch.push_back(m);
      buffers = std::move(with);
    }
    mergeAt(batch, last);
  }

  /// One loop over the chunks of `joining` (two or more members), before
  /// `last`.
  void mergeAt(ArrayRef<Member *> joining, Operation *last) {
    if (joining.size() < 2)
      return;
    OpBuilder b(last);
    Location loc = b.getFusedLoc(llvm::to_vector(
        llvm::map_range(joining, [](Member *m) { return m->op->getLoc(); })));
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // Members that compute the same thing (a network's many equal layers:
    // the same update body, operands of the same kinds) share one copy of
    // it, which finds its member's buffers by a switch: 128 copies of
    // Adam's vectorised body made a 64-layer MLP's step compile 40% longer.
    SmallVector<SmallVector<Member *>> groups;
    for (Member *m : joining) {
      auto same = llvm::find_if(groups, [&](SmallVector<Member *> &g) {
        return sameComputation(*g.front(), *m);
      });
      if (same == groups.end())
        groups.push_back({m});
      else
        same->push_back(m);
    }
    // Chunk boundaries: member j runs chunks [start[j], start[j + 1]), a
    // group's members one after the other.
    SmallVector<Member *> ordered;
    SmallVector<unsigned> groupFirst; // index into `ordered`
    for (SmallVector<Member *> &g : groups) {
      groupFirst.push_back(ordered.size());
      ordered.append(g.begin(), g.end());
    }
    SmallVector<int64_t> start = {0};
    for (Member *m : ordered)
      start.push_back(start.back() + llvm::divideCeil(m->elements, chunk));
    // The 1-D views, made once outside the loop (one per buffer: a
    // parameter is read and written).
    llvm::DenseMap<Member *, SmallVector<Value>> flat;
    llvm::DenseMap<Value, Value> viewOf;
    for (Member *m : ordered) {
      SmallVector<Value> &views = flat[m];
      for (Value v : m->op->getOperands()) {
        Value &view = viewOf[v];
        if (!view)
          view = cast<MemRefType>(v.getType()).getRank() == 0
                     ? v
                     : flatten(b, loc, v);
        views.push_back(view);
      }
    }
    auto loop = scf::ParallelOp::create(b, loc, ValueRange{index(0)},
                                        ValueRange{index(start.back())},
                                        ValueRange{index(1)});
    b.setInsertionPointToStart(loop.getBody());
    Value c = loop.getInductionVars()[0];
    // The group of chunk c: how many groups start at or before it, less 1.
    SmallVector<int64_t> groupStart;
    for (unsigned first : groupFirst)
      groupStart.push_back(start[first]);
    // (One group: no switch.)
    scf::IndexSwitchOp branch;
    if (groups.size() > 1) {
      Value which = countStarted(b, loc, c, groupStart);
      SmallVector<int64_t> cases;
      for (unsigned g = 0; g + 1 < groups.size(); ++g)
        cases.push_back(g);
      branch = scf::IndexSwitchOp::create(b, loc, TypeRange{}, which, cases,
                                          cases.size());
    }
    for (unsigned g = 0; g < groups.size(); ++g) {
      if (branch) {
        Region &region = g + 1 < groups.size() ? branch.getCaseRegions()[g]
                                               : branch.getDefaultRegion();
        b.setInsertionPointToStart(&region.emplaceBlock());
        auto yield = scf::YieldOp::create(b, loc);
        b.setInsertionPoint(yield);
      }
      ArrayRef<int64_t> starts =
          ArrayRef(start).slice(groupFirst[g], groups[g].size());
      if (groups[g].size() == 1)
        emitChunk(b, *groups[g].front(), flat[groups[g].front()], c,
                  starts.front());
      else
        emitSharedChunk(b, groups[g], flat, c, starts);
    }
    for (Member *m : joining)
      m->op->erase();
  }

  /// Whether `a` and `b` compute the same thing on operands of the same
  /// kinds (element types; scalars where scalars are), so that one chunk op
  /// serves both.
  static bool sameComputation(Member &a, Member &b) {
    if (a.op.getNumLoops() == 0 || b.op.getNumLoops() == 0 ||
        a.op.getNumDpsInputs() != b.op.getNumDpsInputs() ||
        a.op->getNumOperands() != b.op->getNumOperands())
      return false;
    for (auto [x, y] : llvm::zip(a.op->getOperands(), b.op->getOperands())) {
      auto tx = cast<MemRefType>(x.getType()),
           ty = cast<MemRefType>(y.getType());
      if (tx.getElementType() != ty.getElementType() ||
          (tx.getRank() == 0) != (ty.getRank() == 0))
        return false;
    }
    return OperationEquivalence::isRegionEquivalentTo(
        &a.op.getRegion(), &b.op.getRegion(),
        OperationEquivalence::IgnoreLocations);
  }

  /// How many of `starts` (increasing, the first 0) are at or below `c`,
  /// less one: the index of the range `c` falls in.
  static Value countStarted(OpBuilder &b, Location loc, Value c,
                            ArrayRef<int64_t> starts) {
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value count = index(0);
    for (int64_t s : starts.drop_front()) {
      Value after =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, c, index(s));
      count = arith::AddIOp::create(
          b, loc, count,
          arith::SelectOp::create(b, loc, after, index(1), index(0)));
    }
    return count;
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
    if (m.elements > chunk)
      cutChunk(b, loc, views, c, arith::ConstantIndexOp::create(b, loc, first),
               arith::ConstantIndexOp::create(b, loc, m.elements));
    buildChunkOp(b, op, views);
  }

  /// The chunk op shared by the members `group` (sameComputation, first
  /// chunks `starts`): the member of chunk `c`, its first chunk, its size
  /// and its views (1-D ones as memref<?xT>) come from a switch.
  void emitSharedChunk(OpBuilder &b, ArrayRef<Member *> group,
                       llvm::DenseMap<Member *, SmallVector<Value>> &flat,
                       Value c, ArrayRef<int64_t> starts) {
    linalg::GenericOp op = group.front()->op;
    Location loc = op.getLoc();
    Value k = countStarted(b, loc, c, starts);
    SmallVector<Type> types = {b.getIndexType(), b.getIndexType()};
    for (Value v : flat[group.front()]) {
      auto type = cast<MemRefType>(v.getType());
      types.push_back(
          type.getRank() == 0
              ? Type(type)
              : MemRefType::get({ShapedType::kDynamic}, type.getElementType()));
    }
    SmallVector<int64_t> cases;
    for (unsigned i = 0; i + 1 < group.size(); ++i)
      cases.push_back(i);
    auto pick =
        scf::IndexSwitchOp::create(b, loc, types, k, cases, cases.size());
    OpBuilder::InsertionGuard guard(b);
    for (auto [i, m] : llvm::enumerate(group)) {
      Region &region = i + 1 < group.size() ? pick.getCaseRegions()[i]
                                            : pick.getDefaultRegion();
      b.setInsertionPointToStart(&region.emplaceBlock());
      SmallVector<Value> yielded = {
          arith::ConstantIndexOp::create(b, loc, starts[i]),
          arith::ConstantIndexOp::create(b, loc, m->elements)};
      for (auto [v, type] : llvm::zip(flat[m], ArrayRef(types).drop_front(2)))
        yielded.push_back(
            v.getType() == type ? v : memref::CastOp::create(b, loc, type, v));
      scf::YieldOp::create(b, loc, yielded);
    }
    b.setInsertionPointAfter(pick);
    SmallVector<Value> views(pick.getResults().drop_front(2));
    cutChunk(b, loc, views, c, pick.getResult(0), pick.getResult(1));
    buildChunkOp(b, op, views);
  }

  /// Replaces the 1-D `views` by their chunk `c` of a member whose first
  /// chunk is `first` and that has `elements` elements.
  void cutChunk(OpBuilder &b, Location loc, SmallVector<Value> &views, Value c,
                Value first, Value elements) {
    Value size0 = arith::ConstantIndexOp::create(b, loc, chunk);
    Value offset = arith::MulIOp::create(
        b, loc, arith::SubIOp::create(b, loc, c, first), size0);
    Value size = arith::MinSIOp::create(
        b, loc, size0, arith::SubIOp::create(b, loc, elements, offset));
    for (Value &v : views)
      if (cast<MemRefType>(v.getType()).getRank() == 1)
        v = memref::SubViewOp::create(b, loc, v, OpFoldResult(offset),
                                      OpFoldResult(size),
                                      OpFoldResult(b.getIndexAttr(1)));
  }

  /// `op`'s body over the 1-D (or scalar) `views`, one parallel loop.
  void buildChunkOp(OpBuilder &b, linalg::GenericOp op, ArrayRef<Value> views) {
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineMap> maps;
    for (Value v : views)
      maps.push_back(cast<MemRefType>(v.getType()).getRank() == 0
                         ? AffineMap::get(1, 0, {}, ctx)
                         : AffineMap::getMultiDimIdentityMap(1, ctx));
    unsigned inputs = op.getNumDpsInputs();
    auto chunkOp = linalg::GenericOp::create(
        b, op.getLoc(), TypeRange{}, views.take_front(inputs),
        views.drop_front(inputs), maps, {utils::IteratorType::parallel});
    chunkOp.getRegion().getBlocks().clear();
    IRMapping none;
    op.getRegion().cloneInto(&chunkOp.getRegion(), none);
    for (NamedAttribute a : planOf(op))
      if (a.getName() != kHorizontalAttr)
        chunkOp->setAttr(a.getName(), a.getValue());
  }
};

} // namespace
