//===- dl/Compiler.h - the dlc C++ JIT API ----------------------*- C++ -*-===//
//
// Compile a .dl file or string, then call its functions on tensors:
//
//   dl::Compiler compiler;
//   dl::CompileResult r = compiler.compileFile("mlp.dl");
//   if (!r.ok()) { std::cerr << r.errors(); return 1; }
//   dl::Module &net = *r.module;
//   net.initParameters(/*seed=*/0);            // or net.loadParameters(path)
//   dlrt::Expected<dl::Tensor> y = net.call("forward", {x});
//
// Nothing here aborts or exits: compile errors come back as diagnostics,
// run-time errors (wrong shapes, missing parameters) as dlrt::Status.
// docs/api.md documents every call.
//
//===----------------------------------------------------------------------===//
#ifndef DL_COMPILER_H
#define DL_COMPILER_H

#include "dlrt/Safetensors.h"
#include "dlrt/Status.h"
#include "dlrt/Tensor.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dl {

using Tensor = dlrt::Tensor;
using DType = dlrt::DType;
using Shape = dlrt::Shape;

/// Where generated code runs: the host CPU (LLVM, JIT), or an NVIDIA GPU
/// (kernels through NVVM to PTX and a cubin, host code JIT-compiled; the
/// runtime loads the CUDA driver at first use, docs/gpu.md). CUDAEmulator
/// is for tests: the GPU target's kernels (its blocks, threads, barriers
/// and shuffles) run on the CPU, a block's threads as loops between its
/// barriers (dl-gpu-emulate), so they can be checked where there is no GPU.
enum class Target { CPU, CUDA, CUDAEmulator };

/// The GPU target's tiled contractions: FP32 on the CUDA cores (the default,
/// as PyTorch's matmuls); TF32 on the tensor cores (mma.sync, sm_80 and
/// newer; inputs rounded to 10 of their 23 mantissa bits, relative error about
/// 1e-3 per product, as PyTorch's allow_tf32); TF32x3 on the tensor cores
/// with each product split into three TF32 products (about f32's accuracy,
/// three times TF32's tensor-core work).
enum class GPUMatmul { FP32, TF32, TF32x3 };
/// "fp32", "tf32", "3xtf32" (the spelling of `--gpu-matmul` and of
/// dl-gpu-tile-contractions' `matmul` option).
const char *gpuMatmulName(GPUMatmul matmul);
/// The GPUMatmul a name spells, or nothing.
std::optional<GPUMatmul> parseGPUMatmul(const std::string &name);

/// A torch.optim optimizer, compiled into the training step.
struct OptimizerConfig {
  enum class Kind { SGD, Adam, AdamW } kind = Kind::SGD;
  double lr = 0.01;
  double momentum = 0;    // SGD
  bool nesterov = false;  // SGD
  double weightDecay = 0; // SGD, Adam (L2 in the gradient), AdamW (decoupled)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // Adam, AdamW
  /// Parameters the step leaves unchanged (transfer learning): names or glob
  /// patterns (`conv1.*`). A pattern that matches nothing is an error.
  std::vector<std::string> frozen;
};

struct CompilerOptions {
  Target target = Target::CPU;
  /// Target::CUDA: the GPU architecture the kernels are compiled for.
  std::string gpuArch = "sm_90";
  /// Target::CUDA and CUDAEmulator: how matmuls and convolutions large
  /// enough for shared-memory tiles multiply (`--gpu-matmul`).
  GPUMatmul gpuMatmul = GPUMatmul::FP32;
  /// LLVM optimisation level for the generated code (0-3). 2 by default:
  /// the kernels arrive vectorised and register-tiled (dl-cpu-vectorize), so
  /// below 3 LLVM's loop unroller and vectorisers stay off (they were most
  /// of the compile time and trained no faster); O3 runs LLVM's full
  /// pipeline (docs/performance.md).
  unsigned optLevel = 2;
  /// Threads of the generated code: above 1, the parallel loops of every
  /// kernel run as OpenMP work-sharing loops (libomp, loaded by the JIT).
  /// Results do not depend on it: reductions stay sequential per element.
  unsigned threads = 1;
  /// Time every kernel call: the runtime sums calls and time per kernel,
  /// dlrt::profile::report() prints them. On the CPU the generated code
  /// reads the clock around each kernel; with Target::CUDA the runtime
  /// synchronises after every launch (dlrt::cuda::setProfiling: times
  /// include launch latency, the step runs slower).
  bool profile = false;
  /// Fuse the ops the fusion planner puts into one kernel (dl-plan-fusion,
  /// dl-fuse-planned); false: every op is a kernel of its own (for
  /// comparisons and debugging; results may differ in the last bits).
  bool fusion = true;
  /// Target::CUDAEmulator: run the blocks and, between barriers, the threads
  /// last to first. A result that differs from the forward order's (beyond
  /// the rounding of atomic adds) shows a race through global memory.
  bool emulateReversed = false;
  /// Also compile `<f>.grad` for every function returning a float scalar:
  /// it returns the value, then the gradient with respect to every float
  /// parameter in declaration order (reverse-mode autodiff, `dl-autodiff`).
  bool gradients = false;
  /// Compile every f32 tensor as f64 (parameters and inputs included), for
  /// gradient checks against finite differences.
  bool promoteToF64 = false;
  /// Compile `<trainFunction>.step`: forward, backward and the optimizer
  /// update in one call (see Module::trainStep).
  std::string trainFunction;
  OptimizerConfig optimizer;
  /// Compile `<accuracyOf>.accuracy(args..., labels: i64[N]) -> f32`: the
  /// fraction of rows of the function's [N, C] output whose argmax is the
  /// label (the metric, compiled like everything else).
  std::string accuracyOf;
  /// Compile `<probabilitiesOf>.probabilities(args...) -> f32[N, C]`: the
  /// softmax over axis 1 of the function's [N, C] output.
  std::string probabilitiesOf;
  /// Compile `<evaluationOf>.evaluate(args..., labels) -> (loss, accuracy)`
  /// for a loss function taking `evaluationLogits`'s arguments then the
  /// labels: its value and the accuracy of `evaluationLogits`'s [N, C]
  /// output on the same batch, with the forward pass computed once.
  std::string evaluationOf;
  std::string evaluationLogits = "forward";
  /// Compile only the functions requested above (step, accuracy,
  /// evaluation, probabilities, gradients), not the file's own functions:
  /// for programs that call nothing else (dlc train), less to compile.
  bool requestedOnly = false;
};

struct Diagnostic {
  enum class Kind { Error, Note } kind = Kind::Error;
  std::string file;
  unsigned line = 0, column = 0;
  std::string message;
  /// `file:line:col: error: message`, the source line and a caret.
  std::string rendered;
};

/// A function's interface as declared: `x: f32[B, 784]` keeps the symbol.
struct ArgumentInfo {
  std::string name;
  DType dtype;
  /// -1 marks a symbolic dimension, named in `symbols` at the same index.
  std::vector<int64_t> dims;
  std::vector<std::string> symbols;
  /// `f32[B, 784]`.
  std::string typeString;
};

struct FunctionInfo {
  std::string name;
  std::vector<ArgumentInfo> arguments;
  /// The first result (most functions have exactly one).
  ArgumentInfo result;
  std::vector<ArgumentInfo> results;
};

/// The learning rate as a function of the step t (0 for the first step),
/// in torch.optim.lr_scheduler's closed forms, after an optional linear
/// warm-up (lr * (t + 1) / warmupSteps for t < warmupSteps):
///   Constant: lr
///   Step:     lr * gamma^floor(t / stepSize)               (StepLR)
///   Cosine:   minLr + (lr - minLr) (1 + cos(pi t / totalSteps)) / 2
///             (CosineAnnealingLR with T_max = totalSteps; minLr after it)
struct LRSchedule {
  enum class Kind { Constant, Step, Cosine } kind = Kind::Constant;
  int64_t stepSize = 1;
  double gamma = 0.1;
  int64_t totalSteps = 1;
  double minLr = 0;
  int64_t warmupSteps = 0;
  double at(double lr, int64_t t) const;
};

class Module;

/// A compiled training step of a Module: each run() computes the loss on a
/// batch, the gradients and the optimizer update, and replaces the module's
/// parameters and the optimizer state with the updated ones.
class TrainStep {
public:
  /// Runs one step on the data arguments of the loss function; returns the
  /// loss before the update.
  dlrt::Expected<double> run(const std::vector<Tensor> &inputs);
  int64_t steps() const { return t; }
  /// The base learning rate; the schedule (constant by default) turns it
  /// into the rate of each step.
  void setLearningRate(double lr) { config.lr = lr; }
  void setSchedule(const LRSchedule &s) { schedule = s; }
  /// The rate the next step will use.
  double learningRate() const { return schedule.at(config.lr, t); }
  /// Optimizer state, in the step function's order (momentum or moments).
  /// On the GPU target it lives on the device and is copied back here.
  const std::vector<Tensor> &state() const;
  /// Names of the state tensors, as checkpoints store them:
  /// `<param>.exp_avg`, `<param>.exp_avg_sq` (Adam, AdamW) or
  /// `<param>.momentum_buffer` (SGD with momentum).
  const std::vector<std::string> &stateNames() const { return names; }
  /// The seed of the random keys (dropout masks) of the steps; the key of
  /// step t is dlrt::stepKey(seed, t).
  void setSeed(uint64_t s) { rngSeed = s; }
  uint64_t seed() const { return rngSeed; }
  /// Continues from a saved point: the number of steps already taken and
  /// the state in stateNames() order, checked against the declared shapes.
  dlrt::Status restore(int64_t steps, std::vector<Tensor> state);

  /// A training checkpoint, one safetensors file written atomically: the
  /// module's parameters and buffers under their state-dict names, the
  /// optimizer state as `optimizer.<stateName>`, and `training.step` and
  /// `training.seed` (int64 scalars). PyTorch loads the weights with
  /// `load_state_dict(..., strict=False)` or after dropping those keys.
  dlrt::Status save(const std::string &path) const;
  /// Loads everything save() wrote (checked against the module: names,
  /// dtypes, shapes), so that training continues exactly where it stopped.
  /// Nothing changes on error.
  dlrt::Status resume(const std::string &path);

private:
  friend class Module;
  Module *module = nullptr;
  std::string function;
  OptimizerConfig config;
  /// Refreshed from the device by the const readers (state(), save()).
  mutable std::vector<Tensor> buffers;
  std::vector<std::string> names;
  int64_t t = 0;
  uint64_t rngSeed = 0;
  LRSchedule schedule;
};

class Module {
public:
  Module(Module &&) noexcept;
  Module &operator=(Module &&) noexcept;
  ~Module();

  const std::vector<FunctionInfo> &functions() const;
  const FunctionInfo *function(const std::string &name) const;

  /// Calls a compiled function. Inputs must match the declared types; every
  /// symbolic dimension is bound from the inputs and must be consistent.
  dlrt::Expected<Tensor> call(const std::string &name,
                              const std::vector<Tensor> &inputs);
  /// Calls a function with several results (a `.grad` function returns the
  /// value and one gradient per parameter).
  dlrt::Expected<std::vector<Tensor>>
  callAll(const std::string &name, const std::vector<Tensor> &inputs);

  /// The compiled step of CompilerOptions::trainFunction, with fresh (zero)
  /// optimizer state.
  dlrt::Expected<TrainStep> trainStep();

  /// Parameters, by name, in declaration order.
  std::vector<std::string> parameterNames() const;
  const Tensor *parameter(const std::string &name) const;
  /// Replaces a parameter; its dtype and shape must match the declaration.
  dlrt::Status setParameter(const std::string &name, const Tensor &value);
  /// Runs every parameter's declared initialiser under `seed`.
  void initParameters(uint64_t seed);
  /// Loads every parameter from a safetensors file; a missing or mis-shaped
  /// one is an error naming it, and nothing is changed on error.
  dlrt::Status loadParameters(const std::string &path);
  dlrt::Status saveParameters(const std::string &path) const;

  /// Internal: modules are made by Compiler.
  struct Impl;
  explicit Module(std::unique_ptr<Impl> impl);

private:
  friend class TrainStep;
  /// callAll, with the first `residentInputs` inputs kept on the device
  /// across calls (the optimizer state of a step on the GPU target).
  dlrt::Expected<std::vector<Tensor>> invoke(const std::string &name,
                                             const std::vector<Tensor> &inputs,
                                             size_t residentInputs);
  std::unique_ptr<Impl> impl;
};

struct CompileResult {
  std::optional<Module> module;
  std::vector<Diagnostic> diagnostics;
  /// Seconds each phase of a successful compilation took, in order: the
  /// front end, the dl passes to linalg (autodiff, fusion), the lowering to
  /// the LLVM dialect (bufferization, the CPU code generator) or to GPU
  /// kernels, then the JIT's translation to LLVM IR, LLVM's IR pipeline,
  /// code generation and linking.
  std::vector<std::pair<std::string, double>> phases = {};
  bool ok() const { return module.has_value(); }
  /// Every diagnostic's rendered text, concatenated.
  std::string errors() const;
};

/// The `train { ... }` block of a program (docs/training.md); every field
/// is optional, and tools let their command line override it.
struct TrainSettings {
  std::optional<std::string> loss;
  /// sgd, momentum (SGD with momentum 0.9), adam or adamw.
  std::optional<std::string> optimizer;
  std::optional<double> lr, momentum, weightDecay, beta1, beta2, eps;
  std::optional<bool> nesterov;
  std::optional<int64_t> batch, epochs, warmup;
  /// In `dlc train --schedule` spelling: constant, step:EPOCHS:GAMMA,
  /// cosine:MIN_LR.
  std::optional<std::string> schedule;
  std::vector<std::string> metrics;
  /// Parameter names or globs, like OptimizerConfig::frozen.
  std::vector<std::string> frozen;
};

struct TrainSettingsResult {
  std::optional<TrainSettings> settings; // empty fields if there is no block
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return settings.has_value(); }
  std::string errors() const;
};

class Compiler {
public:
  explicit Compiler(CompilerOptions options = {});
  CompileResult compileFile(const std::string &path);
  CompileResult compileString(const std::string &source,
                              const std::string &name = "<string>");
  /// Parses and checks a file (no code generation) and reads its train
  /// block; errors point into the block.
  static TrainSettingsResult readTrainSettings(const std::string &path);
  /// Parses and checks a file (no code generation) and lists the functions
  /// it declares; the error message holds the rendered diagnostics.
  static dlrt::Expected<std::vector<FunctionInfo>>
  declaredFunctions(const std::string &path);

private:
  CompilerOptions options;
};

} // namespace dl

#endif // DL_COMPILER_H
