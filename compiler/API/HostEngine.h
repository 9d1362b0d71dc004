//===- HostEngine.h - JIT-compile for the host ---------------- -*- C++ -*-===//
//
// One place that turns a module in the LLVM dialect into machine code for
// this machine: LLVM's optimisation pipeline with the host's target machine
// (its vector width and costs), libomp for threaded code, and the runtime's
// allocator and profile clock in the symbol table. Used by the public API
// (Compiler.cpp) and the fusion check (FusionCheck.cpp).
//
// LLVM's code generation is most of a model's compile time and runs on one
// module at a time; here the module, once optimised whole (LLVM's IR
// pipeline needs the kernels' bodies next to their callers), is split into
// one part per core (llvm::SplitModule: its functions, round robin, are
// mostly outlined kernels of similar size), each part is compiled to an
// object file on a thread of its own, and ORC links the objects.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_API_HOSTENGINE_H
#define DLC_API_HOSTENGINE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace dlc {

class HostEngine {
public:
  ~HostEngine();

  /// Compiles `module` (the LLVM dialect). `optLevel` 0-3; `threads` > 1
  /// loads libomp; `parts`: how many parts to compile in parallel (0: one
  /// per core, fewer for small modules). Every function gets a packed
  /// wrapper `_mlir_<name>` taking an array of pointers to its arguments
  /// and, last, to its result (MLIR's ExecutionEngine convention).
  static llvm::Expected<std::unique_ptr<HostEngine>>
  create(mlir::ModuleOp module, unsigned optLevel, unsigned threads,
         unsigned parts = 0);

  /// The packed wrapper of function `name`.
  llvm::Expected<void (*)(void **)> lookupPacked(llvm::StringRef name) const;
  /// Calls `name`'s packed wrapper with `args`.
  llvm::Error invokePacked(llvm::StringRef name,
                           llvm::MutableArrayRef<void *> args);
  /// Defines the symbols `symbols` makes (absolute addresses).
  void registerSymbols(
      llvm::function_ref<llvm::orc::SymbolMap(llvm::orc::MangleAndInterner)>
          symbols);
  /// Runs the module's global constructors (once; the destructors run when
  /// the engine is destroyed).
  void initialize();

  /// Parts the last engine created was compiled in (for tests).
  static unsigned lastPartCount();

  /// Seconds create() spent translating to LLVM IR, in LLVM's IR pipeline,
  /// generating code and linking.
  struct Phases {
    double translate = 0, optimize = 0, codegen = 0, link = 0;
  };
  const Phases &phases() const { return timings; }

private:
  HostEngine() = default;

  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::vector<std::string> constructors, destructors; // in priority order
  bool initialized = false;
  Phases timings;
};

/// LLVM's IR pipeline at `optLevel` (0-3) for `machine`, the host: below 3
/// without LLVM's loop unrolling and vectorisers (the kernels arrive
/// vectorised and unrolled; docs/performance.md).
void optimizeModule(llvm::Module &module, unsigned optLevel,
                    llvm::TargetMachine *machine);

/// Gives the functions `module` defines as private (the outlined kernels)
/// internal linkage in `translated`, its translation to LLVM IR: MLIR's
/// export keeps every function external. Internal kernels get no packed
/// wrapper, and LLVM's interprocedural passes see every call of them: the
/// constant sizes, strides and offsets of their memref arguments propagate
/// into their bodies, and arguments they never read are dropped.
void internalizePrivateFunctions(mlir::ModuleOp module,
                                 llvm::Module &translated);

/// Puts the runtime's allocator and profile entry points into `engine`'s
/// symbol table.
void registerRuntimeSymbols(HostEngine &engine);

} // namespace dlc

#endif // DLC_API_HOSTENGINE_H
