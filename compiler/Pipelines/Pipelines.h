//===- Pipelines.h - the named pass pipelines -------------------*- C++ -*-===//
//
// One definition of each lowering pipeline, shared by dlc, dl-opt (as
// `--dl-lower-to-linalg` / `--dl-lower-to-llvm`) and the JIT API, so every
// tool compiles the same way. docs/architecture.md lists the passes.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PIPELINES_PIPELINES_H
#define DLC_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace dlc {

/// The passes from `dl` to linalg on tensors, as a textual pipeline.
extern const char *const kDLToLinalgPipeline;
/// The passes from linalg on tensors to the LLVM dialect.
extern const std::string kLinalgToLLVMPipeline;
/// The same for `threads` threads (OpenMP work-sharing loops when > 1).
std::string linalgToLLVMPipeline(unsigned threads);

/// Registers every dialect and extension the compiler uses.
void registerDialects(mlir::DialectRegistry &registry);
/// Registers upstream passes, dl passes and the named pipelines (idempotent).
void registerPassesAndPipelines();

/// Appends a pipeline to `pm`; fails with a message in `error` if it does not
/// parse (which would be a bug in this file).
mlir::LogicalResult addPipeline(mlir::OpPassManager &pm, llvm::StringRef text,
                                std::string &error);

} // namespace dlc

#endif // DLC_PIPELINES_PIPELINES_H
