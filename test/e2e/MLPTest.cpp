//===- MLPTest.cpp - examples/mlp.dl against a naive C++ reference --------===//
//
// The reference evaluates relu(x W1^T + b1) W2^T + b2 (PyTorch's Linear,
// weights stored [out, in]) in double precision
// with plain loops. The tolerance is not a guess: for a dot product of n
// terms computed in float in any order (tiling, vectorisation and FMA
// included), |fl(x.y) - x.y| <= gamma_n * sum_i |x_i y_i| with
// gamma_n = n u / (1 - n u), u = 2^-24 (Higham, Accuracy and Stability of
// Numerical Algorithms, Thm 3.1 / eq. 3.5). ReLU is 1-Lipschitz, so the
// hidden layer's error e1 propagates into the output as sum_j e1_j |w2_jk|.
// We compute that bound per output element and require the compiled result
// to lie within it.
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

double gamma(int n) {
  double u = std::ldexp(1.0, -24);
  return n * u / (1 - n * u);
}

class MLP : public ::testing::TestWithParam<int64_t> {};

TEST_P(MLP, ForwardMatchesNaiveReferenceWithinTheFloatErrorBound) {
  dl::Compiler compiler;
  dl::CompileResult compiled =
      compiler.compileFile(std::string(DLC_EXAMPLES_DIR) + "/mlp.dl");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  dl::Module &net = *compiled.module;
  net.initParameters(3);

  const int64_t B = GetParam(), I = 784, H = 128, O = 10;
  dl::Tensor x(dl::DType::F32, {B, I});
  for (int64_t i = 0; i < x.numElements(); ++i) // deterministic "pixels"
    x.data<float>()[i] = float((i * 7919) % 256) / 255.0f;
  auto out = net.call("forward", {x});
  ASSERT_TRUE(out.ok()) << out.message();
  ASSERT_EQ(out->shape(), (dl::Shape{B, O}));

  ASSERT_EQ(net.parameter("fc1.weight")->shape(), (dl::Shape{H, I}));
  ASSERT_EQ(net.parameter("fc2.weight")->shape(), (dl::Shape{O, H}));
  const float *w1 = net.parameter("fc1.weight")->data<float>();
  const float *b1 = net.parameter("fc1.bias")->data<float>();
  const float *w2 = net.parameter("fc2.weight")->data<float>();
  const float *b2 = net.parameter("fc2.bias")->data<float>();
  const float *xs = x.data<float>();
  double worst = 0;
  for (int64_t n = 0; n < B; ++n) {
    std::vector<double> h(H), hErr(H), hAbs(H);
    for (int64_t j = 0; j < H; ++j) {
      double acc = b1[j], mag = std::fabs(b1[j]);
      for (int64_t i = 0; i < I; ++i) {
        double p = double(xs[n * I + i]) * w1[j * I + i];
        acc += p;
        mag += std::fabs(p);
      }
      h[j] = acc > 0 ? acc : 0;
      hErr[j] = gamma(I + 1) * mag;
      hAbs[j] = h[j] + hErr[j]; // bounds |computed h_j|
    }
    for (int64_t k = 0; k < O; ++k) {
      double acc = b2[k], mag = std::fabs(b2[k]), carried = 0;
      for (int64_t j = 0; j < H; ++j) {
        acc += h[j] * w2[k * H + j];
        mag += hAbs[j] * std::fabs(w2[k * H + j]);
        carried += hErr[j] * std::fabs(w2[k * H + j]);
      }
      double bound = gamma(H + 1) * mag + carried;
      double got = out->data<float>()[n * O + k];
      EXPECT_NEAR(got, acc, bound) << "row " << n << " class " << k;
      worst = std::max(worst, std::fabs(got - acc) / bound);
    }
  }
  // The bound is worst-case; typical errors are far smaller. Record it.
  RecordProperty("worst_error_over_bound", std::to_string(worst));
}

INSTANTIATE_TEST_SUITE_P(Batches, MLP, ::testing::Values(1, 5, 64));

TEST(MLPExample, SymbolicBatchMustBeConsistent) {
  dl::Compiler compiler;
  dl::CompileResult compiled =
      compiler.compileFile(std::string(DLC_EXAMPLES_DIR) + "/mlp.dl");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  auto r =
      compiled.module->call("forward", {dl::Tensor(dl::DType::F32, {2, 783})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "'forward': argument 'x' expects f32[B, 784], got "
                         "f32[2, 783]: dimension 1 is 783, not 784");
}

} // namespace
