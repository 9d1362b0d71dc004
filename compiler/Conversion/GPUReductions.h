//===- GPUReductions.h - reduction loop nests on the GPU --------*- C++ -*-===//
//
// dl-gpu-fuse-reductions and dl-gpu-map-kernels must agree on how a
// reduction nest will run (a thread per output, a warp per output, or a sum
// split over several warps that add atomically): the first folds the nests
// that initialise and consume a reduction's outputs into it only when no
// atomics will combine partial results, the second maps it.
//
// The reduction form both see (after dl-gpu-fuse-reductions):
//   scf.parallel (ivs) {
//     ...                                        // indices, the initial value
//     %r = scf.for %k = lb to ub step s iter_args(%acc = %init) -> f32 {
//       ...                                      // loads and pure ops
//       %next = combine %acc, %x                 // addf, maximumf, minimumf
//       scf.yield %next
//     }
//     memref.store %r, %out[I]
//     ...                                        // elementwise consumers
//     scf.for %j = ... {                         // row epilogues: over a
//       ...                                      // dimension more, reading
//     }                                          // the row's %r
//     %r2 = scf.for ... iter_args(...)           // further reductions of
//     ...                                        // the same row (a softmax's
//   }                                            // sum after its maximum)
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_GPUREDUCTIONS_H
#define DLC_CONVERSION_GPUREDUCTIONS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <optional>

namespace dlc::gpu {

/// Sizes the mapping heuristics assume for dynamic (batch) extents.
constexpr int64_t kAssumedDynamicExtent = 64;
constexpr int64_t kWarp = 32;

/// A reduction loop's step: `combine(acc, contribution)`.
struct Combine {
  mlir::Operation *op; // addf, maximumf, minimumf
  mlir::Value contribution;
};

/// The combine of a loop that a warp may split: one iter_arg, a body of
/// loads and ops free of memory effects, the yielded value a combine (with
/// reductionIdentity) of the iter_arg, used once, and another value.
std::optional<Combine> matchCombine(mlir::scf::ForOp loop);

/// A reduction nest in the form above.
struct ReductionLoop {
  mlir::scf::ForOp loop;       // the first reduction loop
  mlir::memref::StoreOp store; // of the loop's result, after the loop
  mlir::Operation *combine;    // the yielded value's op
  mlir::Value contribution;    // x(k): combine's other operand
  /// The parallel body's ops the loop depends on (its bounds and the values
  /// its body uses), when all are free of memory effects: a split sum's
  /// warps compute them in every lane, unguarded.
  llvm::SmallVector<mlir::Operation *> loopDeps;
  /// The initial value is the output's own element (`memref.load %out[I]`,
  /// used by the loop alone), nothing follows the store and the loop
  /// depends on nothing with memory effects: the sum may be split over
  /// warps that add their totals to the output atomically.
  bool splittable = false;
};

std::optional<ReductionLoop> matchReduction(mlir::scf::ParallelOp parallel);

/// The identity of `combine` for `type`, or null if it is not a reduction
/// that may be reassociated across a warp (f32 add, maximum, minimum).
mlir::TypedAttr reductionIdentity(mlir::Operation *combine, mlir::Type type);

/// How `parallel`'s reduction `r` runs: 0 a thread per output, 1 a warp per
/// output, n > 1 each sum split over n warps that add atomically.
int64_t reductionWarps(mlir::scf::ParallelOp parallel, const ReductionLoop &r);

} // namespace dlc::gpu

#endif // DLC_CONVERSION_GPUREDUCTIONS_H
