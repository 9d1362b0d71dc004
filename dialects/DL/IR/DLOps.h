//===- DLOps.h - dl dialect operations --------------------------*- C++ -*-===//
//
// Declares the `dl` operations generated from DLOps.td.
//
//===----------------------------------------------------------------------===//
#ifndef DL_IR_DLOPS_H
#define DL_IR_DLOPS_H

#include "dialects/DL/IR/DLDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/DL/IR/DLInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/DL/IR/DLOps.h.inc"

namespace mlir::dl {
/// A rank-0 dl.constant of `elem` (float or integer) holding `v`.
Value scalarTensor(OpBuilder &b, Location loc, Type elem, double v);
} // namespace mlir::dl

#endif // DL_IR_DLOPS_H
