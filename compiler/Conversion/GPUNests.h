//===- GPUNests.h - top-level loop nests before dl-gpu-map-kernels -*- C++
//-*-===//
//
// dl-gpu-fuse-reductions moves loop nests into each other and scalar code
// into nests of its own; these are the questions it asks of them: which
// element a load or store touches, whether two nests or loops run over the
// same space, what host bookkeeping a nest may move across, what the host
// can compute.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CONVERSION_GPUNESTS_H
#define DLC_CONVERSION_GPUNESTS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include <optional>

namespace dlc::gpu {

/// A load or store of one element.
struct Access {
  mlir::Value memref;
  llvm::SmallVector<mlir::Value> indices;
  bool write;
};

std::optional<Access> accessOf(mlir::Operation *op);

/// The same value, equal constants, or `memref.dim` of the same buffer and
/// dimension (each nest reads its bounds off the buffers: no CSE has run).
bool sameValue(mlir::Value a, mlir::Value b);

/// Whether `a` and `b` iterate over the same space.
bool sameSpace(mlir::scf::ParallelOp a, mlir::scf::ParallelOp b);

/// Whether two loops run over the same range.
bool sameRange(mlir::scf::ForOp a, mlir::scf::ForOp b);

/// Whether `a` (with `map` applied: another nest's induction variables to
/// this one's) and `b` are the same indices.
bool sameIndices(llvm::ArrayRef<mlir::Value> a, llvm::ArrayRef<mlir::Value> b,
                 const mlir::IRMapping &map);

/// `from`'s induction variables to `to`'s, in order.
mlir::IRMapping inductionMap(mlir::scf::ParallelOp from,
                             mlir::scf::ParallelOp to);

/// Whether `buffer` holds the shape operand of a memref.reshape (a flatten
/// with a dynamic batch, or a constant shape: a global) and nothing else uses
/// it but the host's stores, loads and deallocation: the host fills and reads
/// it to build the view, so dl-gpu-map-kernels keeps it in host memory (no
/// device copy) and no nest touches it.
bool isShapeBuffer(mlir::Value buffer);

/// A load or store of a shape buffer, or a reshape reading one.
bool isShapeAccess(mlir::Operation *op);

/// Host bookkeeping that a nest may move across: ops free of memory effects,
/// allocations, shape buffers' accesses.
bool isTransparent(mlir::Operation *op);

/// A memref.dealloc, or an scf.if of deallocations (ownership-based
/// deallocation frees conditionally).
bool isDeallocation(mlir::Operation *op);

/// Whether a nest's body is straight-line element code: loads, stores, ops
/// free of memory effects.
bool isElementwise(mlir::scf::ParallelOp nest);

/// Whether the host can compute `v`: built from function arguments and
/// constants by ops free of memory effects (a batch size as a float).
bool isHostValue(mlir::Value v);

/// A rank-0 buffer stored once, outside kernels, with a value the host
/// computes and read only after it: its loads read the value (a kernel
/// argument), the buffer goes (dl-gpu-map-kernels would launch a thread to
/// store it). For every such buffer in `body`.
void forwardHostScalars(mlir::Block &body);

/// If `loop` (outside any nest) sums into rank-0 buffers (a mean over the
/// batch, one thread's work), makes it a nest of one iteration with the
/// scalar code around it (GPUScalarCode.cpp says which).
void wrapScalarReduction(mlir::scf::ForOp loop);

} // namespace dlc::gpu

#endif // DLC_CONVERSION_GPUNESTS_H
