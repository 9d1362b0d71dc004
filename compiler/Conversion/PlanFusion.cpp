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
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/EquivalenceClasses.h"

namespace mlir::dl {
#define GEN_PASS_DEF_PLANFUSION
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace dlc::fusion;

namespace {

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

    llvm::EquivalenceClasses<Operation *> kernels;
    for (linalg::LinalgOp op : ops)
      kernels.insert(op);
    if (fuse)
      for (linalg::LinalgOp consumer : ops)
        for (OpOperand *input : consumer.getDpsInputOperands())
          if (linalg::LinalgOp producer = producerOf(*input);
              producer && producer->getParentRegion() ==
                              consumer->getParentRegion() &&
              decideFusion(*input).fuse)
            kernels.unionSets(producer, consumer);

    // Number the kernels in the order their first op appears.
    llvm::DenseMap<Operation *, int64_t> number;
    for (linalg::LinalgOp op : ops) {
      Operation *leader = kernels.getLeaderValue(op);
      auto [it, inserted] = number.try_emplace(leader, number.size() + 1);
      setKernel(op, it->second);
    }
  }

  static void setKernel(Operation *op, int64_t n) {
    op->setAttr(kKernelAttr,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64), n));
  }
};

} // namespace
