//===- dlc.cpp - the DL compiler driver -----------------------------------===//
//
//   dlc FILE.dl [--target cpu|cuda|cuda-emulator]
//       --emit=ast|dl|linalg|llvm-dialect|llvm-ir|obj|ptx [-o OUT]
//   dlc run FILE.dl --fn NAME (--input X.npy ... | --synthetic-inputs
//       --bind B=4) [--params P.safetensors] [--seed N] [--output OUT.npy]
//
// Errors go to stderr as `file:line:col: error: ...` and the exit status is 1.
//
//===----------------------------------------------------------------------===//
#include "TensorPrinter.h"
#include "Train.h"
#include "TrainData.h"
#include "compiler/API/Compilation.h"
#include "compiler/API/FusionCheck.h"
#include "compiler/API/HostEngine.h"

#include "dl/Compiler.h"
#include "dlrt/Npy.h"
#include "dlrt/Random.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <malloc.h>
#include <map>

namespace cl = llvm::cl;

namespace {

enum class Emit {
  AST,
  DL,
  Linalg,
  FusionReport,
  LLVMDialect,
  LLVMIR,
  Obj,
  PTX
};

// dlc's own options; --help hides the LLVM libraries' (still accepted).
cl::OptionCategory dlcOptions("dlc options");

cl::SubCommand runCommand("run", "Run one function of a .dl file on inputs");
cl::SubCommand trainCommand("train",
                            "Train the model's `loss` on a data set and "
                            "report the test accuracy of `forward`");
cl::opt<std::string> trainFile(cl::Positional, cl::desc("<file.dl>"),
                               cl::Required, cl::sub(trainCommand),
                               cl::cat(dlcOptions));
cl::opt<std::string>
    trainData("data",
              cl::desc("KIND:DIR (fashion-mnist, mnist, cifar10 or npy)"),
              cl::init("fashion-mnist:/usr/share/datasets/fashion-mnist"),
              cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<int64_t> trainEpochs("epochs", cl::init(1), cl::sub(trainCommand),
                             cl::cat(dlcOptions));
cl::opt<int64_t> trainSteps("steps", cl::desc("Stop after N steps"),
                            cl::init(0), cl::sub(trainCommand),
                            cl::cat(dlcOptions));
cl::opt<int64_t> trainBatch("batch", cl::init(64), cl::sub(trainCommand),
                            cl::cat(dlcOptions));
cl::opt<std::string> trainOptimizer("optimizer",
                                    cl::desc("sgd|momentum|adam|adamw"),
                                    cl::init("adam"), cl::sub(trainCommand),
                                    cl::cat(dlcOptions));
cl::opt<double> trainLr("lr",
                        cl::desc("Learning rate (default: 1e-3 for "
                                 "Adam/AdamW, 0.01 for SGD)"),
                        cl::init(-1), cl::sub(trainCommand),
                        cl::cat(dlcOptions));
cl::opt<double> trainWd("weight-decay", cl::init(0), cl::sub(trainCommand),
                        cl::cat(dlcOptions));
cl::opt<uint64_t> trainSeed("seed", cl::init(0), cl::sub(trainCommand),
                            cl::cat(dlcOptions));
cl::opt<std::string> trainShuffle("shuffle", cl::desc("on|off"), cl::init("on"),
                                  cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<std::string> trainNormalize("normalize", cl::desc("MEAN,STD"),
                                    cl::init("0.5,0.5"), cl::sub(trainCommand),
                                    cl::cat(dlcOptions));
cl::opt<std::string> trainInit("init", cl::desc("Start from these weights"),
                               cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<std::string> trainSave("save",
                               cl::desc("Write a checkpoint: weights, "
                                        "optimizer state, step and seed"),
                               cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<std::string> trainResume("resume",
                                 cl::desc("Continue from a checkpoint "
                                          "written by --save"),
                                 cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<std::string> trainSchedule(
    "schedule", cl::desc("constant, step:EPOCHS:GAMMA or cosine[:MIN_LR]"),
    cl::init("constant"), cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<int64_t> trainWarmup("warmup",
                             cl::desc("Steps of linear learning-rate warm-up"),
                             cl::init(0), cl::sub(trainCommand),
                             cl::cat(dlcOptions));
cl::list<std::string>
    trainFreeze("freeze",
                cl::desc("Leave these parameters unchanged (name or glob, "
                         "like conv1.*; repeatable)"),
                cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<std::string> trainMetrics("metrics",
                                  cl::desc("Write metrics, one JSON object "
                                           "per line"),
                                  cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<int64_t> trainThreads("threads", cl::desc("Threads (1)"), cl::init(1),
                              cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<bool> trainProfile(
    "profile",
    cl::desc("Time every compiled kernel and print the slowest at the "
             "end: share, total ms, calls, us per call, call site, source "
             "(--target cuda: each launch synchronised, named by kernel)"),
    cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<bool> trainTimeCompile(
    "time-compile",
    cl::desc("Print how long each phase of the compilation took"),
    cl::sub(trainCommand), cl::cat(dlcOptions));
cl::opt<std::string> targetName("target",
                                cl::desc("Generate code for: cpu "
                                         "(default), cuda, or cuda-emulator "
                                         "(the GPU kernels run on the CPU, "
                                         "for tests)"),
                                cl::init("cpu"),
                                cl::sub(cl::SubCommand::getAll()),
                                cl::cat(dlcOptions));
cl::opt<unsigned> optLevel("opt-level",
                           cl::desc("LLVM optimisation level of the generated "
                                    "code (0-3, default 2)"),
                           cl::init(2), cl::sub(cl::SubCommand::getAll()),
                           cl::cat(dlcOptions));
cl::opt<bool> noFusion("no-fusion",
                       cl::desc("Every op a kernel of its own (the fusion "
                                "planner fuses nothing)"),
                       cl::sub(cl::SubCommand::getAll()), cl::cat(dlcOptions));
cl::opt<bool> emulateReversed(
    "emulate-reversed",
    cl::desc("--target cuda-emulator: run the blocks and threads last to "
             "first (a result that changes with the order shows a race)"),
    cl::sub(cl::SubCommand::getAll()), cl::cat(dlcOptions));
cl::opt<std::string> gpuArch("gpu-arch",
                             cl::desc("GPU architecture for --target cuda"),
                             cl::init("sm_90"),
                             cl::sub(cl::SubCommand::getAll()),
                             cl::cat(dlcOptions));

cl::opt<std::string> gpuMatmul(
    "gpu-matmul",
    cl::desc("How GPU matmuls and convolutions multiply: fp32 (CUDA cores, "
             "the default), tf32 (tensor cores, inputs rounded to TF32) or "
             "3xtf32 (tensor cores, about f32's accuracy)"),
    cl::init("fp32"), cl::sub(cl::SubCommand::getAll()), cl::cat(dlcOptions));

cl::SubCommand predictCommand("predict",
                              "Top classes of `forward` for each image");
cl::opt<std::string> predictFile(cl::Positional, cl::desc("<file.dl>"),
                                 cl::Required, cl::sub(predictCommand),
                                 cl::cat(dlcOptions));
cl::opt<std::string> predictCheckpoint("checkpoint",
                                       cl::desc("Weights (safetensors)"),
                                       cl::sub(predictCommand),
                                       cl::cat(dlcOptions));
cl::opt<std::string> predictInput("input",
                                  cl::desc("Images: X.npy or an IDX file"),
                                  cl::Required, cl::sub(predictCommand),
                                  cl::cat(dlcOptions));
cl::opt<int64_t> predictTop("top", cl::desc("Classes per image"), cl::init(1),
                            cl::sub(predictCommand), cl::cat(dlcOptions));
cl::opt<std::string> predictNormalize("normalize", cl::desc("MEAN,STD"),
                                      cl::init("0.5,0.5"),
                                      cl::sub(predictCommand),
                                      cl::cat(dlcOptions));
cl::opt<unsigned> predictThreads("threads", cl::desc("Threads"), cl::init(1),
                                 cl::sub(predictCommand), cl::cat(dlcOptions));

cl::SubCommand evalCommand("eval",
                           "Test-set loss and accuracy of a model's weights");
cl::opt<std::string> evalFile(cl::Positional, cl::desc("<file.dl>"),
                              cl::Required, cl::sub(evalCommand),
                              cl::cat(dlcOptions));
cl::opt<std::string> evalCheckpoint("checkpoint",
                                    cl::desc("Weights (safetensors)"),
                                    cl::sub(evalCommand), cl::cat(dlcOptions));
cl::opt<std::string>
    evalData("data",
             cl::desc("KIND:DIR (fashion-mnist, mnist, cifar10 or npy)"),
             cl::init("fashion-mnist:/usr/share/datasets/fashion-mnist"),
             cl::sub(evalCommand), cl::cat(dlcOptions));
cl::opt<std::string> evalNormalize("normalize", cl::desc("MEAN,STD"),
                                   cl::init("0.5,0.5"), cl::sub(evalCommand),
                                   cl::cat(dlcOptions));
cl::opt<int64_t> evalBatch("batch", cl::init(1000), cl::sub(evalCommand),
                           cl::cat(dlcOptions));
cl::opt<uint64_t> evalSeed("seed", cl::init(0), cl::sub(evalCommand),
                           cl::cat(dlcOptions));
cl::opt<unsigned> evalThreads("threads", cl::desc("Threads"), cl::init(1),
                              cl::sub(evalCommand), cl::cat(dlcOptions));

cl::SubCommand checkGradsCommand(
    "check-grads",
    "Check compiled gradients against finite differences (computed in f64)");
cl::SubCommand compareTargetsCommand(
    "compare-targets",
    "Run every function, its gradients and training steps for the CPU and "
    "for --target and compare the results");
cl::opt<std::string> compareFile(cl::Positional, cl::desc("<file.dl>"),
                                 cl::Required, cl::sub(compareTargetsCommand),
                                 cl::cat(dlcOptions));
cl::opt<uint64_t> compareSeed("seed",
                              cl::desc("Seed for parameters and inputs"),
                              cl::init(0), cl::sub(compareTargetsCommand),
                              cl::cat(dlcOptions));

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.dl>"),
                               cl::sub(cl::SubCommand::getTopLevel()),
                               cl::cat(dlcOptions));
cl::opt<Emit> emitKind(
    "emit", cl::desc("The stage to print"), cl::init(Emit::DL),
    cl::values(
        clEnumValN(Emit::AST, "ast", "the typed syntax tree"),
        clEnumValN(Emit::DL, "dl", "the dl dialect, as emitted"),
        clEnumValN(Emit::FusionReport, "fusion-report",
                   "every kernel after fusion: what it computes (source "
                   "positions) and why fusion stopped at its inputs"),
        clEnumValN(Emit::Linalg, "linalg", "linalg on tensors, after fusion"),
        clEnumValN(Emit::LLVMDialect, "llvm-dialect", "the MLIR LLVM dialect"),
        clEnumValN(Emit::LLVMIR, "llvm-ir", "LLVM IR"),
        clEnumValN(Emit::Obj, "obj", "a native object file"),
        clEnumValN(Emit::PTX, "ptx", "the GPU kernels in PTX (--target cuda)")),
    cl::sub(cl::SubCommand::getTopLevel()), cl::cat(dlcOptions));
cl::opt<std::string> emitTrainStep(
    "train-step",
    cl::desc("Also compile the Adam training step of this loss function"),
    cl::value_desc("fn"), cl::sub(cl::SubCommand::getTopLevel()),
    cl::cat(dlcOptions));
cl::opt<bool> verifyFusionFlag(
    "verify-fusion",
    cl::desc("Compile every fused kernel (of the functions, their gradients "
             "and the training step) and the ops it was fused from, run both "
             "on the same random inputs and compare"),
    cl::sub(cl::SubCommand::getTopLevel()), cl::cat(dlcOptions));
cl::opt<uint64_t> verifySeed("verify-seed",
                             cl::desc("Seed for --verify-fusion's inputs"),
                             cl::init(0),
                             cl::sub(cl::SubCommand::getTopLevel()),
                             cl::cat(dlcOptions));
cl::opt<std::string> outputFile("o",
                                cl::desc("Output file (default: stdout; "
                                         "FILE.o for --emit=obj)"),
                                cl::value_desc("path"),
                                cl::sub(cl::SubCommand::getTopLevel()),
                                cl::cat(dlcOptions));

cl::opt<std::string> runFile(cl::Positional, cl::desc("<file.dl>"),
                             cl::Required, cl::sub(runCommand),
                             cl::cat(dlcOptions));
cl::opt<std::string> runFn("fn", cl::desc("Function to run"),
                           cl::init("forward"), cl::sub(runCommand),
                           cl::cat(dlcOptions));
cl::list<std::string> runInputs("input", cl::desc("A .npy input, in order"),
                                cl::value_desc("X.npy"), cl::sub(runCommand),
                                cl::cat(dlcOptions));
cl::opt<bool> syntheticInputs(
    "synthetic-inputs",
    cl::desc("Use deterministic U(0,1) inputs drawn from --seed"),
    cl::sub(runCommand), cl::cat(dlcOptions));
cl::list<std::string> binds("bind",
                            cl::desc("Bind a symbolic dimension for "
                                     "synthetic inputs (e.g. B=4)"),
                            cl::value_desc("SYM=N"), cl::sub(runCommand),
                            cl::sub(checkGradsCommand),
                            cl::sub(compareTargetsCommand),
                            cl::cat(dlcOptions));
cl::opt<std::string> checkFile(cl::Positional, cl::desc("<file.dl>"),
                               cl::Required, cl::sub(checkGradsCommand),
                               cl::cat(dlcOptions));
cl::opt<std::string> checkFn("fn",
                             cl::desc("Only this function (default: every "
                                      "function returning a float scalar)"),
                             cl::sub(checkGradsCommand), cl::cat(dlcOptions));
cl::opt<uint64_t> checkSeed("seed", cl::desc("Seed for parameters and inputs"),
                            cl::init(0), cl::sub(checkGradsCommand),
                            cl::cat(dlcOptions));
cl::opt<unsigned> checkSamples("samples",
                               cl::desc("Elements checked per parameter"),
                               cl::init(16), cl::sub(checkGradsCommand),
                               cl::cat(dlcOptions));
cl::opt<std::string> paramsFile("params",
                                cl::desc("Load parameters from safetensors"),
                                cl::value_desc("P.safetensors"),
                                cl::sub(runCommand), cl::cat(dlcOptions));
cl::opt<uint64_t> seed("seed",
                       cl::desc("Seed for initialisers and synthetic inputs"),
                       cl::init(0), cl::sub(runCommand), cl::cat(dlcOptions));
cl::opt<std::string> runOutput("output", cl::desc("Write the result as .npy"),
                               cl::value_desc("OUT.npy"), cl::sub(runCommand),
                               cl::cat(dlcOptions));

int fail(const std::string &message) {
  llvm::errs() << "dlc: error: " << message << "\n";
  return 1;
}

std::string defaultObjectPath(const std::string &input) {
  std::string stem = input;
  if (llvm::StringRef(stem).ends_with(".dl"))
    stem.resize(stem.size() - 3);
  return stem + ".o";
}

int emitObject(llvm::Module &module, const std::string &path) {
  std::string triple = llvm::sys::getDefaultTargetTriple();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return fail("no target for " + triple + ": " + error);
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      llvm::Triple(triple), llvm::sys::getHostCPUName(), "",
      llvm::TargetOptions(), llvm::Reloc::PIC_));
  module.setTargetTriple(llvm::Triple(triple));
  module.setDataLayout(machine->createDataLayout());
  dlc::optimizeModule(module, optLevel, machine.get());
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, out.os(), nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return fail("the target cannot emit object files");
  pm.run(module);
  out.keep();
  return 0;
}

/// The PTX of every kernel module, in order, each under a comment naming it.
void printPTX(mlir::ModuleOp module, llvm::raw_ostream &os) {
  module.walk([&](mlir::gpu::BinaryOp binary) {
    for (mlir::Attribute a : binary.getObjects()) {
      auto object = llvm::cast<mlir::gpu::ObjectAttr>(a);
      os << "// kernel module " << binary.getSymName() << "\n"
         << object.getObject().getValue() << "\n";
    }
  });
}

/// Compiles `<loss>.step` with Adam's defaults (what --train-step shows).
bool requestAdamStep(dlc::Compilation &c, const std::string &loss) {
  dl::OptimizerConfig adam;
  adam.kind = dl::OptimizerConfig::Kind::Adam;
  return c.requestTraining(loss, adam);
}

/// `dlc FILE.dl --verify-fusion`: every fused kernel of the functions, their
/// gradients and the training step of the train block's loss (or
/// --train-step) against its unfused ops (compiler/API/FusionCheck.h).
int verifyFusion() {
  dlc::Compilation c;
  if (!c.loadFile(inputFile) || !c.parseAndAnalyze() || !c.emitDL()) {
    llvm::errs() << c.errors();
    return 1;
  }
  c.requestGradients();
  std::string loss = !emitTrainStep.empty() ? emitTrainStep.getValue()
                                            : c.settings().loss.value_or("");
  if ((!loss.empty() && !requestAdamStep(c, loss)) ||
      !c.planLinalg(!noFusion)) {
    llvm::errs() << c.errors();
    return 1;
  }
  llvm::outs() << "fusion check for " << inputFile
               << ": each fused kernel against its ops compiled one by one, "
                  "on the same random inputs (seed "
               << verifySeed << ")\n";
  dlc::FusionCheckSummary s =
      dlc::verifyFusion(c.module(), llvm::outs(), verifySeed);
  if (!s.error.empty())
    return fail("--verify-fusion: " + s.error);
  llvm::outs() << (s.kernels - s.mismatches) << " of " << s.kernels
               << " fused kernels match\n";
  return s.mismatches ? 1 : 0;
}

int emitStage() {
  if (inputFile.empty())
    return fail("no input file (usage: dlc FILE.dl --emit=STAGE, or dlc run "
                "FILE.dl ...; see --help)");
  dlc::Compilation c;
  if (!c.loadFile(inputFile) || !c.parseAndAnalyze()) {
    llvm::errs() << c.errors();
    return 1;
  }
  auto printOrFail = [&](auto &&print) {
    std::error_code ec;
    std::string path = outputFile.empty() ? "-" : outputFile.getValue();
    llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail("cannot write '" + path + "': " + ec.message());
    print(out.os());
    out.keep();
    return 0;
  };
  if (emitKind == Emit::AST)
    return printOrFail(
        [&](llvm::raw_ostream &os) { printAST(c.program(), os); });
  bool emulator = dlc::targetChoice().name == "cuda-emulator";
  bool cuda = emitKind == Emit::PTX || dlc::targetChoice().name == "cuda";
  if (!cuda && !emulator && dlc::targetChoice().name != "cpu")
    return fail("unknown --target '" + dlc::targetChoice().name +
                "' (cpu, cuda or cuda-emulator)");
  dlc::GPUTarget gpu = dlc::gpuTargetFor(dlc::targetChoice().gpuArch);
  if (!dl::parseGPUMatmul(gpuMatmul))
    return fail("unknown --gpu-matmul '" + gpuMatmul +
                "' (fp32, tf32 or 3xtf32)");
  gpu.matmul = gpuMatmul;
  if (emitKind == Emit::PTX)
    gpu.format = "isa"; // keep the PTX text in the gpu.binary objects
  bool ok = c.emitDL();
  if (ok && !emitTrainStep.empty())
    ok = requestAdamStep(c, emitTrainStep);
  if (ok && emitKind >= Emit::Linalg)
    ok = c.lowerToLinalg(cuda || emulator, !noFusion);
  if (ok && emitKind >= Emit::LLVMDialect)
    ok = cuda       ? c.lowerToGPU(gpu)
         : emulator ? c.lowerToEmulatedGPU(emulateReversed, gpuMatmul)
                    : c.lowerToLLVM();
  if (!ok) {
    llvm::errs() << c.errors();
    return 1;
  }
  if (emitKind == Emit::PTX)
    return printOrFail(
        [&](llvm::raw_ostream &os) { printPTX(c.module(), os); });
  if (emitKind == Emit::FusionReport) {
    if (!outputFile.empty())
      return fail("--emit=fusion-report prints to standard output (no -o)");
    llvm::outs() << "fusion report for " << inputFile
                 << " (each kernel is one loop nest on the CPU, one launch on "
                    "the GPU)\n";
    if (!c.runPasses("dl-fusion-report")) {
      llvm::errs() << c.errors();
      return 1;
    }
    return 0;
  }
  if (emitKind <= Emit::LLVMDialect)
    return printOrFail([&](llvm::raw_ostream &os) { c.module().print(os); });
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> module = c.translateToLLVMIR(llvmCtx);
  if (!module) {
    llvm::errs() << c.errors();
    return 1;
  }
  if (emitKind == Emit::LLVMIR)
    return printOrFail(
        [&](llvm::raw_ostream &os) { module->print(os, nullptr); });
  return emitObject(*module, outputFile.empty() ? defaultObjectPath(inputFile)
                                                : outputFile.getValue());
}

int checkGradients() {
  dl::CompilerOptions options;
  if (!dlc::applyTarget(options))
    return 1;
  options.gradients = true;
  options.promoteToF64 = true;
  dl::Compiler compiler(options);
  dl::CompileResult compiled = compiler.compileFile(checkFile);
  if (!compiled.ok()) {
    llvm::errs() << compiled.errors();
    return 1;
  }
  dl::Module &m = *compiled.module;
  m.initParameters(checkSeed);
  std::vector<std::string> targets;
  for (const dl::FunctionInfo &f : m.functions())
    if (llvm::StringRef(f.name).ends_with(".grad"))
      targets.push_back(f.name.substr(0, f.name.size() - 5));
  if (!checkFn.empty()) {
    if (!m.function(checkFn))
      return fail(checkFile + ": no function named '" + checkFn + "'");
    if (std::find(targets.begin(), targets.end(), checkFn) == targets.end())
      return fail("'" + checkFn + "' does not return a float scalar");
    targets = {checkFn};
  }
  if (targets.empty())
    return fail(checkFile + ": no function returns a float scalar");
  const double h = 1e-6, tolerance = 1e-6;
  bool allOk = true;
  std::vector<std::string> names = m.parameterNames();
  for (const std::string &fn : targets) {
    auto inputs =
        dlc::makeSyntheticInputs(*m.function(fn), checkSeed, false, binds);
    if (!inputs)
      return fail(inputs.message());
    auto grads = m.callAll(fn + ".grad", *inputs);
    if (!grads)
      return fail(grads.message());
    llvm::outs() << fn << ": central differences in f64, h = 1e-6, up to "
                 << checkSamples << " elements per parameter\n";
    size_t g = 1;
    for (const std::string &name : names) {
      dl::Tensor p = *m.parameter(name);
      if (p.dtype() != dl::DType::F64)
        continue; // integer parameters have no gradient
      const dl::Tensor &grad = (*grads)[g++];
      int64_t n = p.numElements();
      int64_t count = std::min<int64_t>(n, checkSamples);
      double worst = 0;
      for (int64_t s = 0; s < count; ++s) {
        int64_t i =
            count == n ? s : s * (n - 1) / std::max<int64_t>(count - 1, 1);
        dl::Tensor q(p.dtype(), p.shape());
        std::copy(p.data<double>(), p.data<double>() + n, q.data<double>());
        double step = h * std::max(1.0, std::fabs(p.data<double>()[i]));
        q.data<double>()[i] += step;
        (void)m.setParameter(name, q);
        auto up = m.call(fn, *inputs);
        q.data<double>()[i] -= 2 * step;
        (void)m.setParameter(name, q);
        auto down = m.call(fn, *inputs);
        if (!up || !down)
          return fail((up ? down : up).message());
        double fd =
            (up->data<double>()[0] - down->data<double>()[0]) / (2 * step);
        double err = std::fabs(grad.data<double>()[i] - fd) /
                     std::max(1.0, std::fabs(fd));
        worst = std::max(worst, err);
      }
      (void)m.setParameter(name, p);
      bool ok = worst <= tolerance;
      allOk &= ok;
      llvm::outs() << llvm::format("  %-40s worst error %.2e  %s\n",
                                   name.c_str(), worst, ok ? "ok" : "FAILED");
    }
  }
  llvm::outs() << (allOk ? "all gradients agree with finite differences\n"
                         : "some gradients disagree with finite differences\n");
  return allOk ? 0 : 1;
}

int runFunction() {
  dl::CompilerOptions options;
  if (!dlc::applyTarget(options))
    return 1;
  dl::Compiler compiler(options);
  dl::CompileResult compiled = compiler.compileFile(runFile);
  if (!compiled.ok()) {
    llvm::errs() << compiled.errors();
    return 1;
  }
  dl::Module &module = *compiled.module;
  const dl::FunctionInfo *fn = module.function(runFn);
  if (!fn)
    return fail(runFile + ": no function named '" + runFn + "'");
  module.initParameters(seed);
  if (!paramsFile.empty())
    if (dlrt::Status s = module.loadParameters(paramsFile); !s)
      return fail(s.message());

  std::vector<dl::Tensor> inputs;
  if (syntheticInputs) {
    if (!runInputs.empty())
      return fail("--synthetic-inputs and --input are exclusive");
    auto synthetic =
        dlc::makeSyntheticInputs(*fn, seed, /*requireBind=*/true, binds);
    if (!synthetic)
      return fail(synthetic.message());
    inputs = std::move(*synthetic);
  } else {
    for (const std::string &path : runInputs) {
      dlrt::Expected<dlrt::Tensor> t = dlrt::readNpy(path);
      if (!t)
        return fail(t.message());
      inputs.push_back(*t);
    }
  }

  dlrt::Expected<dl::Tensor> result = module.call(runFn, inputs);
  if (!result)
    return fail(result.message());
  if (!runOutput.empty()) {
    if (dlrt::Status s = dlrt::writeNpy(runOutput, *result); !s)
      return fail(s.message());
    llvm::outs() << runFn << ": wrote " << result->typeString() << " to "
                 << runOutput << "\n";
    return 0;
  }
  llvm::outs() << runFn << ": " << result->typeString() << "\n";
  dlc::printTensor(*result, llvm::outs());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // A train step allocates the same large temporaries (activations,
  // gradients) every step. glibc would mmap and unmap them each time, and
  // every step would page-fault its memory in again; keep freed memory in
  // the heap instead (the policy of the program, not of the library).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  cl::HideUnrelatedOptions(dlcOptions);
  cl::ParseCommandLineOptions(argc, argv, "dlc: the DL model compiler\n");
  dlc::targetChoice() = {targetName, gpuArch,         optLevel,
                         !noFusion,  emulateReversed, gpuMatmul};
  if (compareTargetsCommand)
    return dlc::compareTargets(compareFile, compareSeed, binds);
  if (runCommand)
    return runFunction();
  if (checkGradsCommand)
    return checkGradients();
  if (evalCommand) {
    double mean, stddev;
    auto [m, s] = llvm::StringRef(evalNormalize.getValue()).split(',');
    if (m.getAsDouble(mean) || s.getAsDouble(stddev) || !(stddev > 0))
      return fail("malformed --normalize '" + evalNormalize + "' (MEAN,STD)");
    dl::TrainSettingsResult block = dl::Compiler::readTrainSettings(evalFile);
    if (!block.ok()) {
      llvm::errs() << block.errors();
      return 1;
    }
    if (evalThreads < 1 || evalThreads > 1024)
      return fail("--threads must be between 1 and 1024");
    return dlc::evaluateModel(evalFile, block.settings->loss.value_or("loss"),
                              evalData, evalCheckpoint, mean, stddev, evalBatch,
                              evalSeed, evalThreads);
  }
  if (predictCommand) {
    double mean, stddev;
    auto [m, s] = llvm::StringRef(predictNormalize.getValue()).split(',');
    if (m.getAsDouble(mean) || s.getAsDouble(stddev) || !(stddev > 0))
      return fail("malformed --normalize '" + predictNormalize +
                  "' (MEAN,STD)");
    if (predictThreads < 1 || predictThreads > 1024)
      return fail("--threads must be between 1 and 1024");
    return dlc::predict(predictFile, predictCheckpoint, predictInput,
                        predictTop, mean, stddev, predictThreads);
  }
  if (trainCommand) {
    // Defaults, then the file's train block, then the command line.
    dl::TrainSettingsResult block = dl::Compiler::readTrainSettings(trainFile);
    if (!block.ok()) {
      llvm::errs() << block.errors();
      return 1;
    }
    const dl::TrainSettings &b = *block.settings;
    auto given = [](const cl::Option &o) { return o.getNumOccurrences() > 0; };
    dlc::TrainOptions t;
    t.file = trainFile;
    t.loss = b.loss.value_or("loss");
    t.data = trainData;
    t.epochs = given(trainEpochs) ? trainEpochs : b.epochs.value_or(1);
    t.steps = trainSteps;
    t.batch = given(trainBatch) ? trainBatch : b.batch.value_or(64);
    t.seed = trainSeed;
    t.init = trainInit;
    t.save = trainSave;
    t.resume = trainResume;
    t.schedule =
        given(trainSchedule) ? trainSchedule : b.schedule.value_or("constant");
    t.warmup = given(trainWarmup) ? trainWarmup : b.warmup.value_or(0);
    t.metrics = trainMetrics;
    t.threads = trainThreads;
    t.profile = trainProfile;
    t.timeCompile = trainTimeCompile;
    using K = dl::OptimizerConfig::Kind;
    std::string opt = given(trainOptimizer)
                          ? trainOptimizer.getValue()
                          : b.optimizer.value_or(trainOptimizer.getValue());
    // Hyper-parameters of the block apply when it names the same optimizer.
    bool fromBlock = b.optimizer && *b.optimizer == opt;
    if (opt == "sgd" || opt == "momentum") {
      t.optimizer.kind = K::SGD;
      t.optimizer.momentum = opt == "momentum" ? 0.9 : 0;
      t.optimizer.lr = 0.01;
      if (fromBlock) {
        t.optimizer.momentum = b.momentum.value_or(t.optimizer.momentum);
        t.optimizer.nesterov = b.nesterov.value_or(false);
      }
    } else if (opt == "adam" || opt == "adamw") {
      t.optimizer.kind = opt == "adam" ? K::Adam : K::AdamW;
      t.optimizer.lr = 1e-3;
      if (fromBlock) {
        t.optimizer.beta1 = b.beta1.value_or(t.optimizer.beta1);
        t.optimizer.beta2 = b.beta2.value_or(t.optimizer.beta2);
        t.optimizer.eps = b.eps.value_or(t.optimizer.eps);
      }
    } else {
      return fail("unknown optimizer '" + opt +
                  "' (sgd, momentum, adam, adamw)");
    }
    if (fromBlock) {
      t.optimizer.lr = b.lr.value_or(t.optimizer.lr);
      t.optimizer.weightDecay = b.weightDecay.value_or(0);
    }
    if (trainLr > 0)
      t.optimizer.lr = trainLr;
    if (given(trainWd))
      t.optimizer.weightDecay = trainWd;
    t.optimizer.frozen = b.frozen;
    t.optimizer.frozen.insert(t.optimizer.frozen.end(), trainFreeze.begin(),
                              trainFreeze.end());
    if (trainShuffle != "on" && trainShuffle != "off")
      return fail("--shuffle takes on or off");
    t.shuffle = trainShuffle == "on";
    auto [mean, std] = llvm::StringRef(trainNormalize.getValue()).split(',');
    if (mean.getAsDouble(t.mean) || std.getAsDouble(t.stddev) ||
        !(t.stddev > 0))
      return fail("malformed --normalize '" + trainNormalize + "' (MEAN,STD)");
    return dlc::trainModel(t);
  }
  if (verifyFusionFlag) {
    if (inputFile.empty())
      return fail("--verify-fusion needs an input file");
    return verifyFusion();
  }
  return emitStage();
}
