//===- Train.cpp - `dlc train` and `dlc eval` -----------------------------===//
//
// The driver owns only data movement: batching, shuffling, progress, metrics
// and checkpoints. The loss, gradients, optimizer update and accuracy are all
// compiled functions of the model (`loss.step`, `loss`, `forward.accuracy`).
//
//===----------------------------------------------------------------------===//
#include "Train.h"
#include "TrainData.h"

#include "dlrt/Datasets.h"
#include "dlrt/FileIO.h"
#include "dlrt/Profile.h"
#include "dlrt/Random.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <numeric>

using namespace dlc;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string clockString(double seconds) {
  auto s = static_cast<long long>(seconds + 0.5);
  return llvm::formatv("{0}:{1:2}", s / 60, s % 60).str();
}

/// Progress within an epoch: a redrawn bar on a terminal, a line every 100
/// steps (and at the end) otherwise, so logs stay readable.
class Progress {
public:
  Progress() : tty(llvm::sys::Process::StandardOutIsDisplayed()) {}

  void update(int64_t epoch, int64_t batch, int64_t perEpoch, double loss,
              double imagesPerSecond, double secondsPerStep, bool last) {
    double eta = double(perEpoch - batch) * secondsPerStep;
    if (tty) {
      if (!last && secondsSince(drawn) < 0.1)
        return;
      drawn = Clock::now();
      const int width = 24;
      int filled = int(width * batch / std::max<int64_t>(perEpoch, 1));
      std::string bar(filled, '=');
      if (filled < width)
        bar += '>' + std::string(width - filled - 1, ' ');
      llvm::outs() << llvm::format(
          "\repoch %lld [%s] %lld/%lld loss %.4f %.0f img/s ETA %s ",
          (long long)epoch, bar.c_str(), (long long)batch, (long long)perEpoch,
          loss, imagesPerSecond, clockString(eta).c_str());
      if (last)
        llvm::outs() << "\n";
    } else if (batch % 100 == 0 || last) {
      llvm::outs() << llvm::format(
          "epoch %lld step %lld/%lld loss %.4f  %.0f images/s  ETA %s\n",
          (long long)epoch, (long long)batch, (long long)perEpoch, loss,
          imagesPerSecond, clockString(eta).c_str());
    }
    llvm::outs().flush();
  }

private:
  bool tty;
  Clock::time_point drawn;
};

/// One JSON object per line, appended as training goes (so a crash keeps
/// what was written).
class MetricsFile {
public:
  std::string open(const std::string &path) {
    if (path.empty())
      return "";
    std::error_code ec;
    out = std::make_unique<llvm::raw_fd_ostream>(path, ec);
    if (ec)
      return "cannot write metrics file '" + path + "': " + ec.message();
    return "";
  }
  void write(llvm::json::Object object) {
    if (!out)
      return;
    *out << llvm::json::Value(std::move(object)) << "\n";
    out->flush();
  }

private:
  std::unique_ptr<llvm::raw_fd_ostream> out;
};

} // namespace

std::string dlc::parseSchedule(const std::string &spec, int64_t stepsPerEpoch,
                               int64_t totalSteps, dl::LRSchedule &schedule) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(spec).split(parts, ':');
  using K = dl::LRSchedule::Kind;
  schedule.totalSteps = totalSteps;
  if (parts[0] == "constant" && parts.size() == 1) {
    schedule.kind = K::Constant;
    return "";
  }
  if (parts[0] == "step" && parts.size() == 3) {
    int64_t epochs;
    double gamma;
    if (parts[1].getAsInteger(10, epochs) || epochs < 1 ||
        parts[2].getAsDouble(gamma) || !(gamma > 0))
      return "malformed --schedule '" + spec +
             "' (step:EPOCHS:GAMMA, EPOCHS >= 1, GAMMA > 0)";
    schedule.kind = K::Step;
    schedule.stepSize = epochs * stepsPerEpoch;
    schedule.gamma = gamma;
    return "";
  }
  if (parts[0] == "cosine" && parts.size() <= 2) {
    schedule.kind = K::Cosine;
    schedule.minLr = 0;
    if (parts.size() == 2 &&
        (parts[1].getAsDouble(schedule.minLr) || schedule.minLr < 0))
      return "malformed --schedule '" + spec + "' (cosine or cosine:MIN_LR)";
    return "";
  }
  return "unknown --schedule '" + spec +
         "' (constant, step:EPOCHS:GAMMA, cosine[:MIN_LR])";
}

int dlc::evaluateModel(const std::string &file, const std::string &lossFn,
                       const std::string &data, const std::string &checkpoint,
                       double mean, double stddev, int64_t batch, uint64_t seed,
                       unsigned threads) {
  if (batch < 1)
    return fail("--batch must be positive");
  auto test = dlrt::loadDataset(data, "test", mean, stddev);
  if (!test)
    return fail(test.message());
  dl::CompilerOptions compile;
  compile.evaluationOf = lossFn;
  compile.requestedOnly = true;
  compile.threads = threads;
  std::optional<dl::Module> model = loadModel(file, compile, checkpoint, seed);
  if (!model)
    return 1;
  dl::Module &m = *model;
  const dl::FunctionInfo *loss = m.function(lossFn + ".evaluate");
  if (!loss || loss->arguments.size() != 2)
    return fail(file + ": `dlc eval` needs `fn " + lossFn +
                "(x, labels) -> f32`");
  auto eval = evaluate(m, lossFn, *test, loss->arguments[0], batch);
  if (!eval)
    return fail(eval.message());
  llvm::outs() << llvm::format("test loss: %.4f\ntest accuracy: %.4f\n",
                               eval->loss, eval->accuracy);
  return 0;
}

/// Test-set batch at the end of each epoch: the training batch, at least 64.
/// Accuracy and loss do not depend on it; peak memory does. At the training
/// batch the evaluation's activations fit in buffers the training step
/// already had from the caching allocator (seed CNN, 20 steps: 300 MB peak,
/// against 410 MB at 256 and 580 MB at 1000), and it ran no slower per image.
int64_t evalBatch(int64_t trainBatch) {
  return std::max<int64_t>(trainBatch, 64);
}

int dlc::trainModel(const TrainOptions &options) {
  if (options.batch < 1 || options.epochs < 1 || options.steps < 0)
    return fail("--batch and --epochs must be positive");
  if (options.threads < 1 || options.threads > 1024)
    return fail("--threads must be between 1 and 1024");
  if (options.warmup < 0)
    return fail("--warmup must not be negative");
  auto train =
      dlrt::loadDataset(options.data, "train", options.mean, options.stddev);
  if (!train)
    return fail(train.message());
  auto test =
      dlrt::loadDataset(options.data, "test", options.mean, options.stddev);
  if (!test)
    return fail(test.message());
  int64_t n = train->size(), pixels = train->pixelsPerImage();
  int64_t perEpoch = (n + options.batch - 1) / options.batch;
  dl::LRSchedule schedule;
  if (std::string e = parseSchedule(options.schedule, perEpoch,
                                    perEpoch * options.epochs, schedule);
      !e.empty())
    return fail(e);
  schedule.warmupSteps = options.warmup;
  MetricsFile metrics;
  if (std::string e = metrics.open(options.metrics); !e.empty())
    return fail(e);

  dl::CompilerOptions compile;
  compile.trainFunction = options.loss;
  compile.optimizer = options.optimizer;
  compile.evaluationOf = options.loss;
  compile.requestedOnly = true;
  compile.threads = static_cast<unsigned>(options.threads);
  compile.profile = options.profile;
  if (!applyTarget(compile))
    return 1;
  dl::Compiler compiler(compile);
  auto started = Clock::now();
  dl::CompileResult compiled = compiler.compileFile(options.file);
  if (!compiled.ok()) {
    llvm::errs() << compiled.errors();
    if (compiled.errors().find("cannot train") != std::string::npos ||
        compiled.errors().find("cannot evaluate") != std::string::npos)
      llvm::errs() << "dlc: note: `dlc train` needs `fn " << options.loss
                   << "(x, labels) -> f32` and `fn forward(x) -> f32[N, C]`\n";
    return 1;
  }
  dl::Module &m = *compiled.module;
  double compileSeconds = secondsSince(started);
  m.initParameters(options.seed);
  if (!options.init.empty())
    if (dlrt::Status s = m.loadParameters(options.init); !s)
      return fail(s.message());
  auto step = m.trainStep();
  if (!step)
    return fail(step.message());
  step->setSeed(options.seed);
  step->setSchedule(schedule);
  if (!options.resume.empty())
    if (dlrt::Status s = step->resume(options.resume); !s)
      return fail(s.message());
  // The checkpoint's seed governs the data order too, so a resumed run
  // continues the uninterrupted one exactly.
  uint64_t seed = step->seed();
  const dl::FunctionInfo *lossInfo = m.function(options.loss + ".evaluate");
  if (lossInfo->arguments.size() != 2)
    return fail("the loss '" + options.loss +
                "' must take (x, labels): a batch and its labels");
  const dl::ArgumentInfo &input = lossInfo->arguments[0];

  llvm::outs() << "dlc train: " << options.file << ", " << n << " training and "
               << test->size() << " test images, batch " << options.batch
               << ", compiled in " << llvm::format("%.2f", compileSeconds)
               << " s\n";
  if (options.timeCompile) {
    llvm::outs() << "compile phases:";
    for (const auto &[phase, seconds] : compiled.phases)
      llvm::outs() << "\n  " << llvm::format("%6.3f", seconds) << " s  "
                   << phase;
    llvm::outs() << "\n";
  }
  int64_t startStep = step->steps();
  if (startStep)
    llvm::outs() << "resuming at step " << startStep << " (epoch "
                 << startStep / perEpoch + 1 << ")\n";
  int64_t done = 0;
  Evaluation last;
  bool evaluated = false;
  Progress progress;
  for (int64_t epoch = startStep / perEpoch + 1; epoch <= options.epochs;
       ++epoch) {
    std::vector<int64_t> order = epochOrder(n, epoch, seed, options.shuffle);
    double lossSum = 0;
    int64_t seen = 0;
    auto epochStart = Clock::now();
    int64_t first =
        epoch == startStep / perEpoch + 1 ? startStep % perEpoch : 0;
    for (int64_t b = first; b < perEpoch; ++b) {
      if (options.steps && done == options.steps)
        break;
      int64_t begin = b * options.batch,
              end = std::min(n, begin + options.batch);
      auto shape = batchShape(input, end - begin, pixels);
      if (!shape)
        return fail(shape.message());
      dl::Tensor x(dl::DType::F32, *shape), y(dl::DType::I64, {end - begin});
      gather(*train, order, begin, end, x, y);
      double lr = step->learningRate();
      auto loss = step->run({x, y});
      if (!loss)
        return fail(loss.message());
      lossSum += *loss * double(end - begin);
      seen += end - begin;
      ++done;
      double secs = secondsSince(epochStart);
      bool lastOfRun =
          b + 1 == perEpoch || (options.steps && done == options.steps);
      progress.update(epoch, b + 1, perEpoch, lossSum / double(seen),
                      double(seen) / secs, secs / double(b + 1 - first),
                      lastOfRun);
      if (step->steps() % 100 == 0 || lastOfRun)
        metrics.write(
            llvm::json::Object{{"event", "step"},
                               {"epoch", epoch},
                               {"step", step->steps()},
                               {"loss", *loss},
                               {"lr", lr},
                               {"images_per_s", double(seen) / secs}});
    }
    auto eval =
        evaluate(m, options.loss, *test, input, evalBatch(options.batch));
    if (!eval)
      return fail(eval.message());
    last = *eval;
    evaluated = true;
    double trainLoss = seen ? lossSum / double(seen) : 0.0;
    llvm::outs() << llvm::format("epoch %lld: train loss %.4f, test loss %.4f, "
                                 "test accuracy %.4f\n",
                                 (long long)epoch, trainLoss, eval->loss,
                                 eval->accuracy);
    metrics.write(llvm::json::Object{{"event", "epoch"},
                                     {"epoch", epoch},
                                     {"step", step->steps()},
                                     {"train_loss", trainLoss},
                                     {"test_loss", eval->loss},
                                     {"test_accuracy", eval->accuracy},
                                     {"seconds", secondsSince(epochStart)}});
    if (options.steps && done == options.steps)
      break;
  }
  if (!evaluated) { // resumed after the last epoch: just report
    auto eval =
        evaluate(m, options.loss, *test, input, evalBatch(options.batch));
    if (!eval)
      return fail(eval.message());
    last = *eval;
  }
  if (!options.save.empty()) {
    if (dlrt::Status s = step->save(options.save); !s)
      return fail(s.message());
    llvm::outs() << "saved " << options.save << "\n";
  }
  if (options.profile)
    llvm::outs() << dlrt::profile::report();
  llvm::outs() << llvm::format("test accuracy: %.4f\n", last.accuracy);
  return 0;
}
