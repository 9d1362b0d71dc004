//===- HostEngine.cpp - JIT-compile an LLVM-dialect module for the host ---===//
#include "compiler/API/HostEngine.h"

#include "dlrt/HostMemory.h"
#include "dlrt/Profile.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>
#include <mutex>

llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
dlc::createHostEngine(mlir::ModuleOp module, unsigned optLevel,
                      unsigned threads) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  // LLVM's loop strength reduction spends seconds on the fully unrolled
  // register blocks of dl-cpu-vectorize (more than half of code generation
  // for the seed CNN's training module: 2.0 of 3.7 s) and changes nothing
  // measurable in their speed (the blocks address memory with constant
  // offsets from a few pointers). Off unless asked for (-disable-lsr=false).
  auto &options = llvm::cl::getRegisteredOptions();
  if (auto it = options.find("disable-lsr"); it != options.end())
    if (it->second->getNumOccurrences() == 0)
      static_cast<llvm::cl::opt<bool> *>(it->second)->setValue(true);
  mlir::ExecutionEngineOptions engineOptions;
  // LLVM's optimisation pipeline must know the host (its vector width and
  // costs): without a target machine the loop vectorizer sees a generic
  // target and leaves every loop scalar.
  std::unique_ptr<llvm::TargetMachine> host;
  if (auto builder = llvm::orc::JITTargetMachineBuilder::detectHost()) {
    if (auto tm = builder->createTargetMachine())
      host = std::move(*tm);
    else
      llvm::consumeError(tm.takeError());
  } else {
    llvm::consumeError(builder.takeError());
  }
  // The transformer is a function_ref: it must outlive create().
  auto transformer = mlir::makeOptimizingTransformer(optLevel, 0, host.get());
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel =
      optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
      : optLevel == 0 ? llvm::CodeGenOptLevel::None
                      : llvm::CodeGenOptLevel::Default;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = getenv("DLC_PERF") != nullptr;
  llvm::SmallVector<llvm::StringRef> libraries;
  if (threads > 1)
    libraries.push_back(DLC_LIBOMP_PATH);
  engineOptions.sharedLibPaths = libraries;
  auto engine = mlir::ExecutionEngine::create(module, engineOptions);
  if (engine)
    registerRuntimeSymbols(**engine);
  return engine;
}

void dlc::registerRuntimeSymbols(mlir::ExecutionEngine &engine) {
  engine.registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    for (auto *entries :
         {dlrt::hostmem::entryPoints, dlrt::profile::entryPoints})
      for (const auto &[name, address] : entries())
        map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                               llvm::JITSymbolFlags::Exported};
    return map;
  });
}
