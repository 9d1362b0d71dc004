//===- TrainStepTest.cpp - compiled optimizer steps vs torch.optim rules --===//
//
// The reference applies torch.optim's update rules (SGD with momentum,
// Nesterov and weight decay; Adam; AdamW), written here from PyTorch's
// documentation, to the gradient that `<loss>.grad` computes (itself checked
// against finite differences in AutodiffTest). Everything is f64, so the
// compiled step must agree to 1e-12 relative: both sides perform the same
// operations and differ only in order (fused multiply-adds, reassociation).
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace {

const char *kModel = R"(
  param w: f64[4, 3] = normal(0, 1);
  param b: f64[3] = normal(0, 0.5);
  fn loss(x: f64[N, 4], y: i64[N]) -> f64 {
    return cross_entropy(x @ w + b, y);
  })";

dl::Tensor inputs(int seed) {
  dl::Tensor x(dl::DType::F64, {5, 4});
  for (int i = 0; i < 20; ++i)
    x.data<double>()[i] = std::sin(0.37 * i * (seed + 1));
  return x;
}

dl::Tensor labels() {
  dl::Tensor y(dl::DType::I64, {5});
  for (int i = 0; i < 5; ++i)
    y.data<int64_t>()[i] = i % 3;
  return y;
}

using Kind = dl::OptimizerConfig::Kind;

void checkAgainstReference(dl::OptimizerConfig config, int steps,
                           const char *model = kModel, unsigned threads = 1,
                           dl::Target target = dl::Target::CPU) {
  dl::CompilerOptions options;
  options.threads = threads;
  options.target = target;
  options.gradients = true;
  options.trainFunction = "loss";
  options.optimizer = config;
  dl::Compiler compiler(options);
  auto compiled = compiler.compileString(model, "model.dl");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  dl::Module &m = *compiled.module;
  m.initParameters(3);
  auto step = m.trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  std::vector<std::string> names = m.parameterNames();
  // Reference state.
  std::vector<std::vector<double>> p, buf, m1, m2;
  for (const std::string &n : names) {
    const dl::Tensor &t = *m.parameter(n);
    p.emplace_back(t.data<double>(), t.data<double>() + t.numElements());
    buf.emplace_back(t.numElements(), 0.0);
    m1.emplace_back(t.numElements(), 0.0);
    m2.emplace_back(t.numElements(), 0.0);
  }
  for (int s = 1; s <= steps; ++s) {
    dl::Tensor x = inputs(s);
    auto grads = m.callAll("loss.grad", {x, labels()});
    ASSERT_TRUE(grads.ok()) << grads.message();
    auto loss = step->run({x, labels()});
    ASSERT_TRUE(loss.ok()) << loss.message();
    EXPECT_DOUBLE_EQ(*loss, (*grads)[0].data<double>()[0]);
    for (size_t k = 0; k < names.size(); ++k) {
      const double *g0 = (*grads)[k + 1].data<double>();
      for (size_t i = 0; i < p[k].size(); ++i) {
        double g = g0[i], &w = p[k][i];
        if (config.kind == Kind::SGD) {
          g += config.weightDecay * w;
          if (config.momentum != 0) {
            buf[k][i] = s == 1 ? g : config.momentum * buf[k][i] + g;
            g = config.nesterov ? g + config.momentum * buf[k][i] : buf[k][i];
          }
          w -= config.lr * g;
          continue;
        }
        if (config.kind == Kind::AdamW)
          w *= 1 - config.lr * config.weightDecay;
        else
          g += config.weightDecay * w;
        m1[k][i] = config.beta1 * m1[k][i] + (1 - config.beta1) * g;
        m2[k][i] = config.beta2 * m2[k][i] + (1 - config.beta2) * g * g;
        double bc1 = 1 - std::pow(config.beta1, s),
               bc2 = 1 - std::pow(config.beta2, s);
        double denom = std::sqrt(m2[k][i]) / std::sqrt(bc2) + config.eps;
        w -= config.lr / bc1 * m1[k][i] / denom;
      }
      const dl::Tensor &got = *m.parameter(names[k]);
      for (size_t i = 0; i < p[k].size(); ++i)
        EXPECT_NEAR(got.data<double>()[i], p[k][i],
                    1e-12 * std::max(1.0, std::fabs(p[k][i])))
            << names[k] << "[" << i << "] after step " << s;
    }
  }
  EXPECT_EQ(step->steps(), steps);
}

TEST(TrainStep, PlainSgd) {
  dl::OptimizerConfig c;
  c.lr = 0.1;
  checkAgainstReference(c, 3);
}

TEST(TrainStep, SgdWithMomentumNesterovAndWeightDecay) {
  dl::OptimizerConfig c;
  c.lr = 0.05;
  c.momentum = 0.9;
  c.nesterov = true;
  c.weightDecay = 0.01;
  checkAgainstReference(c, 4);
  c.nesterov = false;
  checkAgainstReference(c, 4);
}

TEST(TrainStep, AdamAndAdamW) {
  dl::OptimizerConfig c;
  c.kind = Kind::Adam;
  c.lr = 0.01;
  c.weightDecay = 0.001;
  checkAgainstReference(c, 4);
  c.kind = Kind::AdamW;
  c.weightDecay = 0.05;
  checkAgainstReference(c, 4);
}

// The updates of all parameters run as one kernel (dl-merge-horizontal):
// one parallel loop over chunks of 8192 elements of every parameter. w1 has
// two chunks, the second partial (1808 elements, not a whole number of
// vectors), w2 one of 7500 elements, b one of 3; on one thread and on two
// (the chunks shared out by OpenMP), each element must get its own update.
const char *kWideModel = R"(
  param w1: f64[4, 2500] = normal(0, 0.1);
  param w2: f64[2500, 3] = normal(0, 0.1);
  param b: f64[3] = normal(0, 0.5);
  fn loss(x: f64[N, 4], y: i64[N]) -> f64 {
    return cross_entropy(tanh(x @ w1) @ w2 + b, y);
  })";

TEST(TrainStep, AdamOverParametersOfSeveralChunksOnOneAndTwoThreads) {
  dl::OptimizerConfig c;
  c.kind = Kind::Adam;
  c.lr = 0.01;
  checkAgainstReference(c, 3, kWideModel, 1);
  checkAgainstReference(c, 3, kWideModel, 2);
}

// The GPU target's horizontal kernel (dl-merge-horizontal{chunk=1}: one
// thread per element of all parameters, one launch), run by the emulator.
TEST(TrainStep, AdamOverAllParametersInOneGpuLaunch) {
  dl::OptimizerConfig c;
  c.kind = Kind::Adam;
  c.lr = 0.01;
  checkAgainstReference(c, 3, kWideModel, 1, dl::Target::CUDAEmulator);
  c.kind = Kind::SGD;
  c.momentum = 0.9;
  c.nesterov = true;
  checkAgainstReference(c, 3, kModel, 1, dl::Target::CUDAEmulator);
}

TEST(TrainStep, TrainingReducesTheLoss) {
  dl::CompilerOptions options;
  options.trainFunction = "loss";
  options.optimizer.kind = Kind::Adam;
  options.optimizer.lr = 0.05;
  dl::Compiler compiler(options);
  auto compiled = compiler.compileString(kModel, "model.dl");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  auto step = compiled.module->trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  dl::Tensor x = inputs(1);
  double first = *step->run({x, labels()}), last = first;
  for (int s = 0; s < 100; ++s)
    last = *step->run({x, labels()});
  EXPECT_LT(last, 0.25 * first) << "100 Adam steps on one batch should fit it";
}

TEST(TrainStep, SameSeedSameWeightsBitForBit) {
  auto train = [](uint64_t seed) {
    dl::CompilerOptions options;
    options.trainFunction = "loss";
    options.optimizer.kind = Kind::Adam;
    dl::Compiler compiler(options);
    auto compiled = compiler.compileString(kModel, "model.dl");
    EXPECT_TRUE(compiled.ok()) << compiled.errors();
    compiled.module->initParameters(seed);
    auto step = compiled.module->trainStep();
    for (int s = 0; s < 10; ++s)
      EXPECT_TRUE(step->run({inputs(s), labels()}).ok());
    return *compiled.module->parameter("w");
  };
  dl::Tensor a = train(4), b = train(4), c = train(5);
  EXPECT_EQ(0, std::memcmp(a.rawData(), b.rawData(), a.byteSize()));
  EXPECT_NE(0, std::memcmp(a.rawData(), c.rawData(), a.byteSize()));
}

TEST(TrainStep, ErrorsAreValues) {
  dl::CompilerOptions options;
  options.trainFunction = "nope";
  dl::Compiler compiler(options);
  auto compiled = compiler.compileString(kModel, "model.dl");
  ASSERT_FALSE(compiled.ok());
  EXPECT_NE(compiled.errors().find("cannot train 'nope'"), std::string::npos)
      << compiled.errors();
  dl::Compiler plain;
  auto m = plain.compileString(kModel, "model.dl");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m.module->trainStep().ok());
}

} // namespace

namespace {

// torch.optim.lr_scheduler's closed forms, evaluated by hand.
TEST(LRSchedule, ClosedFormsAndWarmUp) {
  dl::LRSchedule s;
  EXPECT_EQ(s.at(0.1, 1000), 0.1);
  s.kind = dl::LRSchedule::Kind::Step;
  s.stepSize = 3;
  s.gamma = 0.5;
  EXPECT_DOUBLE_EQ(s.at(0.1, 2), 0.1);
  EXPECT_DOUBLE_EQ(s.at(0.1, 3), 0.05);
  EXPECT_DOUBLE_EQ(s.at(0.1, 7), 0.025);
  s.kind = dl::LRSchedule::Kind::Cosine;
  s.totalSteps = 10;
  s.minLr = 0.01;
  EXPECT_DOUBLE_EQ(s.at(0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(0.1, 5), 0.01 + 0.09 * 0.5);
  EXPECT_NEAR(s.at(0.1, 10), 0.01, 1e-15);
  EXPECT_DOUBLE_EQ(s.at(0.1, 20), 0.01);
  s.warmupSteps = 4;
  EXPECT_DOUBLE_EQ(s.at(0.1, 0), 0.025);
  EXPECT_DOUBLE_EQ(s.at(0.1, 3), 0.1);
  EXPECT_DOUBLE_EQ(s.at(0.1, 5), 0.01 + 0.09 * 0.5);
}

// The step uses the schedule's rate: sum(w) has gradient 1 everywhere, so
// SGD moves w by exactly the rate of each step (powers of two: exact).
TEST(LRSchedule, TheCompiledStepFollowsIt) {
  dl::CompilerOptions options;
  options.trainFunction = "loss";
  options.optimizer.lr = 1;
  dl::Compiler compiler(options);
  auto compiled = compiler.compileString(R"(
    param w: f32[3] = zeros;
    fn loss(x: f32[3]) -> f32 { return sum(w * x); })",
                                         "sum.dl");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  dl::Module &m = *compiled.module;
  auto step = m.trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  dl::LRSchedule s;
  s.kind = dl::LRSchedule::Kind::Step;
  s.stepSize = 1;
  s.gamma = 0.5;
  step->setSchedule(s);
  dl::Tensor ones(dl::DType::F32, {3});
  for (int i = 0; i < 3; ++i)
    ones.data<float>()[i] = 1;
  float want = 0;
  for (float lr : {1.0f, 0.5f, 0.25f}) {
    EXPECT_EQ(step->learningRate(), lr);
    ASSERT_TRUE(step->run({ones}).ok());
    want -= lr;
    EXPECT_EQ(m.parameter("w")->data<float>()[1], want);
  }
}

// Frozen parameters keep their bytes and get no optimizer state; the others
// train as usual.
TEST(Frozen, ParametersMatchingAPatternStayUnchanged) {
  dl::CompilerOptions options;
  options.trainFunction = "loss";
  options.optimizer.kind = Kind::Adam;
  options.optimizer.frozen = {"fc1.*"};
  dl::Compiler compiler(options);
  const char *src = R"(
    model Net {
      fc1 = Linear(4, 5);
      fc2 = Linear(5, 3);
      fn loss(x: f32[N, 4], y: i64[N]) -> f32 {
        return cross_entropy(fc2(relu(fc1(x))), y);
      }
    })";
  auto compiled = compiler.compileString(src, "net.dl");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  dl::Module &m = *compiled.module;
  std::vector<dl::Tensor> before;
  for (const std::string &n : m.parameterNames())
    before.push_back(*m.parameter(n));
  auto step = m.trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  EXPECT_EQ(step->stateNames(),
            (std::vector<std::string>{"fc2.weight.exp_avg", "fc2.bias.exp_avg",
                                      "fc2.weight.exp_avg_sq",
                                      "fc2.bias.exp_avg_sq"}));
  dl::Tensor x(dl::DType::F32, {5, 4});
  for (int i = 0; i < 20; ++i)
    x.data<float>()[i] = std::sin(0.3f * float(i));
  ASSERT_TRUE(step->run({x, labels()}).ok());
  std::vector<std::string> names = m.parameterNames();
  for (size_t k = 0; k < names.size(); ++k) {
    const dl::Tensor &now = *m.parameter(names[k]);
    bool same =
        std::memcmp(now.rawData(), before[k].rawData(), now.byteSize()) == 0;
    EXPECT_EQ(same, names[k].rfind("fc1.", 0) == 0) << names[k];
  }

  options.optimizer.frozen = {"fc3.*"};
  auto bad = dl::Compiler(options).compileString(src, "net.dl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.errors().find("frozen-parameter pattern 'fc3.*' matches no "
                              "parameter"),
            std::string::npos)
      << bad.errors();
  options.optimizer.frozen = {"*"};
  bad = dl::Compiler(options).compileString(src, "net.dl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.errors().find("every float parameter is frozen"),
            std::string::npos)
      << bad.errors();
}

} // namespace

namespace {

// The step writes parameters in place, but a Tensor a caller copied before
// (copies share storage) keeps its values: the step un-shares first.
// parameter() itself is a live view of the current values.
TEST(InPlace, CallersCopiesKeepTheirValues) {
  dl::CompilerOptions options;
  options.trainFunction = "loss";
  options.optimizer.lr = 1;
  dl::Compiler compiler(options);
  auto compiled = compiler.compileString(R"(
    param w: f32[3] = ones;
    fn loss(x: f32[3]) -> f32 { return sum(w * x); })",
                                         "sum.dl");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  dl::Module &m = *compiled.module;
  dl::Tensor before = *m.parameter("w"); // shares storage
  const dl::Tensor *live = m.parameter("w");
  auto step = m.trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  dl::Tensor x = dl::Tensor::fromF32({3}, {1, 2, 3});
  ASSERT_TRUE(step->run({x}).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(before.data<float>()[i], 1.0f);
    EXPECT_EQ(m.parameter("w")->data<float>()[i], 1.0f - float(i + 1));
  }
  // A second step updates the (now unshared) storage in place.
  const void *storage = m.parameter("w")->rawData();
  ASSERT_TRUE(step->run({x}).ok());
  EXPECT_EQ(m.parameter("w")->rawData(), storage);
  EXPECT_EQ(live->data<float>()[2], 1.0f - 6.0f);
}

} // namespace
