//===- Passes.h - transformations of the dl dialect -------------*- C++ -*-===//
#ifndef DL_TRANSFORMS_PASSES_H
#define DL_TRANSFORMS_PASSES_H

#include "dialects/DL/IR/DLDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dl {

/// Builds `name`: f's arguments -> (f's value, d f / d arg for each argument
/// index in `wrt`), by reverse-mode differentiation (see dl-autodiff). The
/// extra results of a training-mode function (its `dl.updates`) follow the
/// gradients unchanged.
/// Returns null after reporting errors on f.
func::FuncOp buildGradientFunction(func::FuncOp f, ArrayRef<unsigned> wrt,
                                   StringRef name);

#define GEN_PASS_DECL
#include "dialects/DL/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/DL/Transforms/Passes.h.inc"

} // namespace mlir::dl

#endif // DL_TRANSFORMS_PASSES_H
