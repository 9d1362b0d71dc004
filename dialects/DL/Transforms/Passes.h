//===- Passes.h - transformations of the dl dialect -------------*- C++ -*-===//
#ifndef DL_TRANSFORMS_PASSES_H
#define DL_TRANSFORMS_PASSES_H

#include "dialects/DL/IR/DLDialect.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dl {

#define GEN_PASS_DECL
#include "dialects/DL/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/DL/Transforms/Passes.h.inc"

} // namespace mlir::dl

#endif // DL_TRANSFORMS_PASSES_H
