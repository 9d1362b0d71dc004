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

/// The check's summary and printed line for the reference against a fused
/// kernel with body `body`.
struct Checked {
  dlc::FusionCheckSummary summary;
  std::string out;
};

Checked check(const std::string &body) {
  mlir::MLIRContext ctx;
  mlir::DialectRegistry registry;
  dlc::registerDialects(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
  auto reference = mlir::parseSourceString<mlir::ModuleOp>(kUnfused, &ctx);
  auto candidate = mlir::parseSourceString<mlir::ModuleOp>(fused(body), &ctx);
  Checked c;
  if (!reference || !candidate) {
    c.summary.error = "the test's IR does not parse";
    return c;
  }
  llvm::raw_string_ostream os(c.out);
  c.summary = dlc::compareFunctions(*reference, *candidate, "k", os);
  return c;
}

TEST(FusionCheck, AcceptsACorrectFusedKernel) {
  Checked c = check("    %p = arith.mulf %a, %b : f32\n"
                    "    %r = arith.addf %p, %a : f32\n"
                    "    linalg.yield %r : f32");
  EXPECT_TRUE(c.summary.error.empty()) << c.summary.error;
  EXPECT_EQ(c.summary.mismatches, 0u) << c.out;
  EXPECT_NE(c.out.find("12 elements"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find(": ok"), std::string::npos) << c.out;
}

TEST(FusionCheck, RejectsAWrongFusedKernel) {
  // x * y + y: right shape, wrong operand.
  Checked c = check("    %p = arith.mulf %a, %b : f32\n"
                    "    %r = arith.addf %p, %b : f32\n"
                    "    linalg.yield %r : f32");
  EXPECT_TRUE(c.summary.error.empty()) << c.summary.error;
  EXPECT_EQ(c.summary.mismatches, 1u) << c.out;
  EXPECT_NE(c.out.find("MISMATCH"), std::string::npos) << c.out;
}

TEST(FusionCheck, RejectsARelativeErrorOfOneInTenThousand) {
  // The tolerance is rounding-sized (a few ulp per term read): an output
  // off by a relative 1e-4 is caught.
  Checked c = check("    %p = arith.mulf %a, %b : f32\n"
                    "    %r = arith.addf %p, %a : f32\n"
                    "    %k = arith.constant 1.0001 : f32\n"
                    "    %w = arith.mulf %r, %k : f32\n"
                    "    linalg.yield %w : f32");
  EXPECT_TRUE(c.summary.error.empty()) << c.summary.error;
  EXPECT_EQ(c.summary.mismatches, 1u) << c.out;
}

} // namespace
