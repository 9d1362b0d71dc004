//===- Train.cpp - `dlc train` --------------------------------------------===//
//
// The driver owns only data movement: batching, shuffling, progress and
// checkpoints. The loss, gradients, optimizer update and accuracy are all
// compiled functions of the model (`loss.step`, `loss`, `forward.accuracy`).
//
//===----------------------------------------------------------------------===//
#include "Train.h"

#include "dlrt/Idx.h"
#include "dlrt/Random.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>
#include <numeric>

using namespace dlc;

namespace {

int fail(const std::string &message) {
  llvm::errs() << "dlc: error: " << message << "\n";
  return 1;
}

/// The shape of a batch of `n` images for a declared input such as
/// f32[B, 1, 28, 28] or f32[B, 784]: the symbol becomes n.
dlrt::Expected<dlrt::Shape> batchShape(const dl::ArgumentInfo &arg, int64_t n,
                                       int64_t pixels) {
  dlrt::Shape shape;
  int64_t product = 1;
  int symbols = 0;
  for (int64_t d : arg.dims) {
    if (d < 0) {
      shape.push_back(n);
      ++symbols;
    } else {
      shape.push_back(d);
      product *= d;
    }
  }
  if (symbols != 1 || product != pixels)
    return dlrt::Status::error("the model's input '" + arg.name + "' is " +
                               arg.typeString +
                               ", which does not hold a batch of " +
                               std::to_string(pixels) + "-pixel images");
  return shape;
}

/// Copies rows `order[begin, end)` of a data set into batch tensors.
void gather(const dlrt::ImageDataset &set, const std::vector<int64_t> &order,
            int64_t begin, int64_t end, dl::Tensor &x, dl::Tensor &y) {
  int64_t pixels = set.images.numElements() / set.images.dim(0);
  for (int64_t i = begin; i < end; ++i) {
    int64_t row = order[i];
    std::memcpy(x.data<float>() + (i - begin) * pixels,
                set.images.data<float>() + row * pixels,
                pixels * sizeof(float));
    y.data<int64_t>()[i - begin] = set.labels.data<int64_t>()[row];
  }
}

struct Evaluation {
  double loss = 0, accuracy = 0;
};

dlrt::Expected<Evaluation> evaluate(dl::Module &m,
                                    const dlrt::ImageDataset &set,
                                    const dl::ArgumentInfo &input,
                                    int64_t batch) {
  int64_t n = set.images.dim(0), pixels = set.images.numElements() / n;
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Evaluation e;
  for (int64_t begin = 0; begin < n; begin += batch) {
    int64_t end = std::min(n, begin + batch);
    auto shape = batchShape(input, end - begin, pixels);
    if (!shape)
      return shape.status();
    dl::Tensor x(dl::DType::F32, *shape), y(dl::DType::I64, {end - begin});
    gather(set, order, begin, end, x, y);
    auto loss = m.call("loss", {x, y});
    if (!loss)
      return loss.status();
    auto acc = m.call("forward.accuracy", {x, y});
    if (!acc)
      return acc.status();
    e.loss += double(loss->data<float>()[0]) * double(end - begin);
    e.accuracy += double(acc->data<float>()[0]) * double(end - begin);
  }
  e.loss /= double(n);
  e.accuracy /= double(n);
  return e;
}

} // namespace

int dlc::evaluateModel(const std::string &file, const std::string &data,
                       const std::string &checkpoint, double mean,
                       double stddev, int64_t batch, uint64_t seed) {
  auto [kind, dir] = llvm::StringRef(data).split(':');
  if (kind != "fashion-mnist" && kind != "mnist")
    return fail("unknown data set kind '" + kind.str() +
                "' (expected fashion-mnist:DIR or mnist:DIR)");
  if (batch < 1)
    return fail("--batch must be positive");
  auto test = dlrt::loadMnistFormat(dir.str(), "t10k", mean, stddev);
  if (!test)
    return fail(test.message());
  dl::CompilerOptions compile;
  compile.accuracyOf = "forward";
  dl::Compiler compiler(compile);
  dl::CompileResult compiled = compiler.compileFile(file);
  if (!compiled.ok()) {
    llvm::errs() << compiled.errors();
    return 1;
  }
  dl::Module &m = *compiled.module;
  m.initParameters(seed);
  if (!checkpoint.empty())
    if (dlrt::Status s = m.loadParameters(checkpoint); !s)
      return fail(s.message());
  const dl::FunctionInfo *loss = m.function("loss");
  if (!loss)
    return fail(file + ": `dlc eval` needs `fn loss(x, labels) -> f32`");
  auto eval = evaluate(m, *test, loss->arguments[0], batch);
  if (!eval)
    return fail(eval.message());
  llvm::outs() << llvm::format("test loss: %.4f\ntest accuracy: %.4f\n",
                               eval->loss, eval->accuracy);
  return 0;
}

int dlc::trainModel(const TrainOptions &options) {
  auto [kind, dir] = llvm::StringRef(options.data).split(':');
  if (kind != "fashion-mnist" && kind != "mnist")
    return fail("unknown data set kind '" + kind.str() +
                "' (expected fashion-mnist:DIR or mnist:DIR)");
  if (options.batch < 1 || options.epochs < 1 || options.steps < 0)
    return fail("--batch and --epochs must be positive");
  auto train =
      dlrt::loadMnistFormat(dir.str(), "train", options.mean, options.stddev);
  if (!train)
    return fail(train.message());
  auto test =
      dlrt::loadMnistFormat(dir.str(), "t10k", options.mean, options.stddev);
  if (!test)
    return fail(test.message());

  dl::CompilerOptions compile;
  compile.trainFunction = "loss";
  compile.optimizer = options.optimizer;
  compile.accuracyOf = "forward";
  dl::Compiler compiler(compile);
  auto started = std::chrono::steady_clock::now();
  dl::CompileResult compiled = compiler.compileFile(options.file);
  if (!compiled.ok()) {
    llvm::errs() << compiled.errors();
    if (compiled.errors().find("cannot") != std::string::npos)
      llvm::errs()
          << "dlc: note: `dlc train` needs `fn loss(x, labels) -> f32` "
             "and `fn forward(x) -> f32[N, C]`\n";
    return 1;
  }
  dl::Module &m = *compiled.module;
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  m.initParameters(options.seed);
  if (!options.init.empty())
    if (dlrt::Status s = m.loadParameters(options.init); !s)
      return fail(s.message());
  auto step = m.trainStep();
  if (!step)
    return fail(step.message());
  const dl::ArgumentInfo &input = m.function("loss")->arguments[0];

  int64_t n = train->images.dim(0), pixels = train->images.numElements() / n;
  int64_t perEpoch = (n + options.batch - 1) / options.batch;
  llvm::outs() << "dlc train: " << options.file << ", " << n << " training and "
               << test->images.dim(0) << " test images, batch " << options.batch
               << ", compiled in " << llvm::format("%.2f", compileSeconds)
               << " s\n";
  int64_t done = 0;
  Evaluation last;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    if (options.shuffle) // Fisher-Yates from the seeded counter-based RNG
      for (int64_t i = n - 1; i > 0; --i) {
        double u = dlrt::uniform01(options.seed, dlrt::streamOf("shuffle"),
                                   uint64_t(epoch) * uint64_t(n) + uint64_t(i));
        std::swap(order[i], order[int64_t(u * double(i + 1))]);
      }
    double lossSum = 0;
    int64_t seen = 0;
    auto epochStart = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < perEpoch; ++b) {
      if (options.steps && done == options.steps)
        break;
      int64_t begin = b * options.batch,
              end = std::min(n, begin + options.batch);
      auto shape = batchShape(input, end - begin, pixels);
      if (!shape)
        return fail(shape.message());
      dl::Tensor x(dl::DType::F32, *shape), y(dl::DType::I64, {end - begin});
      gather(*train, order, begin, end, x, y);
      auto loss = step->run({x, y});
      if (!loss)
        return fail(loss.message());
      lossSum += *loss * double(end - begin);
      seen += end - begin;
      ++done;
      if (done % 100 == 0 || b + 1 == perEpoch ||
          (options.steps && done == options.steps)) {
        double secs = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - epochStart)
                          .count();
        llvm::outs() << llvm::format(
            "epoch %lld step %lld/%lld loss %.4f  %.0f images/s\n",
            (long long)epoch, (long long)(b + 1), (long long)perEpoch,
            lossSum / double(seen), double(seen) / secs);
        llvm::outs().flush();
      }
    }
    auto eval = evaluate(m, *test, input, 1000);
    if (!eval)
      return fail(eval.message());
    last = *eval;
    llvm::outs() << llvm::format("epoch %lld: train loss %.4f, test loss %.4f, "
                                 "test accuracy %.4f\n",
                                 (long long)epoch,
                                 seen ? lossSum / double(seen) : 0.0,
                                 eval->loss, eval->accuracy);
    if (options.steps && done == options.steps)
      break;
  }
  if (!options.save.empty()) {
    if (dlrt::Status s = m.saveParameters(options.save); !s)
      return fail(s.message());
    llvm::outs() << "saved " << options.save << "\n";
  }
  llvm::outs() << llvm::format("test accuracy: %.4f\n", last.accuracy);
  return 0;
}
