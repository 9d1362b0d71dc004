//===- FusionPlan.h - the fusion plan recorded in the IR --------*- C++ -*-===//
//
// dl-plan-fusion decides which linalg ops on tensors become one kernel and
// records it on each op as `dl.kernel = N` (ops with the same number in a
// function are one kernel); dl-fuse-planned carries it out and lists each
// fused kernel's members in `dl.members`. The decision rule lives here once:
// the planner, the fuser's legality check and the fusion report (why two
// kernels stayed apart) all ask `decideFusion`.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_FUSIONPLAN_H
#define DLC_CONVERSION_FUSIONPLAN_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>

namespace dlc::fusion {

/// Discardable attribute names.
inline constexpr llvm::StringLiteral kKernelAttr = "dl.kernel";
inline constexpr llvm::StringLiteral kMembersAttr = "dl.members";
/// On a cheap producer that the planner copied into each of its consumers.
inline constexpr llvm::StringLiteral kRecomputedAttr = "dl.recomputed";
/// On every op of the kernels that run as one horizontal kernel (mutually
/// independent elementwise kernels: the optimizer's update of every
/// parameter), the number of the group's first kernel.
inline constexpr llvm::StringLiteral kHorizontalAttr = "dl.horizontal";

/// Whether the producer of a consumer's input should be fused into the
/// consumer, and why not when it should not.
struct FusionDecision {
  bool fuse = false;
  std::string reason; // empty when fuse
};

/// The producing linalg op of `input` (an input operand of a linalg op), if
/// it is computed by one directly.
mlir::linalg::LinalgOp producerOf(mlir::OpOperand &input);

/// The planner's rule for `input`, an input operand of a linalg op whose
/// value a linalg op produces: fuse an elementwise producer into its only
/// consumer when linalg's elementwise fusion can merge the two loop nests.
/// With `countUsers` false, the rule without its only-consumer condition
/// (whether this one consumer could take the producer).
FusionDecision decideFusion(mlir::OpOperand &input, bool countUsers = true);

/// Why an elementwise producer is too costly to compute again inside each
/// of several consumers (empty when it is cheap): a math function or a
/// division in its body, more than 8 ops in it, or more than one operand
/// of its own size to read (each consumer would then read more than the
/// one result it reads now).
std::string whyNotRecomputed(mlir::linalg::LinalgOp producer);

/// Whether the elementwise consumer of a contraction or convolution's result
/// (`input`) should be its epilogue: planned into the contraction's kernel
/// and, on the CPU, computed for each block of the contraction's output as
/// soon as that block is complete (dl-cpu-vectorize), instead of in a pass
/// of its own over the whole output: bias adds and activations. Not a
/// consumer that reads other operands of the output's size (an optimizer
/// update): in the product's block order those are read 8 rows at a time,
/// slower than a pass of its own (measured). The two stay
/// separate linalg ops on tensors (no linalg op holds a reduction followed
/// by elementwise work); the fuser leaves them as they are.
FusionDecision decideEpilogue(mlir::OpOperand &input);

/// Whether `op` reads `contraction`'s result as its epilogue.
bool isEpilogueOf(mlir::Operation *op, mlir::Operation *contraction);

/// Whether the producer of a contraction or convolution's initial value
/// (`init`, its output operand) should be its prologue: planned into its
/// kernel and, on the CPU, written into each register block of the output
/// right before the block's reduction (dl-cpu-vectorize) instead of in a
/// pass of its own over the whole output that the product then reads back:
/// a fill with zeros, a broadcast bias. Only fills and elementwise
/// producers that read nothing of the output's size, with no other reader.
FusionDecision decidePrologue(mlir::OpOperand &init);

/// Whether `op` produces `contraction`'s initial value as its prologue.
bool isPrologueOf(mlir::Operation *op, mlir::Operation *contraction);

/// The kernel number the plan gives `op`, if any.
std::optional<int64_t> plannedKernel(mlir::Operation *op);

/// "generic(arith.subf math.exp) 22:12 22:20": what an unfused op computes
/// and the source positions of it and its body; " [recomputed]" follows a
/// producer that is copied into each of its consumers.
std::string describeMember(mlir::Operation *op);

/// Why the kernel made of `ops` (one planned kernel of a function) cannot
/// join a horizontal kernel (empty when it can): it must be elementwise
/// (generics with parallel loops only, no `linalg.index`, not a scalar's
/// rank 0), read and write
/// static shapes with identity maps (scalars of rank 0 aside), and its
/// results must leave the function without being read (an optimizer's new
/// parameters and moments), so that it depends on no other such kernel and
/// none on it.
std::string whyNotHorizontal(llvm::ArrayRef<mlir::Operation *> ops);

/// The horizontal kernel `op` runs in, if any.
std::optional<int64_t> horizontalGroup(mlir::Operation *op);

/// The plan's attributes of `op` (`dl.kernel`, `dl.members`), to put on
/// the op that replaces it (setPlan).
llvm::SmallVector<mlir::NamedAttribute> planOf(mlir::Operation *op);
void setPlan(mlir::Operation *op, llvm::ArrayRef<mlir::NamedAttribute> plan);

/// linalg::generalizeNamedOp, keeping the plan's attributes (`dl.kernel`,
/// `dl.members`, `dl.horizontal`) on the generic.
mlir::FailureOr<mlir::linalg::GenericOp>
generalizeKeepingPlan(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op);

/// The member descriptions of `op`: its `dl.members`, or the op itself.
llvm::SmallVector<mlir::Attribute> membersOf(mlir::Operation *op);

} // namespace dlc::fusion

#endif // DLC_CONVERSION_FUSIONPLAN_H
