//===- CPUInterleave.h - vectors across short interleaved loops -*- C++ -*-===//
//
// A 2x2 max-pooling read through a view of its input ([N, C, OH, KH, OW,
// KW], dl-cpu-im2col) walks each image row as (ow, kw) pairs: the output
// is contiguous along ow, the input along the pair. Vectors along ow alone
// read every other element of the input; vectors along kw hold two lanes.
// Here a vector runs along ow and each memory access covers the whole
// (ow, kw) block: one contiguous load, split into one vector per kw by
// shuffles (and, for an output written in pairs, the reverse). The kw loop
// is unrolled around the op's body, which is computed on those vectors: the
// pooling's max (or argmax) and its gradient's scatter become vector code
// without a window copy.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_CPUINTERLEAVE_H
#define DLC_CONVERSION_CPUINTERLEAVE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace dlc::interleave {

/// The loop the vectors run along (`lanes` of it per tile) and the short
/// loop interleaved with it in memory (`extent` iterations, unrolled).
struct Plan {
  unsigned vectorLoop, offsetLoop;
  int64_t lanes, extent;
};

/// Whether `op` (on buffers) reads or writes a block [.., v, k] contiguous
/// in memory with k short and static, every other operand being contiguous
/// along v, constant along both, or read per k, and its body elementwise
/// arithmetic; then the plan, for vectors of at most `lanes` f32 lanes.
std::optional<Plan> plan(mlir::linalg::LinalgOp op, int64_t lanes);

/// Replaces `tile`, a tile of an op planned by `plan` whose loops all have
/// extent 1 except the plan's two, by vector code. Failure: nothing
/// changed.
mlir::LogicalResult vectorizeTile(mlir::RewriterBase &rewriter,
                                  mlir::linalg::GenericOp tile,
                                  unsigned vectorLoop, unsigned offsetLoop);

} // namespace dlc::interleave

#endif // DLC_CONVERSION_CPUINTERLEAVE_H
