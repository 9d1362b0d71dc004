//===- AutodiffTest.cpp - compiled gradients against finite differences ---===//
//
// Every test compiles f64 programs with `gradients = true`, calls `<f>.grad`
// and compares each parameter's gradient with central differences
// (f(p + h) - f(p - h)) / 2h, h = 1e-6, in f64. The truncation error is
// h^2/6 |f'''| ~ 1e-12 and the rounding error ~ eps |f| / h ~ 2e-10 for the
// O(1) values used, so a tolerance of 1e-6 relative (1e-8 absolute floor)
// leaves three orders of margin while any wrong rule is off by O(1). Inputs
// are seeded and keep away from kinks (relu, abs, max) by more than h.
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

dl::Tensor seeded(dl::Shape shape, int seed, double lo = -1, double hi = 1) {
  dl::Tensor t(dl::DType::F64, shape);
  uint64_t s = 0x9e3779b97f4a7c15ULL * (seed + 7);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    t.data<double>()[i] = lo + (hi - lo) * double(s >> 11) * 0x1.0p-53;
  }
  return t;
}

double scalarOf(const dl::Tensor &t) {
  return t.dtype() == dl::DType::F64 ? t.data<double>()[0] : t.data<float>()[0];
}

/// Checks `<fn>.grad` against central differences for every parameter.
void checkGradients(const std::string &src, const std::string &fn,
                    const std::vector<dl::Tensor> &inputs, uint64_t seed = 1) {
  dl::CompilerOptions options;
  options.gradients = true;
  dl::Compiler compiler(options);
  dl::CompileResult r = compiler.compileString(src, "grad.dl");
  ASSERT_TRUE(r.ok()) << r.errors();
  dl::Module &m = *r.module;
  m.initParameters(seed);
  auto grads = m.callAll(fn + ".grad", inputs);
  ASSERT_TRUE(grads.ok()) << grads.message();
  auto value = m.call(fn, inputs);
  ASSERT_TRUE(value.ok()) << value.message();
  EXPECT_EQ(scalarOf((*grads)[0]), scalarOf(*value)) << "value differs";
  const double h = 1e-6;
  std::vector<std::string> names = m.parameterNames();
  ASSERT_EQ(grads->size(), names.size() + 1);
  for (size_t k = 0; k < names.size(); ++k) {
    SCOPED_TRACE(names[k]);
    dl::Tensor p = *m.parameter(names[k]);
    const dl::Tensor &g = (*grads)[k + 1];
    ASSERT_EQ(g.shape(), p.shape());
    for (int64_t i = 0; i < p.numElements(); ++i) {
      dl::Tensor q(p.dtype(), p.shape());
      std::copy(p.data<double>(), p.data<double>() + p.numElements(),
                q.data<double>());
      q.data<double>()[i] = p.data<double>()[i] + h;
      ASSERT_TRUE(m.setParameter(names[k], q).ok());
      double up = scalarOf(*m.call(fn, inputs));
      q.data<double>()[i] = p.data<double>()[i] - h;
      ASSERT_TRUE(m.setParameter(names[k], q).ok());
      double down = scalarOf(*m.call(fn, inputs));
      double fd = (up - down) / (2 * h);
      double got = g.data<double>()[i];
      EXPECT_NEAR(got, fd, 1e-6 * std::max(1.0, std::fabs(fd)) + 1e-8)
          << "element " << i;
    }
    ASSERT_TRUE(m.setParameter(names[k], p).ok());
  }
}

TEST(Autodiff, MlpWithCrossEntropy) {
  dl::Tensor x = seeded({5, 4}, 1);
  dl::Tensor y(dl::DType::I64, {5});
  for (int i = 0; i < 5; ++i)
    y.data<int64_t>()[i] = (i * 2) % 3;
  checkGradients(R"(
    param w1: f64[4, 6] = normal(0, 0.7);
    param b1: f64[6] = normal(0, 0.3);
    param w2: f64[6, 3] = normal(0, 0.7);
    param b2: f64[3] = normal(0, 0.3);
    fn loss(x: f64[B, 4], y: i64[B]) -> f64 {
      return cross_entropy(relu(x @ w1 + b1) @ w2 + b2, y);
    })",
                 "loss", {x, y});
}

// Labels outside [0, C) add nothing to the loss (and count in the mean):
// their rows' gradient is zero, which the cross-entropy rule's row mask
// must reproduce (the softmax alone would give them p / N).
TEST(Autodiff, CrossEntropyRowsWithLabelsOutsideTheClasses) {
  dl::Tensor x = seeded({6, 4}, 11);
  dl::Tensor y(dl::DType::I64, {6});
  const int64_t labels[] = {0, -1, 2, 3, 1, 7};
  std::copy(std::begin(labels), std::end(labels), y.data<int64_t>());
  checkGradients(R"(
    param w: f64[4, 3] = normal(0, 0.7);
    param b: f64[3] = normal(0, 0.3);
    fn loss(x: f64[B, 4], y: i64[B]) -> f64 {
      return cross_entropy(x @ w + b, y);
    })",
                 "loss", {x, y});
}

// Adjoints that vary along the softmax axis (a uniform one, such as a
// plain sum's, hides a wrong sum(g * y) term: it makes that term constant).
TEST(Autodiff, SoftmaxRulesUnderVaryingAdjoints) {
  checkGradients(R"(
    param w: f64[3, 5] = normal(0, 1);
    fn f(x: f64[3, 5]) -> f64 {
      let a = sum(log_softmax(w * x, axis=0) * x);
      let b = sum(softmax(w, axis=1) * x * x);
      return a + b + sum(exp(log_softmax(w, axis=1)) * x);
    })",
                 "f", {seeded({3, 5}, 12)});
}

TEST(Autodiff, BroadcastingArithmetic) {
  checkGradients(R"(
    param a: f64[3, 1] = uniform(0.5, 1.5);
    param b: f64[4] = uniform(0.5, 1.5);
    param c: f64 = uniform(0.5, 1.5);
    fn f(x: f64[3, 4]) -> f64 {
      let p = (x + a) * b - a / (b + 2.0) + -c * x;
      return sum(p * p) / c;
    })",
                 "f", {seeded({3, 4}, 2)});
}

TEST(Autodiff, UnaryFunctions) {
  checkGradients(R"(
    param p: f64[2, 3] = uniform(0.3, 2.0);
    param q: f64[2, 3] = uniform(-2.0, 2.0);
    fn f(x: f64[2, 3]) -> f64 {
      let a = exp(q) + log(p) + sqrt(p) + rsqrt(p) + tanh(q) + sigmoid(q);
      let b = abs(q) * relu(q) + pow(p, q) + pow(p, 2.0);
      return mean(a * b * x);
    })",
                 "f", {seeded({2, 3}, 3)});
}

TEST(Autodiff, ReductionsAndSoftmax) {
  checkGradients(R"(
    param w: f64[3, 5] = normal(0, 1);
    fn f(x: f64[3, 5]) -> f64 {
      let s = softmax(w * x, axis=1);
      let l = log_softmax(w, axis=0);
      let m = max(w, axis=1, keepdims=true) + min(w * x, axis=0);
      return sum(s * x) + mean(l, axis=[0, 1]) + sum(m) + mean(sum(w, axis=0));
    })",
                 "f", {seeded({3, 5}, 4)});
}

TEST(Autodiff, ShapesSelectionAndBatchedProducts) {
  checkGradients(R"(
    param w: f64[2, 3, 4] = normal(0, 1);
    param v: f64[4, 2] = normal(0, 1);
    fn f(x: f64[2, 3, 4]) -> f64 {
      let t = permute(w, [2, 0, 1]);
      let r = reshape(w, [6, 4]);
      let c = concat([slice(w, 2, 1, 3), w], axis=2);
      let s = where(x > 0.0, w, w * w);
      let b = (w @ v) @ transpose(v);
      return sum(t * t) + sum(r @ v) + sum(c * c) + sum(s) + mean(b * x);
    })",
                 "f", {seeded({2, 3, 4}, 5)});
}

TEST(Autodiff, LayerNormAndAttention) {
  checkGradients(R"(
    param g: f64[8] = uniform(0.5, 1.5);
    param b: f64[8] = normal(0, 0.1);
    param inw: f64[24, 8] = normal(0, 0.4);
    param inb: f64[24] = normal(0, 0.1);
    param outw: f64[8, 8] = normal(0, 0.4);
    param outb: f64[8] = normal(0, 0.1);
    fn f(x: f64[2, 4, 8]) -> f64 {
      let h = layer_norm(x, g, b);
      let a = multi_head_attention(h, inw, inb, outw, outb, heads=2, causal=true);
      return mean(a * a);
    })",
                 "f", {seeded({2, 4, 8}, 6)});
}

TEST(Autodiff, ConvolutionAndPooling) {
  // Stride 2 with padding and an odd size, dilation, groups, both poolings.
  checkGradients(R"(
    param w1: f64[4, 2, 3, 3] = normal(0, 0.5);
    param b1: f64[4] = normal(0, 0.2);
    param w2: f64[4, 2, 2, 2] = normal(0, 0.5);
    fn f(x: f64[N, 2, 7, 7]) -> f64 {
      let a = conv2d(x, w1, b1, stride=2, padding=1);              // [N, 4, 4, 4]
      let m = max_pool2d(a, 2);                                     // [N, 4, 2, 2]
      let c = conv2d(a, w2, groups=2, dilation=2, padding=1);       // [N, 4, 4, 4]
      let v = avg_pool2d(c, 3, stride=1, padding=1);                // [N, 4, 4, 4]
      return sum(m * m) + mean(v * v);
    })",
                 "f", {seeded({2, 2, 7, 7}, 8)});
}

TEST(Autodiff, MaxPoolGradientGoesToTheFirstMaximumOrNaN) {
  // Finite differences cannot see ties or NaN: PyTorch's rule, checked
  // directly. In `f.grad` the forward pooling is the argmax kernel's value
  // (dl-plan-fusion's sibling fusion), so the value is checked too.
  dl::CompilerOptions options;
  options.gradients = true;
  for (bool fusion : {true, false}) {
    SCOPED_TRACE(fusion ? "fused" : "unfused");
    options.fusion = fusion;
    dl::Compiler compiler(options);
    auto r = compiler.compileString(R"(
      param p: f32[1, 1, 4, 4] = zeros;
      fn f(y: f32[1, 1, 2, 2]) -> f32 { return sum(max_pool2d(p, 2) * y); }
    )",
                                    "pool.dl");
    ASSERT_TRUE(r.ok()) << r.errors();
    dl::Module &m = *r.module;
    const float nan = std::nanf("");
    // Windows (row-major within each): a tie of 5s (the first wins); -1 then
    // NaN then 7 (the NaN wins); NaN, NaN (the first); all -inf but one
    // -2 at the last position.
    dl::Tensor p = dl::Tensor::fromF32(
        {1, 1, 4, 4}, {5, 1, -1, nan, //
                       2, 5, 7, 0,    //
                       nan, 3, -INFINITY, -INFINITY, nan, 0, -INFINITY, -2});
    ASSERT_TRUE(m.setParameter("p", p).ok());
    dl::Tensor y = dl::Tensor::fromF32({1, 1, 2, 2}, {10, 20, 30, 40});
    auto g = m.callAll("f.grad", {y});
    ASSERT_TRUE(g.ok()) << g.message();
    EXPECT_TRUE(std::isnan((*g)[0].data<float>()[0])) << "NaN windows";
    std::vector<float> want = {10, 0, 0, 20, //
                               0,  0, 0, 0,  //
                               30, 0, 0, 0,  //
                               0,  0, 0, 40};
    const dl::Tensor &dp = (*g)[1];
    for (int i = 0; i < 16; ++i)
      EXPECT_EQ(dp.data<float>()[i], want[i]) << "element " << i;
    // Without NaN the value is the sum of the first maxima times y.
    dl::Tensor q = dl::Tensor::fromF32(
        {1, 1, 4, 4}, {5, 1, -1, 6, 2, 5, 7, 0, -3, 3, -1, -1, 4, 0, -1, -2});
    ASSERT_TRUE(m.setParameter("p", q).ok());
    auto h = m.callAll("f.grad", {y});
    ASSERT_TRUE(h.ok()) << h.message();
    EXPECT_EQ((*h)[0].data<float>()[0], 5 * 10 + 7 * 20 + 4 * 30 + -1 * 40);
  }
}

TEST(Autodiff, MnistCnnLayersEndToEnd) {
  dl::Tensor x = seeded({3, 1, 8, 8}, 9);
  dl::Tensor y(dl::DType::I64, {3});
  for (int i = 0; i < 3; ++i)
    y.data<int64_t>()[i] = i;
  checkGradients(R"(
    param cw: f64[3, 1, 3, 3] = normal(0, 0.5);
    param cb: f64[3] = normal(0, 0.1);
    param fw: f64[4, 48] = normal(0, 0.3);
    param fb: f64[4] = normal(0, 0.1);
    fn loss(x: f64[B, 1, 8, 8], y: i64[B]) -> f64 {
      let h = max_pool2d(relu(conv2d(x, cw, cb, padding=1)), 2);
      return cross_entropy(flatten(h) @ transpose(fw) + fb, y);
    })",
                 "loss", {x, y});
}

TEST(Autodiff, ConstantAndUnusedParametersGetZeroGradients) {
  dl::CompilerOptions options;
  options.gradients = true;
  dl::Compiler compiler(options);
  auto r = compiler.compileString(R"(
    param used: f64[2] = ones;
    param unused: f64[3] = ones;
    param counts: i64[2] = ones;
    fn f(x: f64[2]) -> f64 { return sum(used * x); })",
                                  "grad.dl");
  ASSERT_TRUE(r.ok()) << r.errors();
  dl::Tensor x = seeded({2}, 7);
  auto grads = r.module->callAll("f.grad", {x});
  ASSERT_TRUE(grads.ok()) << grads.message();
  ASSERT_EQ(grads->size(), 3u) << "value, used, unused (no integer params)";
  EXPECT_EQ((*grads)[1].data<double>()[1], x.data<double>()[1]);
  EXPECT_EQ((*grads)[2].data<double>()[2], 0.0);
}

TEST(Autodiff, GradInTheLanguage) {
  // grad(f(args), wrt=name) with respect to a parameter and to an input,
  // inside a model (own parameter by its short name) and compared with the
  // closed forms: f = sum(w * x * x) -> df/dw = x^2, df/dx = 2 w x.
  dl::Compiler compiler;
  auto r = compiler.compileString(R"(
    model Net {
      param w: f64[3] = uniform(0.5, 1.5);
      fn f(x: f64[3]) -> f64 { return sum(w * x * x); }
      fn dw(x: f64[3]) -> f64[3] { return grad(f(x), wrt=w); }
      fn dx(x: f64[3]) -> f64[3] { return grad(f(x), wrt=x); }
      fn both(x: f64[3]) -> f64[3] { return grad(f(x), wrt=w) + grad(f(x), wrt=x); }
    })",
                                  "net.dl");
  ASSERT_TRUE(r.ok()) << r.errors();
  dl::Tensor x = seeded({3}, 11);
  const double *w = r.module->parameter("w")->data<double>();
  auto dw = r.module->call("dw", {x});
  auto dx = r.module->call("dx", {x});
  auto both = r.module->call("both", {x});
  ASSERT_TRUE(dw.ok() && dx.ok() && both.ok());
  for (int i = 0; i < 3; ++i) {
    double xi = x.data<double>()[i];
    EXPECT_DOUBLE_EQ(dw->data<double>()[i], xi * xi);
    EXPECT_DOUBLE_EQ(dx->data<double>()[i], 2 * w[i] * xi);
    EXPECT_DOUBLE_EQ(both->data<double>()[i], xi * xi + 2 * w[i] * xi);
  }
}

TEST(Autodiff, OnlyScalarFunctionsGetGradients) {
  dl::CompilerOptions options;
  options.gradients = true;
  dl::Compiler compiler(options);
  auto r = compiler.compileString(R"(param w: f32[4] = ones;
fn features(x: f32[4]) -> f32[4] { return gelu(w * x); }
fn score(x: f32[4]) -> f32 { return sum(features(x)); })",
                                  "net.dl");
  ASSERT_TRUE(r.ok()) << r.errors();
  EXPECT_EQ(r.module->function("features.grad"), nullptr);
  ASSERT_NE(r.module->function("score.grad"), nullptr);
  EXPECT_EQ(r.module->function("score.grad")->results.size(), 2u);
}

TEST(Autodiff, GeluAndErf) {
  checkGradients(R"(
    param w: f64[5] = normal(0, 2);
    fn f(x: f64[5]) -> f64 { return sum(gelu(w * x) * x); })",
                 "f", {seeded({5}, 10)});
}

} // namespace
