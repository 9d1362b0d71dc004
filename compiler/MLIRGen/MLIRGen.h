//===- MLIRGen.h - DL AST to the dl dialect ---------------------*- C++ -*-===//
//
// Emits one public func.func per DL function. Every model parameter becomes a
// leading function argument (in declaration order, tagged `dl.param`), then
// the function's own arguments (tagged `dl.arg`): parameters are inputs, never
// constants, so one compiled function serves any weights.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_MLIRGEN_MLIRGEN_H
#define DLC_MLIRGEN_MLIRGEN_H

#include "compiler/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace dlc {

/// Requires a program that passed Sema. `fileName` names the locations.
mlir::OwningOpRef<mlir::ModuleOp> emitDL(mlir::MLIRContext &ctx,
                                         const Program &program,
                                         const llvm::SourceMgr &sourceMgr);

/// The MLIR type of a front-end type: symbols become `?`.
mlir::RankedTensorType toMLIRType(mlir::MLIRContext &ctx,
                                  const TensorType &type);

} // namespace dlc

#endif // DLC_MLIRGEN_MLIRGEN_H
