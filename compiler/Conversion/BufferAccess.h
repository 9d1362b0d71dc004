//===- BufferAccess.h - which buffers an op reads and writes ----*- C++ -*-===//
//
// Passes on buffers that move ops past each other (an epilogue or prologue
// next to its product, the members of a horizontal kernel to the last one)
// must know which buffers the ops in between touch. A buffer is named by
// its root: the allocation or argument its view comes from.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_BUFFERACCESS_H
#define DLC_CONVERSION_BUFFERACCESS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace dlc::buffers {

/// The allocation or argument `v` is a view of (through subviews, casts,
/// reshapes). Distinct function arguments are distinct buffers (the runtime
/// and the API pass each parameter, moment and batch in its own
/// allocation).
mlir::Value rootOf(mlir::Value v);

/// The buffers (roots) `op` reads and writes (a linalg op: its inputs and
/// its outputs; another op: its memory effects); false if it has effects
/// that are not on a known buffer, or regions other than a linalg body.
bool accesses(mlir::Operation *op, llvm::SmallPtrSetImpl<mlir::Value> &reads,
              llvm::SmallPtrSetImpl<mlir::Value> &writes);

} // namespace dlc::buffers

#endif // DLC_CONVERSION_BUFFERACCESS_H
