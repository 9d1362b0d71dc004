//===- FusionCheck.h - fused kernels against their ops ---------*- C++ -*-===//
//
// `dlc FILE.dl --verify-fusion`: for a module in linalg on tensors with the
// fusion plan recorded (Compilation::planLinalg), every planned kernel of
// two or more ops is cut out into a function of its own (its inputs as
// arguments, its outputs as results) and compiled twice for the host: once
// fused (dl-fuse-planned) and once with every op a kernel of its own. Both
// run on the same random inputs and their outputs are compared.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_API_FUSIONCHECK_H
#define DLC_API_FUSIONCHECK_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace dlc {

struct FusionCheckSummary {
  unsigned kernels = 0;    // fused kernels compared
  unsigned mismatches = 0; // outputs that differ beyond the tolerance
  std::string error;       // a failure to build or run the check itself
  bool ok() const { return error.empty() && mismatches == 0; }
};

/// Checks every fused kernel of `planned` (not modified), printing one line
/// per kernel to `os`. Sizes the IR leaves open are `dynamicSize`.
FusionCheckSummary verifyFusion(mlir::ModuleOp planned, llvm::raw_ostream &os,
                                uint64_t seed = 0, int64_t dynamicSize = 37);

/// The comparison on its own: calls `function` in `reference` and in
/// `candidate` (both in linalg on tensors, without a plan) on the same
/// random inputs and reports the largest difference; for tests of the check.
FusionCheckSummary compareFunctions(mlir::ModuleOp reference,
                                    mlir::ModuleOp candidate,
                                    const std::string &function,
                                    llvm::raw_ostream &os, uint64_t seed = 0,
                                    int64_t dynamicSize = 37);

} // namespace dlc

#endif // DLC_API_FUSIONCHECK_H
