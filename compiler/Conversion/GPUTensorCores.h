//===- GPUTensorCores.h - a tile's products on the tensor cores -*- C++ -*-===//
//
// dl-gpu-tile-contractions stages A's and B's values for 16 of K in shared
// memory and multiplies them into a block's 64 x 64 outputs. On the tensor
// cores the block's 8 warps do it with nvgpu.mma.sync m16n8k8 on TF32:
// warp w owns rows 16 (w % 4) .. + 16 and columns 32 (w / 4) .. + 32 of the
// tile as four m16n8 tiles, and lane 4 g + t holds the fragments of the PTX
// ISA's "Matrix Fragments for mma.m16n8k8" (.tf32): A[g + 8 (i % 2)]
// [t + 4 (i / 2)] in a_i, B[t + 4 i][g] in b_i, D[g + 8 (i / 2)]
// [2 t + i % 2] in d_i.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_GPUTENSORCORES_H
#define DLC_CONVERSION_GPUTENSORCORES_H

#include "mlir/IR/Builders.h"

namespace dlc::gpu {

// The tile that dl-gpu-tile-contractions gives a block of 256 threads.
constexpr int64_t kTile = 64;     // outputs per block along M and N
constexpr int64_t kTileK = 16;    // K per shared-memory step
constexpr int64_t kPerThread = 4; // outputs per thread along M and N
constexpr int64_t kThreads = 256; // (kTile / kPerThread)^2
// With tensor cores, shared rows of 72 floats: a fragment's lanes read rows
// k + t (t = lane % 4) at columns g (lane / 4), banks 8t + g, all distinct.
constexpr int64_t kMmaSharedPad = 8;

/// One lane's part of the block's tile on the tensor cores.
class WarpTile {
public:
  /// Thread `tid` of the block; `split`: 3xTF32 (each value as hi + lo, the
  /// products lo*hi + hi*lo + hi*hi: about f32's accuracy), else TF32
  /// (values rounded to nearest, ties away from zero, as cvt.rna.tf32.f32).
  WarpTile(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tid, bool split);

  /// The rows and columns in the tile of the lane's 16 outputs: output
  /// 4 j + r is accumulator r of m16n8 tile j.
  void outputPositions(llvm::SmallVectorImpl<mlir::Value> &rows,
                       llvm::SmallVectorImpl<mlir::Value> &cols);

  /// `acc` (the 16 outputs) plus the products of one staged step: `as`
  /// holds A as [k][m], `bs` B as [k][n], 16 x (64 + kMmaSharedPad) each.
  /// For each 8 of K: the warp's A fragment, then per m16n8 tile its B
  /// fragment and one mma.sync (three with `split`, small parts first).
  llvm::SmallVector<mlir::Value> multiply(mlir::Value as, mlir::Value bs,
                                          mlir::ValueRange acc);

private:
  mlir::Value constant(int64_t v);
  /// `x` as TF32 (its 13 low mantissa bits zero): rounded to nearest, or
  /// truncated (never rounds up to an infinity).
  mlir::Value toTF32(mlir::Value x, bool round);
  /// The fragment built of `values` (TF32), or with `split` the fragments
  /// of their hi and lo parts.
  std::pair<mlir::Value, mlir::Value> fragments(mlir::ArrayRef<mlir::Value>,
                                                mlir::VectorType type);

  mlir::OpBuilder &b;
  mlir::Location loc;
  bool split;
  // A's rows and the accumulators' at `row` = 16 (w % 4) + g (and + 8), the
  // accumulators' columns at `col` = 32 (w / 4) + 2 t (and + 1, + 8 j), A's
  // and B's K at `k` = t (and + 4), B's columns at `bCol` = 32 (w / 4) + g
  // (and + 8 j).
  mlir::Value row, col, k, bCol;
};

} // namespace dlc::gpu

#endif // DLC_CONVERSION_GPUTENSORCORES_H
