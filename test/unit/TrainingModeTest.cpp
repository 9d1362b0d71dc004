//===- TrainingModeTest.cpp - batch norm and dropout, eval and training ---===//
//
// Evaluation mode is checked against naive loops written here; training mode
// through the compiled step, which is where it runs:
//   - running statistics after one step against PyTorch's update rule
//     (momentum 0.1, unbiased batch variance), computed here;
//   - the training-mode gradient against central differences of the step's
//     own loss (SGD with lr = 1 makes the update the gradient itself:
//     g = p_before - p_after), with the step count reset before each call so
//     every evaluation draws the same dropout mask;
//   - dropout masks: seeded, a function of the step, kept with probability
//     1 - p, scaled by 1 / (1 - p), and the very same mask in the forward and
//     the backward pass.
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace {

dl::Tensor seeded(dl::DType dtype, dl::Shape shape, int seed, double lo = -1,
                  double hi = 1) {
  dl::Tensor t(dtype, shape);
  uint64_t s = 0x9e3779b97f4a7c15ULL * (seed + 11);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    double v = lo + (hi - lo) * double(s >> 11) * 0x1.0p-53;
    if (dtype == dl::DType::F64)
      t.data<double>()[i] = v;
    else
      t.data<float>()[i] = static_cast<float>(v);
  }
  return t;
}

double at(const dl::Tensor &t, int64_t i) {
  return t.dtype() == dl::DType::F64 ? t.data<double>()[i] : t.data<float>()[i];
}

dl::Module compile(const char *src, dl::CompilerOptions options = {}) {
  dl::Compiler compiler(options);
  dl::CompileResult r = compiler.compileString(src, "model.dl");
  EXPECT_TRUE(r.ok()) << r.errors();
  if (!r.ok())
    std::abort();
  return std::move(*r.module);
}

const char *kBatchNorm = R"(
  model M {
    bn = BatchNorm2d(3);
    fn forward(x: f32[B, 3, 4, 5]) -> f32[B, 3, 4, 5] { return bn(x); }
    fn loss(x: f32[B, 3, 4, 5], t: f32[B, 3, 4, 5]) -> f32 {
      return mse(bn(x), t);
    }
  })";

void setRandomStatistics(dl::Module &m, dl::DType dtype) {
  ASSERT_TRUE(m.setParameter("bn.weight", seeded(dtype, {3}, 1, 0.5, 2)));
  ASSERT_TRUE(m.setParameter("bn.bias", seeded(dtype, {3}, 2)));
  ASSERT_TRUE(m.setParameter("bn.running_mean", seeded(dtype, {3}, 3)));
  ASSERT_TRUE(m.setParameter("bn.running_var", seeded(dtype, {3}, 4, 0.2, 3)));
}

// Eval mode: (x - running_mean) / sqrt(running_var + eps) * w + b. f32
// inputs of magnitude <= 1 and a normalisation by >= 0.4: the f32 result is
// within a few ulps of the double reference, so 1e-5 (about 80 ulps at 1) is
// generous while a wrong statistic is off by O(1).
TEST(BatchNorm, EvalModeUsesRunningStatistics) {
  dl::Module m = compile(kBatchNorm);
  setRandomStatistics(m, dl::DType::F32);
  dl::Tensor x = seeded(dl::DType::F32, {2, 3, 4, 5}, 5);
  auto y = m.call("forward", {x});
  ASSERT_TRUE(y.ok()) << y.message();
  const dl::Tensor &w = *m.parameter("bn.weight"), &b = *m.parameter("bn.bias"),
                   &rm = *m.parameter("bn.running_mean"),
                   &rv = *m.parameter("bn.running_var");
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t i = 0; i < 20; ++i) {
        int64_t k = (n * 3 + c) * 20 + i;
        double want =
            (at(x, k) - at(rm, c)) / std::sqrt(at(rv, c) + 1e-5) * at(w, c) +
            at(b, c);
        EXPECT_NEAR(at(*y, k), want, 1e-5 * (1 + std::fabs(want)));
      }
}

// Training mode, one step: the loss uses the batch statistics (biased
// variance), and the running statistics move by momentum 0.1 towards the
// batch mean and the unbiased variance; the counter becomes 1. All in f64:
// both sides compute the same sums, so 1e-12 relative.
TEST(BatchNorm, TrainStepUsesBatchStatisticsAndUpdatesRunningOnes) {
  dl::CompilerOptions options;
  options.promoteToF64 = true;
  options.trainFunction = "loss";
  options.optimizer.lr = 0.1;
  dl::Module m = compile(kBatchNorm, options);
  setRandomStatistics(m, dl::DType::F64);
  const int64_t N = 3;
  dl::Tensor x = seeded(dl::DType::F64, {N, 3, 4, 5}, 6, -2, 3);
  dl::Tensor t = seeded(dl::DType::F64, {N, 3, 4, 5}, 7);
  dl::Tensor w = *m.parameter("bn.weight"), b = *m.parameter("bn.bias"),
             rm = *m.parameter("bn.running_mean"),
             rv = *m.parameter("bn.running_var");
  auto step = m.trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  auto loss = step->run({x, t});
  ASSERT_TRUE(loss.ok()) << loss.message();

  double sq = 0;
  for (int64_t c = 0; c < 3; ++c) {
    double sum = 0, n = N * 20;
    for (int64_t s = 0; s < N; ++s)
      for (int64_t i = 0; i < 20; ++i)
        sum += at(x, (s * 3 + c) * 20 + i);
    double mean = sum / n, var = 0;
    for (int64_t s = 0; s < N; ++s)
      for (int64_t i = 0; i < 20; ++i)
        var += std::pow(at(x, (s * 3 + c) * 20 + i) - mean, 2);
    var /= n;
    for (int64_t s = 0; s < N; ++s)
      for (int64_t i = 0; i < 20; ++i) {
        int64_t k = (s * 3 + c) * 20 + i;
        double y =
            (at(x, k) - mean) / std::sqrt(var + 1e-5) * at(w, c) + at(b, c);
        sq += std::pow(y - at(t, k), 2);
      }
    double wantMean = 0.9 * at(rm, c) + 0.1 * mean;
    double wantVar = 0.9 * at(rv, c) + 0.1 * var * n / (n - 1);
    EXPECT_NEAR(at(*m.parameter("bn.running_mean"), c), wantMean,
                1e-12 * (1 + std::fabs(wantMean)));
    EXPECT_NEAR(at(*m.parameter("bn.running_var"), c), wantVar,
                1e-12 * (1 + std::fabs(wantVar)));
  }
  EXPECT_NEAR(*loss, sq / double(N * 60), 1e-12);
  EXPECT_EQ(m.parameter("bn.num_batches_tracked")->data<int64_t>()[0], 1);
  // The running statistics are buffers: no optimizer state, no gradient.
  EXPECT_TRUE(step->state().empty());
  // A second step counts again.
  ASSERT_TRUE(step->run({x, t}).ok());
  EXPECT_EQ(m.parameter("bn.num_batches_tracked")->data<int64_t>()[0], 2);
}

// Gradient of the training-mode loss (batch statistics, a dropout mask)
// against central differences of that same loss, in f64. h = 1e-6: the
// truncation error h^2/6 |f'''| ~ 1e-12 and the rounding error
// eps |f| / h ~ 1e-10 leave a tolerance of 1e-6 relative (1e-8 absolute)
// three orders of margin; a wrong rule (say, batch statistics treated as
// constants) is off by O(1e-1).
TEST(TrainingMode, GradientsMatchFiniteDifferencesOfTheStepLoss) {
  const char *src = R"(
    model Net {
      conv = Conv2d(2, 3, 3, padding=1);
      bn = BatchNorm2d(3);
      drop = Dropout(0.3);
      fc = Linear(3 * 4 * 4, 4);
      fn loss(x: f32[B, 2, 4, 4], y: i64[B]) -> f32 {
        let h = drop(tanh(bn(conv(x))));
        return cross_entropy(fc(flatten(h)), y);
      }
    })";
  dl::CompilerOptions options;
  options.promoteToF64 = true;
  options.trainFunction = "loss";
  options.optimizer.lr = 1;
  dl::Module m = compile(src, options);
  m.initParameters(4);
  dl::Tensor x = seeded(dl::DType::F64, {5, 2, 4, 4}, 8);
  dl::Tensor y(dl::DType::I64, {5});
  for (int i = 0; i < 5; ++i)
    y.data<int64_t>()[i] = (3 * i + 1) % 4;
  auto step = m.trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  step->setSeed(42);

  std::vector<std::string> names = m.parameterNames();
  std::vector<dl::Tensor> start;
  for (const std::string &n : names)
    start.push_back(*m.parameter(n));
  auto reset = [&] {
    for (size_t k = 0; k < names.size(); ++k)
      ASSERT_TRUE(m.setParameter(names[k], start[k]));
    ASSERT_TRUE(step->restore(0, {}));
  };
  auto lossAt = [&]() {
    auto l = step->run({x, y});
    EXPECT_TRUE(l.ok()) << l.message();
    return l.ok() ? *l : NAN;
  };
  lossAt();
  std::vector<dl::Tensor> after;
  for (const std::string &n : names)
    after.push_back(*m.parameter(n));
  const double h = 1e-6;
  int checked = 0;
  for (size_t k = 0; k < names.size(); ++k) {
    if (names[k].find("running") != std::string::npos ||
        names[k].find("num_batches") != std::string::npos)
      continue;
    SCOPED_TRACE(names[k]);
    for (int64_t i = 0; i < start[k].numElements(); i += 3) {
      double g = at(start[k], i) - at(after[k], i);
      double f[2];
      for (int side = 0; side < 2; ++side) {
        reset();
        dl::Tensor q = start[k];
        dl::Tensor copy(q.dtype(), q.shape());
        std::copy(q.data<double>(), q.data<double>() + q.numElements(),
                  copy.data<double>());
        copy.data<double>()[i] += side ? -h : h;
        ASSERT_TRUE(m.setParameter(names[k], copy));
        f[side] = lossAt();
      }
      double fd = (f[0] - f[1]) / (2 * h);
      EXPECT_NEAR(g, fd, 1e-8 + 1e-6 * std::fabs(fd)) << "element " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

// sum(dropout(w * x)) with w = 1, x = 1 and SGD lr = 1: the step's update
// is the mask scaled by 1 / (1 - p), so the updated weights show the mask
// the backward pass used, and the loss shows the forward pass's.
TEST(Dropout, MaskIsSeededScaledAndSharedByForwardAndBackward) {
  const char *src = R"(
    param w: f32[4000] = ones;
    fn loss(x: f32[4000]) -> f32 { return sum(dropout(w * x, p=0.3)); }
    fn apply(x: f32[4000]) -> f32[4000] { return dropout(x, p=0.3); }
  )";
  dl::CompilerOptions options;
  options.trainFunction = "loss";
  options.optimizer.lr = 1;
  dl::Module m = compile(src, options);
  dl::Tensor ones(dl::DType::F32, {4000});
  for (int i = 0; i < 4000; ++i)
    ones.data<float>()[i] = 1;

  // Evaluation mode: the identity, exactly.
  dl::Tensor x = seeded(dl::DType::F32, {4000}, 9);
  auto same = m.call("apply", {x});
  ASSERT_TRUE(same.ok()) << same.message();
  for (int i = 0; i < 4000; ++i)
    ASSERT_EQ(same->data<float>()[i], x.data<float>()[i]);

  auto step = m.trainStep();
  ASSERT_TRUE(step.ok()) << step.message();
  auto maskOf = [&](uint64_t seed, int64_t t, double *loss) {
    EXPECT_TRUE(m.setParameter("w", ones));
    step->setSeed(seed);
    EXPECT_TRUE(step->restore(t, {}));
    auto l = step->run({ones});
    EXPECT_TRUE(l.ok()) << l.message();
    *loss = l.ok() ? *l : NAN;
    std::vector<bool> kept;
    const float scale = 1.0f / 0.7f;
    for (int i = 0; i < 4000; ++i) {
      float v = m.parameter("w")->data<float>()[i];
      bool k = v != 1.0f;
      // Either untouched or moved by exactly the scale (f32 rounding of
      // 1 - 1/0.7 only).
      if (k)
        EXPECT_NEAR(v, 1.0f - scale, 1e-6) << i;
      kept.push_back(k);
    }
    return kept;
  };
  double loss;
  std::vector<bool> a = maskOf(7, 0, &loss);
  int64_t count = std::count(a.begin(), a.end(), true);
  // Kept with probability 0.7: sd sqrt(0.21 / 4000) = 0.0072; 5 sd.
  EXPECT_NEAR(count / 4000.0, 0.7, 0.036);
  // The forward pass kept the same elements: loss = count / 0.7. The f32
  // sum of ~2800 equal terms errs by at most (n - 1) u |sum| ~ 0.67; one
  // element more or less moves the sum by 1.43, so 0.7 tells them apart.
  EXPECT_NEAR(loss, count / 0.7, 0.7);
  double again;
  EXPECT_EQ(maskOf(7, 0, &again), a) << "same seed and step, same mask";
  EXPECT_EQ(again, loss);
  EXPECT_NE(maskOf(7, 1, &again), a) << "the next step draws a new mask";
  EXPECT_NE(maskOf(8, 0, &again), a) << "another seed draws a new mask";
}

} // namespace

namespace {

// A checkpoint holds everything training depends on: after 3 steps, saving,
// and resuming in a fresh module, 2 more steps give the weights, running
// statistics, counter and Adam moments of 5 uninterrupted steps, bit for bit
// (dropout masks depend on the seed and the step only).
TEST(TrainingMode, ResumedTrainingEqualsUninterruptedTraining) {
  const char *src = R"(
    model Net {
      bn = BatchNorm1d(6);
      drop = Dropout(0.4);
      fc = Linear(6, 3);
      fn loss(x: f32[B, 6], y: i64[B]) -> f32 {
        return cross_entropy(fc(drop(relu(bn(x)))), y);
      }
    })";
  dl::CompilerOptions options;
  options.trainFunction = "loss";
  options.optimizer.kind = dl::OptimizerConfig::Kind::Adam;
  dl::Tensor y(dl::DType::I64, {8});
  for (int i = 0; i < 8; ++i)
    y.data<int64_t>()[i] = i % 3;
  auto batch = [](int s) { return seeded(dl::DType::F32, {8, 6}, 20 + s); };
  std::string path = ::testing::TempDir() + "/resume.safetensors";

  dl::Module a = compile(src, options);
  auto sa = a.trainStep();
  ASSERT_TRUE(sa.ok());
  sa->setSeed(5);
  for (int s = 0; s < 5; ++s) {
    ASSERT_TRUE(sa->run({batch(s), y}).ok());
    if (s == 2)
      ASSERT_TRUE(sa->save(path));
  }
  dl::Module b = compile(src, options);
  b.initParameters(99); // overwritten by the checkpoint
  auto sb = b.trainStep();
  ASSERT_TRUE(sb.ok());
  ASSERT_TRUE(sb->resume(path));
  EXPECT_EQ(sb->steps(), 3);
  EXPECT_EQ(sb->seed(), 5u);
  for (int s = 3; s < 5; ++s)
    ASSERT_TRUE(sb->run({batch(s), y}).ok());
  for (const std::string &n : a.parameterNames()) {
    const dl::Tensor &pa = *a.parameter(n), &pb = *b.parameter(n);
    EXPECT_EQ(std::memcmp(pa.rawData(), pb.rawData(), pa.byteSize()), 0) << n;
  }
  EXPECT_EQ(b.parameter("bn.num_batches_tracked")->data<int64_t>()[0], 5);
  for (size_t k = 0; k < sa->state().size(); ++k)
    EXPECT_EQ(std::memcmp(sa->state()[k].rawData(), sb->state()[k].rawData(),
                          sa->state()[k].byteSize()),
              0)
        << sa->stateNames()[k];
  std::remove(path.c_str());
}

} // namespace

namespace {

// Every kind of kernel of a training step (convolution and its filter
// gradient, pooling and its gradient, batch statistics, dropout, matmuls,
// the optimizer) runs its parallel loops on two threads with the same bits
// as on one: reductions stay sequential per output element.
TEST(Threads, TwoThreadsGiveBitIdenticalTraining) {
  const char *src = R"(
    model Net {
      conv = Conv2d(2, 4, 3, padding=1);
      bn = BatchNorm2d(4);
      pool = MaxPool2d(2);
      drop = Dropout(0.2);
      fc = Linear(4 * 3 * 3, 5);
      fn loss(x: f32[B, 2, 6, 6], y: i64[B]) -> f32 {
        let h = pool(relu(bn(conv(x))));
        return cross_entropy(fc(drop(flatten(h))), y);
      }
    })";
  dl::Tensor x = seeded(dl::DType::F32, {7, 2, 6, 6}, 31);
  dl::Tensor y(dl::DType::I64, {7});
  for (int i = 0; i < 7; ++i)
    y.data<int64_t>()[i] = (2 * i) % 5;
  std::vector<std::vector<dl::Tensor>> params;
  for (unsigned threads : {1u, 2u}) {
    dl::CompilerOptions options;
    options.trainFunction = "loss";
    options.optimizer.kind = dl::OptimizerConfig::Kind::Adam;
    options.threads = threads;
    dl::Module m = compile(src, options);
    auto step = m.trainStep();
    ASSERT_TRUE(step.ok()) << step.message();
    for (int s = 0; s < 3; ++s)
      ASSERT_TRUE(step->run({x, y}).ok());
    params.emplace_back();
    for (const std::string &n : m.parameterNames())
      params.back().push_back(m.parameter(n)->clone());
  }
  ASSERT_EQ(params[0].size(), params[1].size());
  for (size_t k = 0; k < params[0].size(); ++k)
    EXPECT_EQ(std::memcmp(params[0][k].rawData(), params[1][k].rawData(),
                          params[0][k].byteSize()),
              0)
        << "parameter " << k;
}

} // namespace
