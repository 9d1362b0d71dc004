//===- CPUEpilogue.h - epilogues computed per register block ----*- C++ -*-===//
//
// dl-plan-fusion may put the elementwise consumer of a contraction into the
// contraction's kernel (dlc::fusion::decideEpilogue): a bias add, an
// activation.
// On buffers, dl-cpu-vectorize carries that out: the consumer's tile for
// each register block of the output runs right after the block's reduction
// loop, while the block is still in L1, instead of in a pass of its own
// over the whole output. Likewise a planned prologue (the producer of the
// contraction's initial value: a zero fill, a broadcast bias) is written
// into each block right before the block's reduction, instead of into the
// whole output first. These are the steps, kept out of the pass's file.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_CPUEPILOGUE_H
#define DLC_CONVERSION_CPUEPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace dlc::epilogue {

/// The epilogue the plan gives `contraction` (a later linalg.generic with
/// the same `dl.kernel` reading its output buffer with the identity), moved
/// to right after it, together with the allocations and pure ops it needs
/// from in between; null (and nothing moved) if there is none or if moving
/// it could change what any op reads or writes.
mlir::linalg::GenericOp takeEpilogue(mlir::RewriterBase &rewriter,
                                     mlir::linalg::LinalgOp contraction);

/// `epilogue` with its loops collapsed as `contraction`'s output dimensions
/// were (by dl-cpu-vectorize's collapse of contiguous loops), so that its
/// loops are again the output's dimensions; null if that fails (the
/// epilogue is then left alone and the caller forgets it).
mlir::linalg::GenericOp collapseLikeOutput(mlir::RewriterBase &rewriter,
                                           mlir::linalg::GenericOp epilogue,
                                           mlir::linalg::LinalgOp contraction);

/// The prologue the plan gives `contraction` (the closest earlier linalg op
/// with the same `dl.kernel`, elementwise over the output and writing it
/// with the identity: a zero fill, a broadcast bias), moved to right before
/// it; null (and nothing moved) if there is none, if it reads the output,
/// or if an op in between reads or writes the output or writes what the
/// prologue reads.
mlir::linalg::LinalgOp takePrologue(mlir::RewriterBase &rewriter,
                                    mlir::linalg::LinalgOp contraction);

/// `prologue` writing `contraction`'s output as dl-cpu-vectorize collapsed
/// it (a fill of the collapsed view, or the generic collapsed like the
/// output), right before `contraction`; null if that fails (the prologue is
/// then left as it was).
mlir::linalg::LinalgOp
collapsePrologueLikeOutput(mlir::RewriterBase &rewriter,
                           mlir::linalg::LinalgOp prologue,
                           mlir::linalg::LinalgOp contraction);

/// Creates `op`'s tile for each block of `contraction`'s output right after
/// that block's reduction loops (an epilogue, reading the output) or right
/// before them (`beforeReduction`: a prologue, writing it), in the loop nest
/// `loops` made by tiling `contraction` with `sizes` in the loop order
/// `order` (one loop per entry, reductions last), and erases `op`. The tile
/// is returned (for the caller to mark as a full tile); failure: nothing
/// changed.
mlir::FailureOr<mlir::linalg::LinalgOp>
tileIntoBlocks(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op,
               mlir::linalg::LinalgOp contraction,
               llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> order,
               llvm::ArrayRef<mlir::LoopLikeOpInterface> loops,
               bool beforeReduction = false);

} // namespace dlc::epilogue

#endif // DLC_CONVERSION_CPUEPILOGUE_H
