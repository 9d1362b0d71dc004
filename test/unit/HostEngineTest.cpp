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

} // namespace
