//===- HostEngine.cpp - JIT-compile an LLVM-dialect module for the host ---===//
#include "compiler/API/HostEngine.h"

#include "dlrt/HostMemory.h"
#include "dlrt/Profile.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/ExecutionEngine/JITEventListener.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

using namespace llvm;

namespace {

/// More parts than this gain nothing measurable on a model's few dozen
/// kernels and cost a split and a bitcode round trip each.
constexpr unsigned kMaxParts = 8;
/// Functions per part at least (smaller modules: one part).
constexpr unsigned kMinFunctionsPerPart = 8;

std::atomic<unsigned> partsOfLastEngine{0};

/// `_mlir_<name>(void **args)`: loads each argument through args[i], calls
/// `name`, stores its result through args[arity] (MLIR's ExecutionEngine
/// convention, which Module.cpp and FusionCheck.cpp call).
void addPackedWrappers(Module &module) {
  LLVMContext &ctx = module.getContext();
  auto *ptr = PointerType::getUnqual(ctx);
  SmallVector<Function *> functions;
  for (Function &f : module)
    if (!f.isDeclaration() && !f.hasLocalLinkage())
      functions.push_back(&f);
  for (Function *f : functions) {
    auto *type = FunctionType::get(Type::getVoidTy(ctx), {ptr}, false);
    auto *wrapper = Function::Create(type, GlobalValue::ExternalLinkage,
                                     "_mlir_" + f->getName(), module);
    IRBuilder<> b(BasicBlock::Create(ctx, "entry", wrapper));
    Value *args = wrapper->getArg(0);
    SmallVector<Value *> operands;
    for (Argument &arg : f->args()) {
      Value *slot = b.CreateGEP(ptr, args, b.getInt64(arg.getArgNo()));
      operands.push_back(b.CreateLoad(arg.getType(), b.CreateLoad(ptr, slot)));
    }
    CallInst *call = b.CreateCall(f, operands);
    if (!call->getType()->isVoidTy()) {
      Value *slot = b.CreateGEP(ptr, args, b.getInt64(f->arg_size()));
      b.CreateStore(call, b.CreateLoad(ptr, slot));
    }
    b.CreateRetVoid();
  }
}

/// Removes `llvm.global_ctors` (or dtors) and returns the names of its
/// functions by priority, made external so that they can be looked up:
/// ORC runs structors of IR it compiles itself, not of linked objects.
std::vector<std::string> takeStructors(Module &module, StringRef array) {
  std::vector<std::pair<uint64_t, std::string>> found;
  GlobalVariable *gv = module.getNamedGlobal(array);
  if (!gv)
    return {};
  if (auto *entries = dyn_cast_or_null<ConstantArray>(
          gv->hasInitializer() ? gv->getInitializer() : nullptr))
    for (Value *entry : entries->operands()) {
      auto *s = dyn_cast<ConstantStruct>(entry);
      if (!s || s->getNumOperands() < 2)
        continue;
      auto *fn = dyn_cast<Function>(s->getOperand(1)->stripPointerCasts());
      auto *priority = dyn_cast<ConstantInt>(s->getOperand(0));
      if (!fn || !priority)
        continue;
      if (fn->hasLocalLinkage()) {
        fn->setLinkage(GlobalValue::ExternalLinkage);
        fn->setVisibility(GlobalValue::DefaultVisibility);
      }
      found.emplace_back(priority->getZExtValue(), fn->getName().str());
    }
  gv->eraseFromParent();
  std::stable_sort(found.begin(), found.end(),
                   [](auto &a, auto &b) { return a.first < b.first; });
  std::vector<std::string> names;
  for (auto &[priority, name] : found)
    names.push_back(name);
  return names;
}

/// Compiles one part (optimised already) to an object file.
Expected<std::unique_ptr<MemoryBuffer>>
compilePart(Module &part, orc::JITTargetMachineBuilder builder) {
  Expected<std::unique_ptr<TargetMachine>> tm = builder.createTargetMachine();
  if (!tm)
    return tm.takeError();
  // SplitModule gives the locals it had to share between parts hidden
  // visibility; the objects are linked against each other by name.
  for (GlobalValue &g : part.global_values())
    if (!g.isDeclaration() && g.hasHiddenVisibility())
      g.setVisibility(GlobalValue::DefaultVisibility);
  SmallVector<char, 0> object;
  raw_svector_ostream os(object);
  legacy::PassManager codegen;
  if ((*tm)->addPassesToEmitFile(codegen, os, nullptr,
                                 CodeGenFileType::ObjectFile))
    return createStringError("the host target cannot emit object files");
  codegen.run(part);
  return std::make_unique<SmallVectorMemoryBuffer>(
      std::move(object), part.getModuleIdentifier(),
      /*RequiresNullTerminator=*/false);
}

} // namespace

void dlc::optimizeModule(Module &module, unsigned optLevel,
                         TargetMachine *machine) {
  OptimizationLevel level = optLevel == 0   ? OptimizationLevel::O0
                            : optLevel == 1 ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2
                                            : OptimizationLevel::O3;
  // Below O3 without LLVM's loop unrolling and vectorisers: dl-cpu-vectorize
  // hands over kernels already vectorised and register-tiled, and on them
  // these passes are most of the IR pipeline and of code generation (the
  // unrolled copies): the seed CNN's training module took 0.30 s to
  // optimise and 0.14 s to generate instead of 0.65 and 0.49, and trained
  // no slower; its remaining scalar loops (window copies) ran faster.
  PipelineTuningOptions tuning;
  bool loopPasses = optLevel >= 3;
  tuning.LoopUnrolling = loopPasses;
  tuning.LoopInterleaving = loopPasses;
  tuning.LoopVectorization = loopPasses;
  tuning.SLPVectorization = loopPasses;
  LoopAnalysisManager loops;
  FunctionAnalysisManager functions;
  CGSCCAnalysisManager sccs;
  ModuleAnalysisManager modules;
  PassBuilder builder(machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  builder.buildPerModuleDefaultPipeline(level).run(module, modules);
}

void dlc::internalizePrivateFunctions(mlir::ModuleOp module,
                                      Module &translated) {
  module.walk([&](mlir::LLVM::LLVMFuncOp fn) {
    if (!fn.isPrivate() || fn.isExternal())
      return;
    if (Function *f = translated.getFunction(fn.getSymName()))
      f->setLinkage(GlobalValue::InternalLinkage);
  });
}

dlc::HostEngine::~HostEngine() {
  if (!initialized)
    return;
  for (auto it = destructors.rbegin(); it != destructors.rend(); ++it) {
    if (auto fn = jit->lookup(*it))
      fn->toPtr<void (*)()>()();
    else
      consumeError(fn.takeError());
  }
}

unsigned dlc::HostEngine::lastPartCount() { return partsOfLastEngine; }

Expected<std::unique_ptr<dlc::HostEngine>>
dlc::HostEngine::create(mlir::ModuleOp module, unsigned optLevel,
                        unsigned threads, unsigned parts) {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
  });
  // LLVM's loop strength reduction spends seconds on the fully unrolled
  // register blocks of dl-cpu-vectorize (more than half of code generation
  // for the seed CNN's training module: 2.0 of 3.7 s) and changes nothing
  // measurable in their speed (the blocks address memory with constant
  // offsets from a few pointers). Off unless asked for (-disable-lsr=false).
  auto &options = cl::getRegisteredOptions();
  if (auto it = options.find("disable-lsr"); it != options.end())
    if (it->second->getNumOccurrences() == 0)
      static_cast<cl::opt<bool> *>(it->second)->setValue(true);

  Expected<orc::JITTargetMachineBuilder> builder =
      orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(optLevel >= 3   ? CodeGenOptLevel::Aggressive
                              : optLevel == 0 ? CodeGenOptLevel::None
                                              : CodeGenOptLevel::Default);
  Expected<DataLayout> layout = builder->getDefaultDataLayoutForTarget();
  if (!layout)
    return layout.takeError();

  Phases phases;
  auto lap = [last = std::chrono::steady_clock::now()](double &into) mutable {
    auto now = std::chrono::steady_clock::now();
    into = std::chrono::duration<double>(now - last).count();
    last = now;
  };
  LLVMContext context;
  std::unique_ptr<Module> whole =
      mlir::translateModuleToLLVMIR(module, context);
  if (!whole)
    return createStringError("translating the module to LLVM IR failed");
  whole->setDataLayout(*layout);
  whole->setTargetTriple(builder->getTargetTriple());
  internalizePrivateFunctions(module, *whole);
  addPackedWrappers(*whole);
  auto engine = std::unique_ptr<HostEngine>(new HostEngine);
  engine->constructors = takeStructors(*whole, "llvm.global_ctors");
  engine->destructors = takeStructors(*whole, "llvm.global_dtors");

  // The IR pipeline runs on the whole module: in a part, calls into other
  // parts go to bare declarations, and the interprocedural facts the
  // optimiser derives from the callees' bodies (what a kernel reads and
  // writes, constant arguments propagated into internal kernels) are lost:
  // a 64-layer MLP's step function, optimised in a part of its own, took
  // 14 s of code generation instead of 4.6. Only code generation, most of
  // the time for models of many small kernels, runs on the parts. LLVM's
  // optimisation pipeline must know the host (its vector width and costs):
  // without a target machine, O3's loop vectorizer sees a generic target and
  // leaves every loop scalar.
  {
    Expected<std::unique_ptr<TargetMachine>> tm =
        builder->createTargetMachine();
    if (!tm)
      return tm.takeError();
    lap(phases.translate);
    optimizeModule(*whole, optLevel, tm->get());
    lap(phases.optimize);
  }
  // Host functions (the entry points and their wrappers: kernel calls,
  // buffer allocation, memref descriptors) get LLVM's fast instruction
  // selector: `optnone` after the IR pipeline. A deep model's step takes
  // thousands of arguments (a 64-layer MLP's: 2,330) and passes them on to
  // its kernels, on which SelectionDAG's scheduling and store combining grow
  // faster than linearly (9.2 s of code generation for that step function,
  // 0.4 s with the fast selector), while the time host code runs is nothing
  // beside its kernels' (inference at batch 1, mostly host code, measured
  // the same either way). The kernels, internal, keep the full code
  // generator.
  for (Function &f : *whole)
    if (!f.isDeclaration() && !f.hasLocalLinkage()) {
      f.addFnAttr(Attribute::OptimizeNone);
      f.addFnAttr(Attribute::NoInline);
    }

  // One part per core, each in an LLVM context of its own (contexts are
  // not thread-safe): the parts go through bitcode.
  unsigned defined = 0;
  for (Function &f : *whole)
    defined += !f.isDeclaration();
  if (parts == 0)
    parts = std::min({hardware_concurrency().compute_thread_count(), kMaxParts,
                      defined / kMinFunctionsPerPart});
  std::vector<SmallVector<char, 0>> bitcode;
  if (parts > 1)
    SplitModule(
        *whole, parts,
        [&](std::unique_ptr<Module> part) {
          raw_svector_ostream os(bitcode.emplace_back());
          WriteBitcodeToFile(*part, os);
        },
        /*PreserveLocals=*/false, /*RoundRobin=*/true);
  parts = std::max<size_t>(bitcode.size(), 1);
  partsOfLastEngine = parts;
  std::vector<std::unique_ptr<MemoryBuffer>> objects(parts);
  std::vector<std::string> errors(parts);
  auto compile = [&](unsigned i) {
    LLVMContext partContext;
    std::unique_ptr<Module> parsed;
    Module *part = whole.get();
    if (!bitcode.empty()) {
      Expected<std::unique_ptr<Module>> m = parseBitcodeFile(
          MemoryBufferRef(StringRef(bitcode[i].data(), bitcode[i].size()),
                          "dlc-part-" + std::to_string(i)),
          partContext);
      if (!m) {
        errors[i] = toString(m.takeError());
        return;
      }
      parsed = std::move(*m);
      part = parsed.get();
    }
    Expected<std::unique_ptr<MemoryBuffer>> object =
        compilePart(*part, *builder);
    if (!object) {
      errors[i] = toString(object.takeError());
      return;
    }
    objects[i] = std::move(*object);
  };
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < parts; ++i)
    workers.emplace_back(compile, i);
  compile(0);
  for (std::thread &t : workers)
    t.join();
  for (const std::string &error : errors)
    if (!error.empty())
      return createStringError(error);

  lap(phases.codegen);
  // Link the objects.
  JITEventListener *perf = getenv("DLC_PERF")
                               ? JITEventListener::createPerfJITEventListener()
                               : nullptr;
  Expected<std::unique_ptr<orc::LLJIT>> jit =
      orc::LLJITBuilder()
          .setJITTargetMachineBuilder(*builder)
          .setDataLayout(*layout)
          .setObjectLinkingLayerCreator(
              [perf](orc::ExecutionSession &session)
                  -> Expected<std::unique_ptr<orc::ObjectLayer>> {
                auto layer = std::make_unique<orc::RTDyldObjectLinkingLayer>(
                    session, [](const MemoryBuffer &) {
                      return std::make_unique<SectionMemoryManager>();
                    });
                if (perf)
                  layer->registerJITEventListener(*perf);
                return layer;
              })
          .create();
  if (!jit)
    return jit.takeError();
  engine->jit = std::move(*jit);
  orc::JITDylib &main = engine->jit->getMainJITDylib();
  char prefix = layout->getGlobalPrefix();
  // libc and libm (tanhf, erff), the runtime linked into this process.
  auto process =
      orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process)
    return process.takeError();
  main.addGenerator(std::move(*process));
  if (threads > 1) {
    auto omp =
        orc::DynamicLibrarySearchGenerator::Load(DLC_LIBOMP_PATH, prefix);
    if (!omp)
      return omp.takeError();
    main.addGenerator(std::move(*omp));
  }
  for (std::unique_ptr<MemoryBuffer> &object : objects)
    if (Error err = engine->jit->addObjectFile(std::move(object)))
      return std::move(err);
  registerRuntimeSymbols(*engine);
  lap(phases.link);
  engine->timings = phases;
  return engine;
}

Expected<void (*)(void **)>
dlc::HostEngine::lookupPacked(StringRef name) const {
  Expected<orc::ExecutorAddr> address = jit->lookup(("_mlir_" + name).str());
  if (!address)
    return address.takeError();
  return address->toPtr<void (*)(void **)>();
}

Error dlc::HostEngine::invokePacked(StringRef name,
                                    MutableArrayRef<void *> args) {
  Expected<void (*)(void **)> fn = lookupPacked(name);
  if (!fn)
    return fn.takeError();
  (*fn)(args.data());
  return Error::success();
}

void dlc::HostEngine::registerSymbols(
    function_ref<orc::SymbolMap(orc::MangleAndInterner)> symbols) {
  orc::MangleAndInterner interner(jit->getExecutionSession(),
                                  jit->getDataLayout());
  cantFail(
      jit->getMainJITDylib().define(orc::absoluteSymbols(symbols(interner))));
}

void dlc::HostEngine::initialize() {
  if (initialized)
    return;
  initialized = true;
  for (const std::string &name : constructors)
    if (auto fn = jit->lookup(name))
      fn->toPtr<void (*)()>()();
    else
      consumeError(fn.takeError());
}

void dlc::registerRuntimeSymbols(HostEngine &engine) {
  engine.registerSymbols([](orc::MangleAndInterner interner) {
    orc::SymbolMap map;
    for (auto *entries :
         {dlrt::hostmem::entryPoints, dlrt::profile::entryPoints})
      for (const auto &[name, address] : entries())
        map[interner(name)] = {orc::ExecutorAddr::fromPtr(address),
                               JITSymbolFlags::Exported};
    return map;
  });
}
