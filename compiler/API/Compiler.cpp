//===- Compiler.cpp - compile DL source to a JIT-compiled dl::Module ------===//
#include "compiler/API/Compilation.h"
#include "compiler/API/HostEngine.h"
#include "compiler/API/ModuleImpl.h"

#include "dlrt/Cuda.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>
#include <mutex>

using namespace dl;

const char *dl::gpuMatmulName(GPUMatmul matmul) {
  switch (matmul) {
  case GPUMatmul::FP32:
    return "fp32";
  case GPUMatmul::TF32:
    return "tf32";
  case GPUMatmul::TF32x3:
    return "3xtf32";
  }
  return "fp32";
}

std::optional<GPUMatmul> dl::parseGPUMatmul(const std::string &name) {
  for (GPUMatmul m : {GPUMatmul::FP32, GPUMatmul::TF32, GPUMatmul::TF32x3})
    if (name == gpuMatmulName(m))
      return m;
  return std::nullopt;
}

Compiler::Compiler(CompilerOptions options) : options(options) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// Runs every stage after loading and JIT-compiles the result.
static CompileResult compile(dlc::Compilation &c,
                             const CompilerOptions &options) {
  std::vector<std::pair<std::string, double>> phases;
  auto last = std::chrono::steady_clock::now();
  auto lap = [&](const char *phase) {
    auto now = std::chrono::steady_clock::now();
    phases.emplace_back(phase,
                        std::chrono::duration<double>(now - last).count());
    last = now;
  };
  if (!c.parseAndAnalyze() || !c.emitDL())
    return CompileResult{std::nullopt, c.diagnostics()};
  if (options.gradients)
    c.requestGradients();
  if (!options.trainFunction.empty() &&
      !c.requestTraining(options.trainFunction, options.optimizer))
    return CompileResult{std::nullopt, c.diagnostics()};
  if (!options.accuracyOf.empty() && !c.requestAccuracy(options.accuracyOf))
    return CompileResult{std::nullopt, c.diagnostics()};
  if (!options.probabilitiesOf.empty() &&
      !c.requestProbabilities(options.probabilitiesOf))
    return CompileResult{std::nullopt, c.diagnostics()};
  if (!options.evaluationOf.empty() &&
      !c.requestEvaluation(options.evaluationOf, options.evaluationLogits))
    return CompileResult{std::nullopt, c.diagnostics()};
  if (options.requestedOnly)
    c.keepOnlyRequested();
  if (options.threads == 0)
    return CompileResult{std::nullopt,
                         {Diagnostic{Diagnostic::Kind::Error, "", 0, 0,
                                     "threads must be at least 1",
                                     "error: threads must be at least 1\n"}}};
  bool cuda = options.target == Target::CUDA;
  if (cuda) {
    // Fail before compiling anything on a machine that cannot run it.
    if (dlrt::Status s = dlrt::cuda::init(); !s)
      return CompileResult{
          std::nullopt,
          {Diagnostic{Diagnostic::Kind::Error, "", 0, 0,
                      "--target cuda: " + s.message(),
                      "error: --target cuda: " + s.message() + "\n"}}};
    lap("front end");
    if (!c.lowerToLinalg(/*gpu=*/true, options.fusion))
      return CompileResult{std::nullopt, c.diagnostics()};
    lap("dl to linalg");
    dlc::GPUTarget target = dlc::gpuTargetFor(options.gpuArch);
    target.matmul = gpuMatmulName(options.gpuMatmul);
    if (!c.lowerToGPU(target))
      return CompileResult{std::nullopt, c.diagnostics()};
    lap("GPU kernels and host code");
  } else if (options.target == Target::CUDAEmulator) {
    lap("front end");
    if (!c.lowerToLinalg(/*gpu=*/true, options.fusion))
      return CompileResult{std::nullopt, c.diagnostics()};
    lap("dl to linalg");
    if (!c.lowerToEmulatedGPU(options.emulateReversed,
                              gpuMatmulName(options.gpuMatmul)))
      return CompileResult{std::nullopt, c.diagnostics()};
    lap("emulated GPU kernels to the LLVM dialect");
  } else {
    lap("front end");
    if (!c.lowerToLinalg(/*gpu=*/false, options.fusion))
      return CompileResult{std::nullopt, c.diagnostics()};
    lap("dl to linalg");
    if (!c.lowerToLLVM(options.threads, options.profile))
      return CompileResult{std::nullopt, c.diagnostics()};
    lap("linalg to the LLVM dialect");
  }

  auto engine =
      dlc::HostEngine::create(c.module(), options.optLevel, options.threads);
  if (!engine) {
    std::string message =
        "JIT compilation failed: " + llvm::toString(engine.takeError());
    Diagnostic d;
    d.message = message;
    d.rendered = "error: " + message + "\n";
    std::vector<Diagnostic> diags = c.diagnostics();
    diags.push_back(d);
    return CompileResult{std::nullopt, diags};
  }

  // The JIT's phases, as it timed them, in place of its whole span.
  last = std::chrono::steady_clock::now();
  const dlc::HostEngine::Phases &jit = (*engine)->phases();
  phases.insert(phases.end(), {{"translation to LLVM IR", jit.translate},
                               {"LLVM IR pipeline", jit.optimize},
                               {"code generation", jit.codegen},
                               {"linking", jit.link}});
  auto impl = std::make_unique<Module::Impl>();
  impl->engine = std::move(*engine);
  impl->gpu = cuda;
  if (cuda) {
    // The host code calls the runtime's mgpu* entry points; its global
    // constructors load the kernels (cuModuleLoadData).
    impl->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
      llvm::orc::SymbolMap map;
      for (const auto &[name, address] : dlrt::cuda::entryPoints())
        map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                               llvm::JITSymbolFlags::Exported};
      return map;
    });
    impl->engine->initialize();
    dlrt::cuda::setProfiling(options.profile);
    if (dlrt::Status s = dlrt::cuda::takeError(); !s) {
      Diagnostic d;
      d.message = "loading the GPU kernels failed: " + s.message();
      d.rendered = "error: " + d.message + "\n";
      std::vector<Diagnostic> diags = c.diagnostics();
      diags.push_back(d);
      return CompileResult{std::nullopt, diags};
    }
  }
  impl->functions = c.functionInfos();
  // The JIT generates machine code when a symbol is first looked up; do it
  // now, so compilation happens in compile*() (and is timed there), not in
  // the first call.
  for (const FunctionInfo &f : impl->functions)
    if (auto fn = impl->engine->lookupPacked(f.name); !fn) {
      Diagnostic d;
      d.message = "JIT compilation of '" + f.name +
                  "' failed: " + llvm::toString(fn.takeError());
      d.rendered = "error: " + d.message + "\n";
      std::vector<Diagnostic> diags = c.diagnostics();
      diags.push_back(d);
      return CompileResult{std::nullopt, diags};
    }
  for (const auto &p : c.program().params) {
    ParamSpec spec;
    spec.name = p->name;
    spec.dtype = dlc::Compilation::dtypeOf(p->type.elem);
    for (const dlc::Dim &d : p->type.dims)
      spec.shape.push_back(d.size);
    spec.init = p->init.name;
    spec.args = p->init.args;
    impl->paramSpecs.push_back(spec);
    impl->params.emplace_back(spec.dtype, spec.shape);
    if (impl->params.back().empty()) {
      Diagnostic d;
      d.message = "cannot allocate parameter '" + spec.name + "' (" +
                  impl->params.back().typeString() + ")";
      d.rendered = "error: " + d.message + "\n";
      std::vector<Diagnostic> diags = c.diagnostics();
      diags.push_back(d);
      return CompileResult{std::nullopt, diags};
    }
  }
  impl->trainFunction = options.trainFunction;
  impl->optimizer = options.optimizer;
  impl->ctx = c.takeContext();
  Module module(std::move(impl));
  module.initParameters(0);
  lap("symbol lookups, parameters");
  return CompileResult{std::move(module), c.diagnostics(), phases};
}

TrainSettingsResult Compiler::readTrainSettings(const std::string &path) {
  dlc::Compilation c;
  if (!c.loadFile(path) || !c.parseAndAnalyze())
    return TrainSettingsResult{std::nullopt, c.diagnostics()};
  return TrainSettingsResult{c.settings(), c.diagnostics()};
}

dlrt::Expected<std::vector<FunctionInfo>>
Compiler::declaredFunctions(const std::string &path) {
  dlc::Compilation c;
  if (!c.loadFile(path) || !c.parseAndAnalyze())
    return dlrt::Status::error(c.errors());
  return c.functionInfos();
}

std::string TrainSettingsResult::errors() const {
  std::string text;
  for (const Diagnostic &d : diagnostics)
    text += d.rendered;
  return text;
}

CompileResult Compiler::compileFile(const std::string &path) {
  dlc::Compilation c;
  c.promoteF32 = options.promoteToF64;
  if (!c.loadFile(path))
    return CompileResult{std::nullopt, c.diagnostics()};
  return compile(c, options);
}

CompileResult Compiler::compileString(const std::string &source,
                                      const std::string &name) {
  dlc::Compilation c;
  c.promoteF32 = options.promoteToF64;
  c.loadString(source, name);
  return compile(c, options);
}
