//===- CPUEpilogue.h - epilogues computed per register block ----*- C++ -*-===//
//
// dl-plan-fusion may put the elementwise consumer of a contraction into the
// contraction's kernel (dlc::fusion::decideEpilogue): a bias add, an
// activation.
// On buffers, dl-cpu-vectorize carries that out: the consumer's tile for
// each register block of the output runs right after the block's reduction
// loop, while the block is still in L1, instead of in a pass of its own
// over the whole output. These are the steps, kept out of the pass's file.
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

/// Creates `epilogue`'s tile for each block of `contraction`'s output right
/// after that block's reduction loops, in the loop nest `loops` made by
/// tiling `contraction` with `sizes` in the loop order `order` (one loop per
/// entry, reductions last), and erases `epilogue`. The tile is returned
/// (for the caller to mark as a full tile); failure: nothing changed.
mlir::FailureOr<mlir::linalg::LinalgOp>
tileIntoBlocks(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp epilogue,
               mlir::linalg::LinalgOp contraction,
               llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> order,
               llvm::ArrayRef<mlir::LoopLikeOpInterface> loops);

} // namespace dlc::epilogue

#endif // DLC_CONVERSION_CPUEPILOGUE_H
