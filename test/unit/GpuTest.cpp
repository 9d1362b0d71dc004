//===- GpuTest.cpp - the CUDA target against the CPU, on a machine with a GPU
//-===//
//
// Skipped, with the reason printed, where no CUDA driver or GPU is usable
// (CI). On a GPU: a convolutional model's forward pass, its gradients and
// three SGD-momentum steps agree with the CPU target, and the parameters and
// optimizer state kept on the device come back to the host when read.
// Tolerance: 1e-5 + 1e-4 |cpu| per element (f32 rounding of libdevice's
// exp/log and fused multiply-adds; see compiler/tools/dlc/CompareTargets.cpp).
// The tiled matmul with each --gpu-matmul against a naive loop: the tensor
// cores' fragment layout on the hardware (bounds in the test).
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"
#include "dlrt/Cuda.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

const char *kModel = R"(
  param k: f32[4, 1, 3, 3] = kaiming_uniform;
  param w: f32[10, 64] = kaiming_uniform;
  param b: f32[10] = zeros;
  fn forward(x: f32[N, 1, 8, 8]) -> f32[N, 10] {
    let h = max_pool2d(relu(conv2d(x, k, padding=1)), 2);
    return flatten(h) @ transpose(w) + b;
  }
  fn loss(x: f32[N, 1, 8, 8], y: i64[N]) -> f32 {
    return cross_entropy(forward(x), y);
  })";

void expectClose(const dl::Tensor &cpu, const dl::Tensor &gpu,
                 const std::string &what) {
  ASSERT_EQ(cpu.shape(), gpu.shape()) << what;
  for (int64_t i = 0; i < cpu.numElements(); ++i) {
    float a = cpu.data<float>()[i], b = gpu.data<float>()[i];
    ASSERT_LE(std::fabs(a - b), 1e-5 + 1e-4 * std::fabs(a))
        << what << " element " << i;
  }
}

dl::Module compile(dl::Target target) {
  dl::CompilerOptions o;
  o.target = target;
  o.gradients = true;
  o.trainFunction = "loss";
  o.optimizer.kind = dl::OptimizerConfig::Kind::SGD;
  o.optimizer.momentum = 0.9;
  dl::CompileResult r = dl::Compiler(o).compileString(kModel);
  EXPECT_TRUE(r.ok()) << r.errors();
  dl::Module m = std::move(*r.module);
  m.initParameters(7);
  return m;
}

TEST(Gpu, ForwardGradientsAndStepsMatchTheCpu) {
  if (dlrt::Status s = dlrt::cuda::init(); !s)
    GTEST_SKIP() << "no usable CUDA GPU: " << s.message();
  dl::Module cpu = compile(dl::Target::CPU), gpu = compile(dl::Target::CUDA);
  dl::Tensor x(dl::DType::F32, {6, 1, 8, 8}), y(dl::DType::I64, {6});
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.data<float>()[i] = std::sin(0.1f * float(i));
  for (int64_t i = 0; i < 6; ++i)
    y.data<int64_t>()[i] = i % 10;

  expectClose(*cpu.call("forward", {x}), *gpu.call("forward", {x}), "logits");
  auto gc = cpu.callAll("loss.grad", {x, y}),
       gg = gpu.callAll("loss.grad", {x, y});
  ASSERT_TRUE(gc && gg);
  for (size_t k = 0; k < gc->size(); ++k)
    expectClose((*gc)[k], (*gg)[k], "loss.grad result " + std::to_string(k));

  auto sc = cpu.trainStep(), sg = gpu.trainStep();
  ASSERT_TRUE(sc && sg);
  for (int s = 0; s < 3; ++s) {
    auto lc = sc->run({x, y}), lg = sg->run({x, y});
    ASSERT_TRUE(lc && lg) << (lc ? lg.message() : lc.message());
    EXPECT_NEAR(*lc, *lg, 1e-5 + 1e-4 * std::fabs(*lc));
  }
  for (const std::string &name : cpu.parameterNames())
    expectClose(*cpu.parameter(name), *gpu.parameter(name), name);
  for (size_t k = 0; k < sc->state().size(); ++k)
    expectClose(sc->state()[k], sg->state()[k], sc->stateNames()[k]);
}

// A [70, 100] x [100, 90] product (partial 64 x 64 tiles, seven 16-wide K
// steps) on the GPU with fp32, tf32 and 3xtf32 tiles against a loop in
// double. Per product: TF32 rounds each input (2^-10 + 2^-22 of |ab|),
// 3xTF32 2^-19 (test/unit/OpsTest.cpp derives both); the sums' rounding
// counted twice over (2 gamma): the tensor cores' adders need not round to
// nearest. A wrong fragment layout is off by whole products.
TEST(Gpu, TensorCoreTilesMatchNaiveLoops) {
  if (dlrt::Status s = dlrt::cuda::init(); !s)
    GTEST_SKIP() << "no usable CUDA GPU: " << s.message();
  const int64_t M = 70, K = 100, N = 90;
  dl::Tensor a(dl::DType::F32, {M, K}), b(dl::DType::F32, {K, N});
  for (int64_t i = 0; i < a.numElements(); ++i)
    a.data<float>()[i] = std::sin(0.37f * float(i));
  for (int64_t i = 0; i < b.numElements(); ++i)
    b.data<float>()[i] = std::cos(0.21f * float(i));
  const double u = 0x1p-24;
  for (dl::GPUMatmul matmul :
       {dl::GPUMatmul::FP32, dl::GPUMatmul::TF32, dl::GPUMatmul::TF32x3}) {
    SCOPED_TRACE(dl::gpuMatmulName(matmul));
    dl::CompilerOptions o;
    o.target = dl::Target::CUDA;
    o.gpuMatmul = matmul;
    dl::CompileResult r = dl::Compiler(o).compileString(
        "fn f(a: f32[M, 100], b: f32[100, 90]) -> f32[M, 90] { return a @ b; "
        "}");
    ASSERT_TRUE(r.ok()) << r.errors();
    auto c = r.module->call("f", {a, b});
    ASSERT_TRUE(c) << c.message();
    double perProduct = matmul == dl::GPUMatmul::TF32     ? 0x1p-10 + 0x1p-22
                        : matmul == dl::GPUMatmul::TF32x3 ? 0x1p-19
                                                          : 0;
    int64_t terms = matmul == dl::GPUMatmul::TF32x3 ? 3 * K : K;
    double sums = 2 * (1 + 0x1p-8) * terms * u / (1 - terms * u);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double want = 0, mag = 0;
        for (int64_t k = 0; k < K; ++k) {
          double p =
              double(a.data<float>()[i * K + k]) * b.data<float>()[k * N + j];
          want += p;
          mag += std::fabs(p);
        }
        ASSERT_LE(std::fabs(c->data<float>()[i * N + j] - want),
                  (perProduct + sums) * mag + 1e-30)
            << "element " << i << ", " << j;
      }
  }
}

} // namespace
