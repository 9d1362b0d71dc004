//===- Builtins.h - the built-in functions of DL ----------------*- C++ -*-===//
//
// Each builtin has a parameter list (tensors and compile-time values such as
// axes, shapes and window sizes) and a type rule. Sema binds a call's
// positional and keyword arguments to the list, checks the rule and records
// the bound arguments on the CallExpr for MLIRGen. docs/language.md lists
// every builtin with its PyTorch equivalent.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_BUILTINS_H
#define DLC_FRONTEND_BUILTINS_H

#include "compiler/Frontend/AST.h"
#include "compiler/Frontend/Diagnostics.h"

#include <functional>

namespace dlc {

bool isBuiltin(const std::string &name);

/// Checks a call of a builtin: binds its arguments (type-checking tensor
/// arguments with `checkTensor`), applies the type rule, and fills
/// `call.bound` and `call.type`. Returns false after reporting an error.
bool checkBuiltinCall(CallExpr &call, DiagnosticEngine &diags,
                      const std::function<bool(Expr &)> &checkTensor);

/// Positions of named parameters in CallExpr::bound, for MLIRGen.
int builtinParamIndex(const std::string &builtin, const std::string &param);

} // namespace dlc

#endif // DLC_FRONTEND_BUILTINS_H
