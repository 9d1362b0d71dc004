//===- APITest.cpp - the C++ JIT API --------------------------------------===//
//
// Compiles DL strings and checks results against naive loops written here.
// Elementwise results must match exactly (one IEEE operation per element in
// both); sums use the dot-product error bound documented in e2e/MLPTest.cpp.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"
#include "dl/Compiler.h"
#include "dlrt/Profile.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace {

dl::Tensor make(dl::Shape shape, std::initializer_list<float> values) {
  return dl::Tensor::fromF32(std::move(shape), std::vector<float>(values));
}

dl::Module compile(const std::string &source) {
  dl::Compiler compiler;
  dl::CompileResult r = compiler.compileString(source, "test.dl");
  EXPECT_TRUE(r.ok()) << r.errors();
  return std::move(*r.module);
}

std::vector<float> values(const dl::Tensor &t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numElements());
}

TEST(API, BroadcastingElementwiseOpsMatchNaiveLoops) {
  dl::Module m = compile(R"(
    fn f(a: f32[3, 1], b: f32[1, 4], c: f32[4], s: f32) -> f32[3, 4] {
      return (a + b) * c - a / s + -b;
    })");
  dl::Tensor a = make({3, 1}, {1, -2, 3});
  dl::Tensor b = make({1, 4}, {0.5, 1.5, -2.5, 4});
  dl::Tensor c = make({4}, {2, -1, 0.25, 3});
  dl::Tensor s = make({}, {8});
  auto r = m.call("f", {a, b, c, s});
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->shape(), (dl::Shape{3, 4}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) {
      float ai = a.data<float>()[i], bj = b.data<float>()[j];
      float want = (ai + bj) * c.data<float>()[j] - ai / 8.0f + -bj;
      EXPECT_EQ(r->data<float>()[i * 4 + j], want) << i << "," << j;
    }
}

TEST(API, MatmulReluAndParametersMatchNaiveLoops) {
  dl::Module m = compile(R"(
    param w: f32[5, 3] = normal(0, 1);
    param b: f32[3] = uniform(-1, 1);
    fn layer(x: f32[N, 5]) -> f32[N, 3] {
      return relu(x @ w + b);
    })");
  m.initParameters(11);
  const dl::Tensor &w = *m.parameter("w");
  const dl::Tensor &b = *m.parameter("b");
  for (int64_t n : {1, 2, 7}) {
    dl::Tensor x(dl::DType::F32, {n, 5});
    for (int64_t i = 0; i < x.numElements(); ++i)
      x.data<float>()[i] = std::sin(0.7 * i) * 2;
    auto r = m.call("layer", {x});
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_EQ(r->shape(), (dl::Shape{n, 3}));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < 3; ++j) {
        double acc = b.data<float>()[j], mag = std::fabs(acc);
        for (int64_t k = 0; k < 5; ++k) {
          double p =
              double(x.data<float>()[i * 5 + k]) * w.data<float>()[k * 3 + j];
          acc += p;
          mag += std::fabs(p);
        }
        double want = acc > 0 ? acc : 0;
        // gamma_6 * sum|terms|, with u = 2^-24 (see e2e/MLPTest.cpp).
        double bound =
            6 * std::ldexp(1.0, -24) / (1 - 6 * std::ldexp(1.0, -24)) * mag;
        EXPECT_NEAR(r->data<float>()[i * 3 + j], want, bound + 1e-30);
      }
  }
}

TEST(API, DoublePrecisionFunctions) {
  dl::Module m = compile(R"(
    fn f(x: f64[2]) -> f64[2] { return x * 3.0 - 1; })");
  dl::Tensor x(dl::DType::F64, {2});
  x.data<double>()[0] = 0.1;
  x.data<double>()[1] = -7;
  auto r = m.call("f", {x});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->data<double>()[0], 0.1 * 3.0 - 1);
  EXPECT_EQ(r->data<double>()[1], -22.0);
}

TEST(API, IntegerMatmulAndWrappingArithmeticAreExact) {
  dl::Module m = compile(R"(
    param bias: i32[3] = ones;
    fn f(a: i32[2, 4], b: i32[4, 3]) -> i32[2, 3] {
      return relu(a @ b * 3 - bias);
    })");
  dl::Tensor a(dl::DType::I32, {2, 4}), b(dl::DType::I32, {4, 3});
  for (int i = 0; i < 8; ++i)
    a.data<int32_t>()[i] = (i * 37) % 11 - 5;
  for (int i = 0; i < 12; ++i)
    b.data<int32_t>()[i] = i == 5 ? 1 << 30 : (i * 13) % 7 - 3;
  auto r = m.call("f", {a, b});
  ASSERT_TRUE(r.ok()) << r.message();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      uint32_t acc = 0; // unsigned: wrap-around is defined, as in the IR
      for (int k = 0; k < 4; ++k)
        acc += uint32_t(a.data<int32_t>()[i * 4 + k]) *
               uint32_t(b.data<int32_t>()[k * 3 + j]);
      int32_t v = int32_t(acc * 3u - 1u);
      EXPECT_EQ(r->data<int32_t>()[i * 3 + j], v > 0 ? v : 0) << i << "," << j;
    }
}

TEST(API, ReluPropagatesNaNAndZeroesNegatives) {
  dl::Module m = compile("fn f(x: f32[3]) -> f32[3] { return relu(x); }");
  auto r = m.call("f", {make({3}, {NAN, -0.0f, -3})});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::isnan(r->data<float>()[0]));
  EXPECT_EQ(r->data<float>()[2], 0.0f);
}

TEST(API, ReturningAnArgumentCopiesIt) {
  dl::Module m = compile(R"(
    fn ident(x: f32[2]) -> f32[2] { return x; }
    fn konst(x: f32[2]) -> f32 { return 1.5; })");
  dl::Tensor x = make({2}, {4, 5});
  for (int i = 0; i < 3; ++i) { // repeated calls: no double free, no leak crash
    auto r = m.call("ident", {x});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(values(*r), (std::vector<float>{4, 5}));
    EXPECT_NE(r->rawData(), x.rawData());
    auto k = m.call("konst", {x});
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->data<float>()[0], 1.5f);
  }
}

TEST(API, CompileErrorsAreValuesWithLocations) {
  dl::Compiler compiler;
  dl::CompileResult r = compiler.compileString(
      "fn f(x: f32[2]) -> f32[2] {\n  return x @ y;\n}\n", "bad.dl");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  const dl::Diagnostic &d = r.diagnostics[0];
  EXPECT_EQ(d.file, "bad.dl");
  EXPECT_EQ(d.line, 2u);
  EXPECT_EQ(d.column, 14u);
  EXPECT_EQ(d.message, "unknown name 'y'");
  EXPECT_EQ(d.rendered, "bad.dl:2:14: error: unknown name 'y'\n  return x @ "
                        "y;\n             ^\n");
}

TEST(API, MissingFileIsADiagnostic) {
  dl::Compiler compiler;
  dl::CompileResult r = compiler.compileFile("/nonexistent/model.dl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().find("cannot open '/nonexistent/model.dl'"),
            std::string::npos);
}

TEST(API, WrongInputsAreErrorsNamingTheArgument) {
  dl::Module m = compile(R"(
    fn f(x: f32[B, 2], y: f32[B, 2]) -> f32[B, 2] { return x + y; })");
  auto r = m.call("f", {make({1, 2}, {1, 2}), make({2, 2}, {1, 2, 3, 4})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "'f': argument 'y' expects f32[B, 2], got f32[2, 2]: "
                         "'B' is already bound to 1 but dimension 0 is 2");
  r = m.call("f", {make({1, 2}, {1, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "'f' expects 2 input(s), got 1");
  r = m.call("g", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "no function named 'g'");
  r = m.call("f", {make({1, 2}, {1, 2}), dl::Tensor()});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("empty"), std::string::npos);
}

TEST(API, ParametersSaveLoadAndValidate) {
  dlctest::TempDir dir;
  const char *src = R"(
    param w: f32[2, 2] = uniform(-1, 1);
    fn f(x: f32[1, 2]) -> f32[1, 2] { return x @ w; })";
  dl::Module a = compile(src), b = compile(src);
  a.initParameters(1);
  b.initParameters(2);
  ASSERT_TRUE(a.saveParameters(dir.file("a.safetensors")).ok());
  ASSERT_TRUE(b.loadParameters(dir.file("a.safetensors")).ok());
  dl::Tensor x = make({1, 2}, {1, 10});
  EXPECT_EQ(values(*a.call("f", {x})), values(*b.call("f", {x})));

  EXPECT_FALSE(b.setParameter("w", make({2}, {1, 2})).ok());
  EXPECT_FALSE(b.setParameter("nope", make({2, 2}, {1, 2, 3, 4})).ok());
  ASSERT_TRUE(b.setParameter("w", make({2, 2}, {1, 0, 0, 1})).ok());
  EXPECT_EQ(values(*b.call("f", {x})), (std::vector<float>{1, 10}));
  EXPECT_EQ(a.parameterNames(), (std::vector<std::string>{"w"}));
}

TEST(API, SameSeedSameWeights) {
  const char *src = "param w: f32[3, 3] = normal(0, 0.1);\n"
                    "fn f(x: f32[3]) -> f32[3] { return x; }";
  dl::Module a = compile(src), b = compile(src);
  a.initParameters(5);
  b.initParameters(5);
  EXPECT_EQ(values(*a.parameter("w")), values(*b.parameter("w")));
  b.initParameters(6);
  EXPECT_NE(values(*a.parameter("w")), values(*b.parameter("w")));
}

TEST(API, DescribesFunctionSignatures) {
  dl::Module m = compile(R"(
    fn f(x: f32[B, 3]) -> f32[B, 3] { return x; })");
  const dl::FunctionInfo *f = m.function("f");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->arguments.size(), 1u);
  EXPECT_EQ(f->arguments[0].typeString, "f32[B, 3]");
  EXPECT_EQ(f->arguments[0].dims, (std::vector<int64_t>{-1, 3}));
  EXPECT_EQ(f->arguments[0].symbols[0], "B");
  EXPECT_EQ(f->result.typeString, "f32[B, 3]");
}

// A linear classifier and its loss (line 4: the forward pass).
const char *kClassifier = R"(
    param w: f32[4, 3] = normal(0, 1);
    param b: f32[3] = uniform(-1, 1);
    fn forward(x: f32[N, 4]) -> f32[N, 3] { return x @ w + b; }
    fn loss(x: f32[N, 4], labels: i64[N]) -> f32 {
      return cross_entropy(forward(x), labels);
    })";

/// Calls of the kernels of the product on line 4 of kClassifier (`x @ w`,
/// at the position of its `@`) since the last reset. Not every kernel with
/// line 4 among its positions: the bias add is cheap enough to be
/// recomputed inside each kernel of cross-entropy and argmax that reads the
/// logits (dl-plan-fusion), which needs no second product.
uint64_t forwardKernelCalls() {
  std::string source = kClassifier;
  size_t line4 = 0;
  for (int i = 1; i < 4; ++i)
    line4 = source.find('\n', line4) + 1;
  std::string product =
      "@4:" + std::to_string(source.find("@ w", line4) - line4 + 1) + " ";
  uint64_t calls = 0;
  for (const dlrt::profile::KernelTime &k : dlrt::profile::kernels())
    if ((k.name + " ").find(product) != std::string::npos)
      calls += k.calls;
  return calls;
}

TEST(API, EvaluateIsTheLossAndTheAccuracyOfOneForwardPass) {
  dl::CompilerOptions options;
  options.evaluationOf = "loss";
  options.profile = true;
  dl::CompileResult r =
      dl::Compiler(options).compileString(kClassifier, "test.dl");
  ASSERT_TRUE(r.ok()) << r.errors();
  dl::Module &m = *r.module;
  m.initParameters(5);
  const dl::FunctionInfo *info = m.function("loss.evaluate");
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->results.size(), 2u);
  EXPECT_EQ(info->results[1].name, "accuracy");
  const int n = 9;
  dl::Tensor x = dl::Tensor::fromF32({n, 4}, std::vector<float>(n * 4));
  for (int i = 0; i < n * 4; ++i)
    x.data<float>()[i] = std::sin(0.7f * float(i)) * 2.0f;
  auto logits = m.call("forward", {x});
  ASSERT_TRUE(logits.ok()) << logits.message();
  // Labels: the argmax for rows 0, 3, 6 (hits), the next class otherwise.
  dl::Tensor labels(dl::DType::I64, {n});
  int hits = 0;
  for (int i = 0; i < n; ++i) {
    const float *row = logits->data<float>() + i * 3;
    int best = 0;
    for (int j = 1; j < 3; ++j)
      if (row[j] > row[best])
        best = j;
    labels.data<int64_t>()[i] = i % 3 == 0 ? best : (best + 1) % 3;
    hits += i % 3 == 0;
  }
  auto loss = m.call("loss", {x, labels});
  ASSERT_TRUE(loss.ok()) << loss.message();
  dlrt::profile::reset();
  auto both = m.callAll("loss.evaluate", {x, labels});
  ASSERT_TRUE(both.ok()) << both.message();
  // As many calls of the product's kernels as in a call of `forward`: the
  // loss's and the accuracy's forward passes became one.
  uint64_t evaluateCalls = forwardKernelCalls();
  dlrt::profile::reset();
  ASSERT_TRUE(m.call("forward", {x}).ok());
  EXPECT_EQ(evaluateCalls, forwardKernelCalls());
  EXPECT_GT(evaluateCalls, 0u);
  ASSERT_EQ(both->size(), 2u);
  // The same kernels on the same inputs: the same bits.
  EXPECT_EQ((*both)[0].data<float>()[0], loss->data<float>()[0]);
  EXPECT_EQ((*both)[1].data<float>()[0], float(hits) / float(n));
}

TEST(API, RequestedOnlyCompilesJustTheRequestedFunctions) {
  dl::CompilerOptions options;
  options.evaluationOf = "loss";
  options.trainFunction = "loss";
  options.requestedOnly = true;
  dl::CompileResult r =
      dl::Compiler(options).compileString(kClassifier, "test.dl");
  ASSERT_TRUE(r.ok()) << r.errors();
  EXPECT_EQ(r.module->function("forward"), nullptr);
  EXPECT_EQ(r.module->function("loss"), nullptr);
  EXPECT_NE(r.module->function("loss.evaluate"), nullptr);
  EXPECT_NE(r.module->function("loss.step"), nullptr);
  EXPECT_FALSE(r.module->call("forward", {}).ok());
}

TEST(API, EvaluateNeedsALossOverTheForwardArguments) {
  dl::CompilerOptions options;
  options.evaluationOf = "loss";
  dl::CompileResult r = dl::Compiler(options).compileString(R"(
    param w: f32[4, 3] = normal(0, 1);
    fn forward(x: f32[N, 4]) -> f32[N, 3] { return x @ w; }
    fn loss(x: f32[N, 4], labels: f32[N, 3]) -> f32 {
      return mean((forward(x) - labels) * (forward(x) - labels));
    })",
                                                            "test.dl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().find("cannot evaluate 'loss': it must take the "
                            "arguments of 'forward', then the labels"),
            std::string::npos)
      << r.errors();
  options.evaluationLogits = "missing";
  r = dl::Compiler(options).compileString(kClassifier, "test.dl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().find("cannot measure the accuracy of 'missing'"),
            std::string::npos)
      << r.errors();
}

TEST(API, CompileResultTimesEachPhase) {
  auto start = std::chrono::steady_clock::now();
  dl::CompileResult r = dl::Compiler().compileString(kClassifier, "test.dl");
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(r.ok()) << r.errors();
  std::vector<std::string> names;
  double sum = 0;
  for (const auto &[name, seconds] : r.phases) {
    names.push_back(name);
    EXPECT_GE(seconds, 0.0) << name;
    sum += seconds;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "front end", "dl to linalg", "linalg to the LLVM dialect",
                "translation to LLVM IR", "LLVM IR pipeline", "code generation",
                "linking", "symbol lookups, parameters"}));
  EXPECT_LE(sum, wall) << "the phases lie within the call";
  EXPECT_TRUE(dl::Compiler().compileString("fn f(", "bad.dl").phases.empty());
}

} // namespace
