//===- Sema.h - names, types and shapes of a DL program ---------*- C++ -*-===//
//
// Resolves names, checks types and shapes (with symbolic dimensions) and
// annotates the AST in place. It keeps going after an error so that one run
// reports every independent problem (up to the diagnostic engine's cap).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_SEMA_H
#define DLC_FRONTEND_SEMA_H

#include "compiler/Frontend/AST.h"
#include "compiler/Frontend/Diagnostics.h"

namespace dlc {

/// Returns true when the program is well formed.
bool analyze(Program &program, DiagnosticEngine &diags);

} // namespace dlc

#endif // DLC_FRONTEND_SEMA_H
