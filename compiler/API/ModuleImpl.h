//===- ModuleImpl.h - the state behind dl::Module ---------------*- C++ -*-===//
#ifndef DLC_API_MODULEIMPL_H
#define DLC_API_MODULEIMPL_H

#include "dl/Compiler.h"

#include "compiler/API/HostEngine.h"
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

/// A host tensor's copy in GPU memory (Target::CUDA). Parameters and
/// optimizer state stay on the device across calls; the host copy is
/// refreshed only when read (pullToHost).
struct DeviceMirror {
  Tensor host; // shares the host storage, so its address identifies it
  void *device = nullptr;
  bool deviceNewer = false; // written on the device since the last pull
};

struct Module::Impl {
  ~Impl();
  /// The device copy of `t`, uploaded at first use.
  dlrt::Expected<void *> onDevice(const Tensor &t);
  /// Records that a call wrote `t`'s device copy.
  void markDeviceNewer(const Tensor &t);
  /// Replaces `slot` by a fresh host tensor holding the device values, if
  /// they are newer (callers' copies of the old tensor stay as they were).
  dlrt::Status pullToHost(Tensor &slot);
  /// Frees the device copies of tensors nobody holds any more.
  void collectMirrors();

  bool gpu = false;
  std::vector<DeviceMirror> mirrors;
  std::unique_ptr<mlir::MLIRContext> ctx;
  std::unique_ptr<dlc::HostEngine> engine;
  std::vector<FunctionInfo> functions;
  std::vector<ParamSpec> paramSpecs;
  std::vector<Tensor> params; // parallel to paramSpecs
  std::string trainFunction;
  OptimizerConfig optimizer;
};

} // namespace dl

#endif // DLC_API_MODULEIMPL_H
