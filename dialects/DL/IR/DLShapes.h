//===- DLShapes.h - shape rules shared by dl ops and lowering ---*- C++ -*-===//
//
// The broadcasting rule lives here once, so the verifier, type inference and
// the linalg lowering can never disagree about what a shape means.
//
//===----------------------------------------------------------------------===//
#ifndef DL_IR_DLSHAPES_H
#define DL_IR_DLSHAPES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <optional>

namespace mlir::dl {

/// NumPy broadcasting of two static-or-dynamic shapes (ShapedType::kDynamic
/// marks `?`). Aligns trailing dimensions; a static 1 stretches; a dynamic
/// dimension is never stretched, so `?` against a static size S != 1 yields S
/// (the sizes must agree at run time) and `?` against `?` yields `?`. Returns
/// the index (counted from the trailing end, 0-based) of the first
/// incompatible dimension pair through `badDim` on failure.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                unsigned *badDim = nullptr);

} // namespace mlir::dl

#endif // DL_IR_DLSHAPES_H
