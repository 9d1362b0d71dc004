//===- Elaborate.h - instantiate models into parameters and functions ----===//
//
// Models are templates: `model Net { conv1 = Conv2d(1, 64, 3, padding=1); fn
// forward(...) }`. Elaboration instantiates the root model (the last model in
// the file) with its compile-time arguments, recursively, and produces what
// the rest of the compiler already understands: parameters with PyTorch
// state-dict names (`conv1.weight`, `blocks.2.fc.bias`) and functions
// (`forward` for the root, `blocks.2.forward` for instances). Calls of a
// built-in layer expand at the call site into builtin calls (so shapes are
// checked with the caller's concrete types); a list of submodules applies its
// members in order, like torch.nn.Sequential. It also evaluates every
// initialiser's compile-time arguments.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_ELABORATE_H
#define DLC_FRONTEND_ELABORATE_H

#include "compiler/Frontend/AST.h"
#include "compiler/Frontend/Diagnostics.h"

namespace dlc {

/// Returns false after reporting errors.
bool elaborate(Program &program, DiagnosticEngine &diags);

} // namespace dlc

#endif // DLC_FRONTEND_ELABORATE_H
