//===- Compilation.h - one source buffer through every stage ----*- C++ -*-===//
//
// The stages in order (parse, analyse, emit dl, lower to linalg, lower to the
// LLVM dialect, translate to LLVM IR), each callable on its own so dlc can
// print any of them. Diagnostics from the front end and from MLIR passes are
// collected as values. Internal to the compiler; the public API is
// dl/Compiler.h.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_API_COMPILATION_H
#define DLC_API_COMPILATION_H

#include "compiler/Frontend/AST.h"
#include "compiler/Frontend/Diagnostics.h"
#include "compiler/Pipelines/Pipelines.h"
#include "dl/Compiler.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>

namespace dlc {

class Compilation {
public:
  Compilation();

  /// Loads a file or a string as the source.
  bool loadFile(const std::string &path);
  void loadString(const std::string &source, const std::string &name);

  bool parseAndAnalyze();
  /// Compile f32 as f64 (for gradient checks: finite differences need the
  /// precision). Set before parseAndAnalyze.
  bool promoteF32 = false;
  static void promoteToF64(Program &program);
  bool emitDL();
  /// Marks every scalar-valued function for `dl-autodiff` (before lowering).
  void requestGradients();
  /// Marks `function` for dl-materialize-optimizer; false (with a
  /// diagnostic) if it is not a scalar-valued function.
  bool requestTraining(const std::string &function,
                       const dl::OptimizerConfig &config);
  /// Adds `<function>.accuracy` for a function returning [N, C] logits.
  bool requestAccuracy(const std::string &function);
  /// Adds `<loss>.evaluate(args..., labels) -> (loss, accuracy)`: `loss` and
  /// the accuracy of `logitsOf`'s [N, C] logits on one batch. `loss` must
  /// take `logitsOf`'s arguments then the labels; both calls are inlined
  /// and CSE leaves one forward pass.
  bool requestEvaluation(const std::string &loss, const std::string &logitsOf);
  /// Compile only the requested functions (step, accuracy, evaluation,
  /// probabilities, gradients): finishLinalg drops the file's own functions,
  /// inlined into them by then.
  void keepOnlyRequested();
  /// The program's train block, read by parseAndAnalyze.
  const dl::TrainSettings &settings() const { return trainSettings; }
  /// Adds `<function>.probabilities`: softmax over axis 1 of [N, C] logits.
  bool requestProbabilities(const std::string &function);
  /// `gpu`: without the CPU's loop order (the GPU target maps loops itself).
  /// `fuse` = false: every linalg op stays a kernel of its own.
  bool lowerToLinalg(bool gpu = false, bool fuse = true);
  /// lowerToLinalg in two steps: linalg on tensors with the fusion plan
  /// recorded (`dl.kernel`, not yet fused), then fusion and loop order.
  bool planLinalg(bool fuse = true, bool gpu = false);
  bool finishLinalg(bool gpu = false);
  /// Kernels compiled for `target`, host code in the LLVM dialect.
  bool lowerToGPU(const GPUTarget &target);
  /// The GPU target's kernels run on the CPU (the cuda-emulator target);
  /// `reversed`: blocks and threads last to first; `matmul` as GPUTarget's.
  bool lowerToEmulatedGPU(bool reversed = false,
                          const std::string &matmul = "fp32");
  /// `threads` > 1: OpenMP work-sharing loops (the JIT must load libomp).
  bool lowerToLLVM(unsigned threads = 1, bool profile = false);
  std::unique_ptr<llvm::Module> translateToLLVMIR(llvm::LLVMContext &llvmCtx);

  Program &program() { return ast; }
  mlir::ModuleOp module() { return *mlirModule; }
  mlir::MLIRContext &context() { return *ctx; }
  std::vector<dl::Diagnostic> diagnostics() const;
  std::string errors() const;
  /// The declared interface of each function (from Sema's types).
  std::vector<dl::FunctionInfo> functionInfos() const;
  static dl::DType dtypeOf(ElemType elem);

  /// Keeps the MLIR context alive beyond this object (the JIT'd module needs
  /// it only during compilation, but callers may hold IR).
  std::unique_ptr<mlir::MLIRContext> takeContext() { return std::move(ctx); }

  /// Runs a textual pass pipeline on the module (analyses such as
  /// dl-fusion-report); errors become diagnostics.
  bool runPasses(const std::string &pipeline) {
    return runPipeline(pipeline.c_str());
  }

private:
  bool runPipeline(const char *pipeline);
  bool dropUnrequested();
  const FnDecl *findFn(const std::string &name) const;
  /// A diagnostic without a source position (`error: <message>`).
  void reportError(const std::string &message);
  void addError(const std::string &rendered, const std::string &message);

  llvm::SourceMgr sourceMgr;
  DiagnosticEngine diags;
  std::vector<dl::Diagnostic> extra; // MLIR and I/O diagnostics
  Program ast;
  std::unique_ptr<mlir::MLIRContext> ctx;
  mlir::OwningOpRef<mlir::ModuleOp> mlirModule;
  std::vector<std::string> differentiated;
  std::string trained;
  /// The parameters the step updates: float, not a buffer, not frozen.
  std::vector<std::string> trainedParams;
  std::string accuracyOf, probabilitiesOf, evaluated;
  bool onlyRequested = false;
  dl::TrainSettings trainSettings;

  bool readTrainSettings(dl::TrainSettings &out);
  unsigned trainBuffers = 0, trainCoefficients = 0;
};

} // namespace dlc

#endif // DLC_API_COMPILATION_H
