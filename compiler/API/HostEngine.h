//===- HostEngine.h - JIT-compile for the host ---------------- -*- C++ -*-===//
//
// One place that turns a module in the LLVM dialect into machine code for
// this machine: LLVM's optimisation pipeline with the host's target machine
// (its vector width and costs), libomp for threaded code, and the runtime's
// allocator and profile clock in the symbol table. Used by the public API
// (Compiler.cpp) and the fusion check (FusionCheck.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_API_HOSTENGINE_H
#define DLC_API_HOSTENGINE_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace dlc {

/// `optLevel` 0-3; `threads` > 1 loads libomp.
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
createHostEngine(mlir::ModuleOp module, unsigned optLevel, unsigned threads);

/// Puts the runtime's allocator and profile entry points into `engine`'s
/// symbol table.
void registerRuntimeSymbols(mlir::ExecutionEngine &engine);

} // namespace dlc

#endif // DLC_API_HOSTENGINE_H
