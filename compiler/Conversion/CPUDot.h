//===- CPUDot.h - products of rows: x @ W^T without W^T ---------*- C++ -*-===//
//
// A linear layer computes y[m, n] = sum_k x[m, k] * W[n, k]: both inputs
// are contiguous along the reduction. dl-cpu-vectorize's register blocks
// need B contiguous along the output's columns, so dl-cpu-loop-order used
// to copy W transposed on every call (a 6.4 MB copy per step and per
// inference batch for the seed CNN's fc1). Long reductions are instead
// computed as dot products of rows: a block of mr x nr accumulator vectors
// along k, mr + nr row loads per mr * nr FMAs (no broadcasts), summed
// across lanes once per cache chunk of k and added to C.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_CPUDOT_H
#define DLC_CONVERSION_CPUDOT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace dlc::dot {

/// The loops of C[m, n] += A[m, k] * B[n, k] and its two inputs.
struct Product {
  unsigned m, n, k;
  mlir::OpOperand *a, *b;
};

/// `op` as such a product of f32 rows, on tensors or buffers, when its
/// reduction is long enough to be worth dot products (static, at least 256
/// and a multiple of 16, so that any vector width up to 16 lanes divides
/// it) and its columns come in blocks of 4.
std::optional<Product> match(mlir::linalg::LinalgOp op);

/// Tiles `op` (on buffers, matched) into cache blocks and register blocks
/// of dot products and marks the tiles for `vectorizeTile`; returns the
/// outermost loop (the 2-D parallel loop over blocks of rows and columns).
/// Failure: nothing changed if the first tiling fails; the later tilings of
/// static dimensions do not fail in practice.
mlir::FailureOr<mlir::Operation *>
tile(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op, int64_t lanes);

/// Whether `op` is a tile made by `tile`; the mark is removed.
bool takeTileMark(mlir::Operation *op);

/// Replaces a static tile made by `tile` by vector code. Failure: nothing
/// changed.
mlir::LogicalResult vectorizeTile(mlir::RewriterBase &rewriter,
                                  mlir::linalg::LinalgOp tile, int64_t lanes);

} // namespace dlc::dot

#endif // DLC_CONVERSION_CPUDOT_H
