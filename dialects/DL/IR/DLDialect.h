//===- DLDialect.h - the dl dialect -----------------------------*- C++ -*-===//
//
// Declares the `dl` dialect class generated from DLDialect.td.
//
//===----------------------------------------------------------------------===//
#ifndef DL_IR_DLDIALECT_H
#define DL_IR_DLDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/DL/IR/DLOpsDialect.h.inc"

#endif // DL_IR_DLDIALECT_H
