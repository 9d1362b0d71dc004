//===- ModuleImpl.h - the state behind dl::Module ---------------*- C++ -*-===//
#ifndef DLC_API_MODULEIMPL_H
#define DLC_API_MODULEIMPL_H

#include "dl/Compiler.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"

namespace dl {

/// A declared parameter and its initialiser.
struct ParamSpec {
  std::string name;
  DType dtype;
  dlrt::Shape shape;
  std::string init;
  std::vector<double> args;
};

struct Module::Impl {
  std::unique_ptr<mlir::MLIRContext> ctx;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::vector<FunctionInfo> functions;
  std::vector<ParamSpec> paramSpecs;
  std::vector<Tensor> params; // parallel to paramSpecs
  std::string trainFunction;
  OptimizerConfig optimizer;
};

} // namespace dl

#endif // DLC_API_MODULEIMPL_H
