//===- FusePlanned.cpp - carry out the fusion plan ------------------------===//
//
// Fuses each producer into its consumer when the plan (`dl.kernel`) puts
// both into one kernel, using linalg's elementwise fusion, until no planned
// pair is left; then checks that every planned kernel is one op.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

#include <map>

namespace mlir::dl {
#define GEN_PASS_DEF_FUSEPLANNED
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace dlc::fusion;

namespace {

/// An input of a linalg.generic whose producer the plan puts into the same
/// kernel.
OpOperand *findPlannedInput(func::FuncOp fn) {
  OpOperand *found = nullptr;
  fn.walk([&](linalg::GenericOp consumer) {
    std::optional<int64_t> kernel = plannedKernel(consumer);
    if (!kernel)
      return WalkResult::advance();
    for (OpOperand *input : consumer.getDpsInputOperands()) {
      linalg::LinalgOp producer = producerOf(*input);
      // A contraction and its epilogue stay two ops (dl-cpu-vectorize). Not
      // asked of decideEpilogue: until the epilogue's other members are
      // fused into it, it may still read their results (operands of the
      // output's size) and look like no epilogue; the check at the end
      // asks it of the finished op.
      if (producer && plannedKernel(producer) == kernel &&
          producer.getNumReductionLoops() == 0) {
        found = input;
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return found;
}

/// Merges repeated inputs of `op` (x * x reads x twice: fused as is, the
/// producer's body would be inlined twice); keeps the plan's attributes.
/// True if `op` was replaced.
bool deduplicateInputs(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<NamedAttribute> plan = planOf(op);
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> deduped =
      linalg::deduplicateOperandsAndRemoveDeadResults(rewriter, op,
                                                      /*removeOutputs=*/false);
  if (failed(deduped) || *deduped == op)
    return false;
  setPlan(*deduped, plan);
  return true;
}

/// Makes `epilogue` use its product's result as the initial value of a
/// result of the same type, when the product's result has no other user and
/// that result's initial value is not read by the body.
void writeIntoProduct(linalg::GenericOp epilogue) {
  std::optional<int64_t> kernel = plannedKernel(epilogue);
  if (!kernel)
    return;
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    linalg::LinalgOp product = producerOf(*input);
    if (!product || plannedKernel(product) != kernel ||
        !decideEpilogue(*input).fuse || !input->get().hasOneUse())
      continue;
    for (OpOperand &init : epilogue.getDpsInitsMutable()) {
      if (init.get().getType() != input->get().getType() ||
          epilogue.payloadUsesValueFromOperand(&init))
        continue;
      init.set(input->get());
      return;
    }
  }
}

/// The error for a plan that puts `input`'s producer and its consumer into
/// one kernel although they cannot be fused.
void reportUnfusable(OpOperand &input, int64_t kernel) {
  FusionDecision why = decideFusion(input);
  input.getOwner()->emitError()
      << "the fusion plan puts this op and its input #"
      << input.getOperandNumber() << " (" << producerOf(input)->getName()
      << ") into kernel " << kernel << ", but they cannot be fused: "
      << (why.fuse ? "linalg's elementwise fusion rejects the pair"
                   : why.reason);
}

struct FusePlannedPass : dl::impl::FusePlannedBase<FusePlannedPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    IRRewriter rewriter(fn.getContext());
    while (OpOperand *input = findPlannedInput(fn)) {
      auto consumer = cast<linalg::GenericOp>(input->getOwner());
      if (deduplicateInputs(rewriter, consumer))
        continue;
      linalg::LinalgOp producer = producerOf(*input);
      int64_t kernel = *plannedKernel(consumer);
      if (!isa<linalg::GenericOp>(producer) ||
          !linalg::areElementwiseOpsFusable(input)) {
        reportUnfusable(*input, kernel);
        return signalPassFailure();
      }
      SmallVector<Attribute> members = membersOf(producer);
      members.append(membersOf(consumer));
      rewriter.setInsertionPoint(consumer);
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, input);
      if (failed(fused)) {
        consumer.emitError()
            << "kernel " << kernel << ": linalg's elementwise fusion failed";
        return signalPassFailure();
      }
      Operation *producerOp = producer.getOperation();
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
          return use.getOwner() != producerOp;
        });
      fused->fusedOp->setAttr(kKernelAttr, consumer->getAttr(kKernelAttr));
      if (Attribute group = consumer->getAttr(kHorizontalAttr))
        fused->fusedOp->setAttr(kHorizontalAttr, group);
      fused->fusedOp->setAttr(kMembersAttr,
                              ArrayAttr::get(fn.getContext(), members));
      rewriter.eraseOp(consumer);
      if (producerOp->use_empty())
        rewriter.eraseOp(producerOp);
    }

    // Fusion leaves an input read through several operands when more than
    // one member read it (Adam's gradient): one operand each.
    SmallVector<linalg::GenericOp> fusedOps;
    fn.walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kMembersAttr))
        fusedOps.push_back(op);
    });
    for (linalg::GenericOp op : fusedOps)
      (void)deduplicateInputs(rewriter, op);

    // An epilogue whose product's output has no other reader writes its
    // result into that output (one buffer after bufferization: each block
    // is rewritten while in L1, not copied to a second stream).
    fn.walk([&](linalg::GenericOp epilogue) { writeIntoProduct(epilogue); });

    // A producer left in its consumer's kernel is a contraction or a
    // reduction: only a contraction's epilogue may follow it.
    WalkResult unfused = fn.walk([&](linalg::LinalgOp consumer) {
      std::optional<int64_t> kernel = plannedKernel(consumer);
      for (OpOperand *input : consumer.getDpsInputOperands()) {
        linalg::LinalgOp producer = producerOf(*input);
        if (!kernel || !producer || plannedKernel(producer) != kernel ||
            decideEpilogue(*input).fuse)
          continue;
        reportUnfusable(*input, *kernel);
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (unfused.wasInterrupted())
      return signalPassFailure();

    // Every planned kernel must now be one op, or a contraction with its
    // prologue and epilogue, if any.
    std::map<int64_t, Operation *> seen;
    llvm::SmallPtrSet<Operation *, 8> withEpilogue;
    WalkResult result = fn.walk([&](linalg::LinalgOp op) {
      std::optional<int64_t> kernel = plannedKernel(op);
      if (!kernel)
        return WalkResult::advance();
      auto [it, inserted] = seen.try_emplace(*kernel, op);
      if (inserted)
        return WalkResult::advance();
      Operation *first = it->second;
      // A prologue (the product's initial value) stands for its product
      // until the product comes.
      if (isPrologueOf(first, op)) {
        it->second = op;
        return WalkResult::advance();
      }
      if (!withEpilogue.contains(first) && isEpilogueOf(op, first)) {
        withEpilogue.insert(first);
        return WalkResult::advance();
      }
      op.emitError() << "the fusion plan puts this op into kernel " << *kernel
                     << " with an op it neither produces for nor consumes "
                        "from (see the first op of the kernel)";
      it->second->emitRemark() << "first op of kernel " << *kernel;
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
