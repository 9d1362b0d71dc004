//===- PlanFusion.cpp - decide which linalg ops become one kernel ---------===//
//
// Groups producer/consumer pairs that `dlc::fusion::decideFusion` accepts
// (union-find over the function's linalg ops) and numbers the groups in
// program order: `dl.kernel = N` on every op. The plan is the IR's, not the
// pass's: dl-fuse-planned obeys whatever numbers it finds, so a plan edited
// by hand is carried out as written.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_PLANFUSION
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace dlc::fusion;

namespace {

/// The window-position map of max pooling with `strides` (dilation 1) over
/// loops (n, c, oh, ow, kh, kw).
AffineMap poolWindowMap(MLIRContext *ctx, ArrayRef<int64_t> strides) {
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  return AffineMap::get(
      6, 0, {d(0), d(1), d(2) * strides[0] + d(4), d(3) * strides[1] + d(5)},
      ctx);
}

/// Sibling fusion of max pooling: a training step computes each max-pooling
/// twice, once as `linalg.pooling_nchw_max` (the forward value) and once as
/// the argmax of the same windows with the value as a second accumulator
/// (for the gradient's scatter). The argmax kernel moves to the pooling and
/// its value result replaces the pooling's: one pass over the windows. The
/// value is the first maximum with NaN propagated, PyTorch's max_pool2d; it
/// differs from `arith.maximumf` only in the sign of a zero maximum.
void mergePoolingIntoArgmax(func::FuncOp fn) {
  SmallVector<linalg::PoolingNchwMaxOp> pools;
  fn.walk([&](linalg::PoolingNchwMaxOp p) { pools.push_back(p); });
  IRRewriter rewriter(fn.getContext());
  for (linalg::PoolingNchwMaxOp pool : pools) {
    if (!pool.hasPureTensorSemantics() ||
        !llvm::all_of(pool.getDilations().getValues<int64_t>(),
                      [](int64_t d) { return d == 1; }))
      continue;
    Value input = pool.getInputs()[0], window = pool.getInputs()[1];
    SmallVector<int64_t> strides(pool.getStrides().getValues<int64_t>());
    AffineMap windowMap = poolWindowMap(fn.getContext(), strides);
    Type valueType = pool.getResult(0).getType();
    linalg::GenericOp argmax;
    for (Operation *user : input.getUsers()) {
      auto g = dyn_cast<linalg::GenericOp>(user);
      if (!g || g == argmax || g.getNumDpsInputs() != 2 ||
          g.getNumDpsInits() != 2 || g.getNumReductionLoops() != 2 ||
          g.getDpsInputOperand(0)->get() != input ||
          g.getMatchingIndexingMap(g.getDpsInputOperand(0)) != windowMap ||
          g.getDpsInputOperand(1)->get().getType() != window.getType() ||
          g.getResult(0).getType() != valueType ||
          !isa<RankedTensorType>(g.getResult(1).getType()))
        continue;
      // The value accumulator starts where the pooling's does.
      auto start =
          g.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
      auto poolStart =
          pool.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
      if (!start || !poolStart ||
          start.getInputs()[0] != poolStart.getInputs()[0])
        continue;
      argmax = g;
      break;
    }
    if (!argmax)
      continue;
    // Rebuild the argmax where the pooling is: its index accumulator from
    // the pooling's sizes, the pooling's window and value accumulator.
    rewriter.setInsertionPoint(pool);
    Location loc = argmax.getLoc();
    auto idxType = cast<RankedTensorType>(argmax.getResult(1).getType());
    auto idxFill =
        argmax.getDpsInitOperand(1)->get().getDefiningOp<linalg::FillOp>();
    if (!idxFill)
      continue;
    Value poolInit = pool.getDpsInitOperand(0)->get();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, poolInit);
    Value idxEmpty =
        tensor::EmptyOp::create(rewriter, loc, sizes, idxType.getElementType());
    Value idxInit =
        linalg::FillOp::create(rewriter, loc, idxFill.getInputs()[0], idxEmpty)
            .getResult(0);
    IRMapping map;
    map.map(argmax.getDpsInputOperand(1)->get(), window);
    map.map(argmax.getDpsInitOperand(0)->get(), poolInit);
    map.map(argmax.getDpsInitOperand(1)->get(), idxInit);
    Operation *merged = rewriter.clone(*argmax, map);
    merged->setAttr(kMembersAttr,
                    rewriter.getArrayAttr(
                        {rewriter.getStringAttr(describeMember(pool)),
                         rewriter.getStringAttr(describeMember(argmax))}));
    rewriter.replaceOp(argmax, merged->getResults());
    rewriter.replaceOp(pool, merged->getResult(0));
  }
}

/// At most this many consumers get their own copy of a cheap producer.
constexpr unsigned kMaxRecomputingConsumers = 4;

/// Gives every consumer of a cheap elementwise producer (whyNotRecomputed)
/// a copy of its own when each of them could take it (decideFusion without
/// the only-consumer condition), as XLA duplicates cheap producers into
/// their fusions: a one-hot or a shift by a row maximum is then recomputed
/// where it is read instead of being written by a kernel of its own and
/// read back. Consumers are visited before producers, so a chain of cheap
/// ops is copied from its end. True if anything was copied.
bool recomputeCheapProducers(ArrayRef<linalg::LinalgOp> ops) {
  bool changed = false;
  for (linalg::LinalgOp producer : llvm::reverse(ops)) {
    if (!whyNotRecomputed(producer).empty())
      continue;
    llvm::MapVector<Operation *, SmallVector<OpOperand *>> consumers;
    bool fusable = true;
    for (OpOperand &use : producer->getResult(0).getUses()) {
      auto consumer = dyn_cast<linalg::LinalgOp>(use.getOwner());
      fusable = consumer &&
                consumer->getParentRegion() == producer->getParentRegion() &&
                decideFusion(use, /*countUsers=*/false).fuse;
      if (!fusable)
        break;
      consumers[consumer].push_back(&use);
    }
    if (!fusable || consumers.size() < 2 ||
        consumers.size() > kMaxRecomputingConsumers)
      continue;
    // Marked, so that the fusion report says why it appears in each.
    producer->setAttr(kRecomputedAttr, UnitAttr::get(producer->getContext()));
    OpBuilder b(producer);
    for (auto &[consumer, uses] : llvm::drop_begin(consumers)) {
      Operation *copy = b.clone(*producer);
      for (OpOperand *use : uses)
        use->set(copy->getResult(0));
    }
    changed = true;
  }
  return changed;
}

struct PlanFusionPass : dl::impl::PlanFusionBase<PlanFusionPass> {
  using PlanFusionBase::PlanFusionBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmallVector<linalg::LinalgOp> ops;
    fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    bool given = llvm::any_of(
        ops, [](linalg::LinalgOp op) { return plannedKernel(op).has_value(); });
    if (given) {
      // A plan in the IR: keep it; ops without a number get fresh ones.
      int64_t next = 0;
      for (linalg::LinalgOp op : ops)
        next = std::max(next, plannedKernel(op).value_or(0));
      for (linalg::LinalgOp op : ops)
        if (!plannedKernel(op))
          setKernel(op, ++next);
      return;
    }

    if (fuse) {
      mergePoolingIntoArgmax(fn);
      ops.clear();
      fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    }

    // Reductions as generics: the form elementwise fusion merges into.
    IRRewriter rewriter(fn.getContext());
    for (linalg::LinalgOp &op : ops)
      if (auto reduce = dyn_cast<linalg::ReduceOp>(op.getOperation())) {
        rewriter.setInsertionPoint(reduce);
        FailureOr<linalg::GenericOp> generic =
            generalizeKeepingPlan(rewriter, reduce);
        if (succeeded(generic))
          op = *generic;
      }

    if (fuse && recomputeCheapProducers(ops)) {
      ops.clear();
      fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    }

    llvm::EquivalenceClasses<Operation *> kernels;
    for (linalg::LinalgOp op : ops)
      kernels.insert(op);
    if (fuse)
      for (linalg::LinalgOp consumer : ops)
        for (OpOperand *input : consumer.getDpsInputOperands())
          if (linalg::LinalgOp producer = producerOf(*input);
              producer &&
              producer->getParentRegion() == consumer->getParentRegion() &&
              decideFusion(*input).fuse)
            kernels.unionSets(producer, consumer);

    if (fuse && epilogues) {
      planEpilogues(ops, kernels);
      planPrologues(ops, kernels);
    }

    // Number the kernels in the order their first op appears.
    llvm::DenseMap<Operation *, int64_t> number;
    llvm::MapVector<int64_t, SmallVector<Operation *>> members;
    for (linalg::LinalgOp op : ops) {
      Operation *leader = kernels.getLeaderValue(op);
      auto [it, inserted] = number.try_emplace(leader, number.size() + 1);
      setKernel(op, it->second);
      members[it->second].push_back(op);
    }

    if (fuse && horizontal)
      planHorizontal(members);
  }

  /// Every kernel that whyNotHorizontal accepts (the optimizer's update of
  /// each parameter, each with three outputs) joins one horizontal kernel,
  /// as PyTorch's fused and foreach optimizers update every parameter in
  /// one launch: dl-merge-horizontal runs them as one parallel loop
  /// over chunks of all their elements, so the biases' updates, too small
  /// for threads of their own, share the work of the large weights'.
  static void
  planHorizontal(llvm::MapVector<int64_t, SmallVector<Operation *>> &members) {
    SmallVector<int64_t> chosen;
    for (auto &[kernel, ops] : members)
      if (whyNotHorizontal(ops).empty())
        chosen.push_back(kernel);
    if (chosen.size() < 2)
      return;
    for (int64_t kernel : chosen)
      for (Operation *op : members[kernel])
        op->setAttr(kHorizontalAttr,
                    IntegerAttr::get(IntegerType::get(op->getContext(), 64),
                                     chosen.front()));
  }

  /// Gives each contraction or convolution the first consumer (in program
  /// order) that decideEpilogue accepts, with the kernel that consumer is
  /// planned into, if that whole kernel is elementwise over the output (so
  /// that, fused, it is still one elementwise op reading the output with
  /// the identity) and holds no other contraction.
  static void planEpilogues(ArrayRef<linalg::LinalgOp> ops,
                            llvm::EquivalenceClasses<Operation *> &kernels) {
    llvm::DenseMap<Operation *, unsigned> position;
    for (auto [i, op] : llvm::enumerate(ops))
      position[op] = i;
    // `output`: the product's result; other inputs of the output's size
    // from outside the kernel make it no epilogue (decideEpilogue says why).
    auto elementwiseKernel = [&](Operation *member, Value output) {
      auto loops = cast<linalg::LinalgOp>(member).getNumLoops();
      for (auto it = kernels.findLeader(member); it != kernels.member_end();
           ++it) {
        auto op = cast<linalg::LinalgOp>(*it);
        if (op.getNumReductionLoops() || op.getNumLoops() != loops ||
            !isa<linalg::GenericOp>(*it))
          return false;
        for (OpOperand &operand : op->getOpOperands()) {
          Operation *def = operand.get().getDefiningOp();
          bool fromKernel =
              def && kernels.contains(def) && kernels.isEquivalent(def, *it);
          if ((op.isDpsInit(&operand) || fromKernel) &&
              !op.getMatchingIndexingMap(&operand).isIdentity())
            return false;
          if (op.isDpsInput(&operand) && !fromKernel &&
              operand.get() != output &&
              op.getMatchingIndexingMap(&operand).isPermutation())
            return false;
          // Computed after the product (from its result, as a row maximum
          // is): not ready when the product's blocks are.
          if (op.isDpsInput(&operand) && !fromKernel && def &&
              def->getBlock() == output.getParentBlock() &&
              output.getDefiningOp()->isBeforeInBlock(def))
            return false;
        }
      }
      return true;
    };
    for (linalg::LinalgOp producer : ops) {
      if (producer->getNumResults() != 1)
        continue;
      OpOperand *chosen = nullptr;
      for (OpOperand &use : producer->getResult(0).getUses()) {
        auto consumer = dyn_cast<linalg::LinalgOp>(use.getOwner());
        if (!consumer || !position.count(consumer) ||
            consumer->getParentRegion() != producer->getParentRegion() ||
            !decideEpilogue(use).fuse ||
            !elementwiseKernel(consumer, producer->getResult(0)))
          continue;
        if (!chosen || position[consumer] < position[chosen->getOwner()])
          chosen = &use;
      }
      if (chosen)
        kernels.unionSets(producer, chosen->getOwner());
    }
  }

  /// Gives each contraction or convolution the producer of its initial
  /// value (decidePrologue: a zero fill, a broadcast bias) when that
  /// producer is a kernel of its own.
  static void planPrologues(ArrayRef<linalg::LinalgOp> ops,
                            llvm::EquivalenceClasses<Operation *> &kernels) {
    for (linalg::LinalgOp op : ops)
      for (OpOperand &init : op.getDpsInitsMutable()) {
        Operation *producer = init.get().getDefiningOp();
        if (!producer || !kernels.contains(producer) ||
            std::distance(kernels.findLeader(producer), kernels.member_end()) !=
                1 ||
            !decidePrologue(init).fuse)
          continue;
        kernels.unionSets(producer, op);
      }
  }

  static void setKernel(Operation *op, int64_t n) {
    op->setAttr(kKernelAttr,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64), n));
  }
};

} // namespace
