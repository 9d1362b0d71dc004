//===- ParallelLoops.h - rewriting scf.parallel loops -----------*- C++ -*-===//
#ifndef DLC_CONVERSION_PARALLELLOOPS_H
#define DLC_CONVERSION_PARALLELLOOPS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace dlc {

/// Rewrites `p` (without reductions) as an scf.parallel over its first
/// `keep` dimensions (none: no parallel loop) around nested scf.for loops
/// over the others. Used by dl-serialize-nested-parallel and, on a copy, by
/// dl-omp-work-threshold's sequential version of a loop.
void serializeFrom(mlir::RewriterBase &rewriter, mlir::scf::ParallelOp p,
                   unsigned keep);

} // namespace dlc

#endif // DLC_CONVERSION_PARALLELLOOPS_H
