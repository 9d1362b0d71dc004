//===- HostEngineTest.cpp - compiling in parts links into one program -----===//
//
// dlc::HostEngine splits a module into parts compiled on threads of their
// own and links the objects. A module with calls from one part into the
// others, an internal function and an internal constant table that
// SplitModule must share between parts, and a global constructor (which
// ORC does not run for linked objects: the engine does) gives the same
// results compiled whole and in parts.
//
//===----------------------------------------------------------------------===//
#include "compiler/API/HostEngine.h"
#include "compiler/Pipelines/Pipelines.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/AsmParser/Parser.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <gtest/gtest.h>

namespace {

constexpr int kKernels = 24;

// k_i(x) = x * 2 + table[i % 4] + helper(i), chained by @chain in order;
// @counter is set to 42 by a global constructor.
std::string source() {
  std::string s = R"mlir(
llvm.mlir.global internal constant @table(dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf64>) : !llvm.array<4 x f64>
llvm.mlir.global internal @counter(0 : i64) : i64
llvm.func internal @helper(%i: i64) -> f64 attributes {no_inline} {
  %f = llvm.sitofp %i : i64 to f64
  %h = llvm.mlir.constant(0.5 : f64) : f64
  %r = llvm.fmul %f, %h : f64
  llvm.return %r : f64
}
llvm.func internal @set_counter() {
  %a = llvm.mlir.addressof @counter : !llvm.ptr
  %v = llvm.mlir.constant(42 : i64) : i64
  llvm.store %v, %a : i64, !llvm.ptr
  llvm.return
}
llvm.mlir.global_ctors ctors = [@set_counter], priorities = [0 : i32], data = [#llvm.zero]
llvm.func @read_counter() -> i64 {
  %a = llvm.mlir.addressof @counter : !llvm.ptr
  %v = llvm.load %a : !llvm.ptr -> i64
  llvm.return %v : i64
}
)mlir";
  for (int i = 0; i < kKernels; ++i) {
    std::string n = std::to_string(i);
    s += "llvm.func @k" + n +
         "(%x: f64) -> f64 attributes {no_inline} {\n"
         "  %two = llvm.mlir.constant(2.0 : f64) : f64\n"
         "  %y = llvm.fmul %x, %two : f64\n"
         "  %t = llvm.mlir.addressof @table : !llvm.ptr\n"
         "  %p = llvm.getelementptr %t[0, " +
         std::to_string(i % 4) +
         "] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<4 x f64>\n"
         "  %e = llvm.load %p : !llvm.ptr -> f64\n"
         "  %i = llvm.mlir.constant(" +
         n +
         " : i64) : i64\n"
         "  %h = llvm.call @helper(%i) : (i64) -> f64\n"
         "  %z = llvm.fadd %y, %e : f64\n"
         "  %r = llvm.fadd %z, %h : f64\n"
         "  llvm.return %r : f64\n}\n";
  }
  s += "llvm.func @chain(%x: f64) -> f64 {\n";
  std::string v = "%x";
  for (int i = 0; i < kKernels; ++i) {
    s += "  %v" + std::to_string(i) + " = llvm.call @k" + std::to_string(i) +
         "(" + v + ") : (f64) -> f64\n";
    v = "%v" + std::to_string(i);
  }
  s += "  llvm.return " + v + " : f64\n}\n";
  return s;
}

double expected(double x) {
  const double table[4] = {1, 2, 3, 4};
  for (int i = 0; i < kKernels; ++i)
    x = x * 2 + table[i % 4] + 0.5 * i;
  return x;
}

TEST(HostEngine, PartsLinkIntoOneProgram) {
  mlir::DialectRegistry registry;
  dlc::registerDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source(), &ctx);
  ASSERT_TRUE(module);
  for (unsigned parts : {1u, 3u}) {
    SCOPED_TRACE(testing::Message() << parts << " parts");
    auto engine = dlc::HostEngine::create(*module, /*optLevel=*/2,
                                          /*threads=*/1, parts);
    ASSERT_TRUE(static_cast<bool>(engine)) << toString(engine.takeError());
    EXPECT_EQ(dlc::HostEngine::lastPartCount(), parts);
    double x = 0.25, result = 0;
    void *args[] = {&x, &result};
    ASSERT_FALSE(static_cast<bool>((*engine)->invokePacked("chain", args)));
    EXPECT_EQ(result, expected(x));
    int64_t counter = -1;
    void *none[] = {&counter};
    ASSERT_FALSE(
        static_cast<bool>((*engine)->invokePacked("read_counter", none)));
    EXPECT_EQ(counter, 0) << "constructors run at initialize(), not before";
    (*engine)->initialize();
    ASSERT_FALSE(
        static_cast<bool>((*engine)->invokePacked("read_counter", none)));
    EXPECT_EQ(counter, 42);
  }
}

TEST(HostEngine, UnknownFunctionIsAnError) {
  mlir::DialectRegistry registry;
  dlc::registerDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(
      "llvm.func @f() { llvm.return }", &ctx);
  ASSERT_TRUE(module);
  auto engine = dlc::HostEngine::create(*module, 2, 1);
  ASSERT_TRUE(static_cast<bool>(engine)) << toString(engine.takeError());
  EXPECT_EQ(dlc::HostEngine::lastPartCount(), 1u) << "small: one part";
  llvm::Error err = (*engine)->invokePacked("missing", {});
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(toString(std::move(err)).find("missing"), std::string::npos);
}

TEST(HostEngine, PrivateFunctionsAreInternalWithoutWrappers) {
  mlir::DialectRegistry registry;
  dlc::registerDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(R"mlir(
    llvm.func @external_decl(f64) -> f64 attributes {sym_visibility = "private"}
    llvm.func @kernel(%x: f64, %unused: i64) -> f64 attributes {passthrough = ["noinline"], sym_visibility = "private"} {
      %r = llvm.fadd %x, %x : f64
      llvm.return %r : f64
    }
    llvm.func @entry(%x: f64) -> f64 {
      %n = llvm.mlir.constant(7 : i64) : i64
      %r = llvm.call @kernel(%x, %n) : (f64, i64) -> f64
      llvm.return %r : f64
    })mlir",
                                                        &ctx);
  ASSERT_TRUE(module);
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> translated =
      mlir::translateModuleToLLVMIR(*module, llvmCtx);
  ASSERT_TRUE(translated);
  dlc::internalizePrivateFunctions(*module, *translated);
  EXPECT_TRUE(translated->getFunction("kernel")->hasInternalLinkage());
  EXPECT_TRUE(translated->getFunction("entry")->hasExternalLinkage());
  EXPECT_TRUE(translated->getFunction("external_decl")->hasExternalLinkage());

  auto engine = dlc::HostEngine::create(*module, 2, 1);
  ASSERT_TRUE(static_cast<bool>(engine)) << toString(engine.takeError());
  double x = 1.25, result = 0;
  void *args[] = {&x, &result};
  ASSERT_FALSE(static_cast<bool>((*engine)->invokePacked("entry", args)));
  EXPECT_EQ(result, 2.5);
  llvm::Expected<void (*)(void **)> kernel = (*engine)->lookupPacked("kernel");
  EXPECT_FALSE(static_cast<bool>(kernel)) << "no packed wrapper";
  llvm::consumeError(kernel.takeError());
}

// A plain loop: LLVM's loop vectoriser and unroller work on it at O3 only
// (below, the kernels arrive vectorised by dl-cpu-vectorize).
TEST(HostEngine, LoopPassesRunAtO3Only) {
  const char *ir = R"ll(
    define void @scale(ptr noalias %a, ptr noalias %b) {
    entry:
      br label %loop
    loop:
      %i = phi i64 [ 0, %entry ], [ %next, %loop ]
      %pb = getelementptr float, ptr %b, i64 %i
      %v = load float, ptr %pb
      %w = fmul float %v, 2.0
      %pa = getelementptr float, ptr %a, i64 %i
      store float %w, ptr %pa
      %next = add i64 %i, 1
      %done = icmp eq i64 %next, 1024
      br i1 %done, label %exit, label %loop
    exit:
      ret void
    })ll";
  llvm::InitializeNativeTarget();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  ASSERT_TRUE(static_cast<bool>(builder)) << toString(builder.takeError());
  auto machine = builder->createTargetMachine();
  ASSERT_TRUE(static_cast<bool>(machine)) << toString(machine.takeError());
  for (unsigned level : {2u, 3u}) {
    llvm::LLVMContext llvmCtx;
    llvm::SMDiagnostic error;
    std::unique_ptr<llvm::Module> m =
        llvm::parseAssemblyString(ir, error, llvmCtx);
    ASSERT_TRUE(m) << error.getMessage().str();
    m->setDataLayout((*machine)->createDataLayout());
    m->setTargetTriple((*machine)->getTargetTriple());
    dlc::optimizeModule(*m, level, machine->get());
    std::string text;
    llvm::raw_string_ostream os(text);
    m->print(os, nullptr);
    bool vectorized = text.find("x float>") != std::string::npos;
    EXPECT_EQ(vectorized, level == 3) << "O" << level << ":\n" << text;
  }
}

} // namespace
