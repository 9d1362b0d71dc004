//===- FusionCheckTest.cpp - the fusion check finds what it should --------===//
//
// dlc --verify-fusion compares each fused kernel with its unfused ops
// (compiler/API/FusionCheck.h). These tests give its comparison a correct
// and a wrong candidate, so the check itself is shown to fail when it must.
//
//===----------------------------------------------------------------------===//
#include "compiler/API/FusionCheck.h"
#include "compiler/Pipelines/Pipelines.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

namespace {

// Two kernels: x * y, then + x (with a dynamic batch tied to a static one by
// the loops: the check must size %x 3 x 4, as %y).
const char *kUnfused = R"mlir(
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @k(%x: tensor<?x4xf32>, %y: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %e = tensor.empty() : tensor<3x4xf32>
  %m = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<?x4xf32>, tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<3x4xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %x : tensor<3x4xf32>, tensor<?x4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}
)mlir";

// One kernel computing x * y + x, or (BODY) something else.
std::string fused(const std::string &body) {
  return R"mlir(
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @k(%x: tensor<?x4xf32>, %y: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %e = tensor.empty() : tensor<3x4xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<?x4xf32>, tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
)mlir" + body +
         R"mlir(
  } -> tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}
)mlir";
}

struct Modules {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> reference, candidate;
  Modules(const std::string &candidateText) {
    mlir::DialectRegistry registry;
    dlc::registerDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    reference = mlir::parseSourceString<mlir::ModuleOp>(kUnfused, &ctx);
    candidate = mlir::parseSourceString<mlir::ModuleOp>(candidateText, &ctx);
  }
};

TEST(FusionCheck, AcceptsACorrectFusedKernel) {
  Modules m(fused("    %p = arith.mulf %a, %b : f32\n"
                  "    %r = arith.addf %p, %a : f32\n"
                  "    linalg.yield %r : f32"));
  ASSERT_TRUE(m.reference && m.candidate);
  std::string out;
  llvm::raw_string_ostream os(out);
  dlc::FusionCheckSummary s =
      dlc::compareFunctions(*m.reference, *m.candidate, "k", os);
  EXPECT_TRUE(s.error.empty()) << s.error;
  EXPECT_EQ(s.mismatches, 0u) << out;
  EXPECT_NE(out.find("12 elements"), std::string::npos) << out;
  EXPECT_NE(out.find(": ok"), std::string::npos) << out;
}

TEST(FusionCheck, RejectsAWrongFusedKernel) {
  // x * y + y: right shape, wrong operand.
  Modules m(fused("    %p = arith.mulf %a, %b : f32\n"
                  "    %r = arith.addf %p, %b : f32\n"
                  "    linalg.yield %r : f32"));
  ASSERT_TRUE(m.reference && m.candidate);
  std::string out;
  llvm::raw_string_ostream os(out);
  dlc::FusionCheckSummary s =
      dlc::compareFunctions(*m.reference, *m.candidate, "k", os);
  EXPECT_TRUE(s.error.empty()) << s.error;
  EXPECT_EQ(s.mismatches, 1u) << out;
  EXPECT_NE(out.find("MISMATCH"), std::string::npos) << out;
}

TEST(FusionCheck, RejectsAnErrorOfOneUlpTimesAThousand) {
  // The tolerance is rounding-sized: a relative error of 1e-4 is caught.
  Modules m(fused("    %p = arith.mulf %a, %b : f32\n"
                  "    %r = arith.addf %p, %a : f32\n"
                  "    %c = arith.constant 1.0001 : f32\n"
                  "    %w = arith.mulf %r, %c : f32\n"
                  "    linalg.yield %w : f32"));
  ASSERT_TRUE(m.reference && m.candidate);
  std::string out;
  llvm::raw_string_ostream os(out);
  dlc::FusionCheckSummary s =
      dlc::compareFunctions(*m.reference, *m.candidate, "k", os);
  EXPECT_EQ(s.mismatches, 1u) << out;
}

} // namespace
