//===- BuiltinGen.h - dl ops for builtin calls ------------------*- C++ -*-===//
#ifndef DLC_MLIRGEN_BUILTINGEN_H
#define DLC_MLIRGEN_BUILTINGEN_H

#include "compiler/Frontend/AST.h"

#include "mlir/IR/Builders.h"

#include <functional>

namespace dlc {

/// Emits the dl ops for a Sema-checked builtin call. `emit` emits a tensor
/// argument; `resultType` is the MLIR type of the call.
mlir::Value emitBuiltin(mlir::OpBuilder &b, mlir::Location loc,
                        const CallExpr &call, mlir::RankedTensorType resultType,
                        const std::function<mlir::Value(const Expr &)> &emit);

} // namespace dlc

#endif // DLC_MLIRGEN_BUILTINGEN_H
