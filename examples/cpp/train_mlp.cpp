//===- train_mlp.cpp - training examples/mlp.dl from C++ ------------------===//
//
// A program of your own that owns the training loop: compile the model with
// a train step, feed it batches, read parameters by name, checkpoint, and
// measure the accuracy with a compiled function. Usage:
//
//   train_mlp MODEL.dl [DATA_DIR [STEPS [CHECKPOINT]]]
//
// DATA_DIR defaults to Debian's Fashion-MNIST, STEPS to one epoch (938).
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"
#include "dlrt/Datasets.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "train_mlp: %s\n", message.c_str());
  return 1;
}

/// Rows [begin, end) of a data set, flattened to [n, 784] for the MLP.
void batch(const dlrt::ImageDataset &set, int64_t begin, int64_t end,
           dl::Tensor &x, dl::Tensor &y) {
  x = dl::Tensor(dl::DType::F32, {end - begin, 784});
  y = dl::Tensor(dl::DType::I64, {end - begin});
  set.copyImages(begin, end - begin, x.data<float>());
  std::memcpy(y.data<int64_t>(), set.labels.data<int64_t>() + begin,
              (end - begin) * sizeof(int64_t));
}

double accuracy(dl::Module &net, const dlrt::ImageDataset &test) {
  double hits = 0;
  int64_t n = test.size();
  for (int64_t begin = 0; begin < n; begin += 1000) {
    int64_t end = std::min(n, begin + 1000);
    dl::Tensor x, y;
    batch(test, begin, end, x, y);
    auto acc = net.call("forward.accuracy", {x, y});
    if (!acc)
      return -1;
    hits += double(acc->data<float>()[0]) * double(end - begin);
  }
  return hits / double(n);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return fail("usage: train_mlp MODEL.dl [DATA_DIR [STEPS [CHECKPOINT]]]");
  std::string dir = argc > 2 ? argv[2] : "/usr/share/datasets/fashion-mnist";
  int64_t steps = argc > 3 ? std::atoll(argv[3]) : 938;
  std::string checkpoint = argc > 4 ? argv[4] : "";

  auto train = dlrt::loadDataset("fashion-mnist:" + dir, "train", 0.5, 0.5);
  auto test = dlrt::loadDataset("fashion-mnist:" + dir, "test", 0.5, 0.5);
  if (!train || !test)
    return fail(train ? test.message() : train.message());

  // One compilation gives `loss.step` (forward, backward, Adam) and
  // `forward.accuracy`, both JIT-compiled for this machine.
  dl::CompilerOptions options;
  options.trainFunction = "loss";
  options.optimizer.kind = dl::OptimizerConfig::Kind::Adam;
  options.optimizer.lr = 1e-3;
  options.accuracyOf = "forward";
  dl::Compiler compiler(options);
  dl::CompileResult compiled = compiler.compileFile(argv[1]);
  if (!compiled.ok())
    return fail(compiled.errors());
  dl::Module &net = *compiled.module;
  net.initParameters(/*seed=*/0);
  auto step = net.trainStep();
  if (!step)
    return fail(step.message());

  int64_t n = train->size();
  for (int64_t s = 0; s < steps; ++s) {
    int64_t begin = (s * 64) % n, end = std::min(n, begin + 64);
    dl::Tensor x, y;
    batch(*train, begin, end, x, y);
    auto loss = step->run({x, y});
    if (!loss)
      return fail(loss.message());
    if ((s + 1) % 100 == 0 || s + 1 == steps)
      std::printf("step %lld loss %.4f\n", (long long)(s + 1), *loss);
  }
  // Parameters by name, as PyTorch's state dict names them.
  const dl::Tensor *w = net.parameter("fc1.weight");
  std::printf("fc1.weight is %s\n", w->typeString().c_str());
  double acc = accuracy(net, *test);
  std::printf("test accuracy: %.4f\n", acc);

  if (!checkpoint.empty()) {
    // Save, then load into a second module: the same accuracy.
    if (dlrt::Status s = step->save(checkpoint); !s)
      return fail(s.message());
    dl::CompileResult again = compiler.compileFile(argv[1]);
    if (!again.ok())
      return fail(again.errors());
    if (dlrt::Status s = again.module->loadParameters(checkpoint); !s)
      return fail(s.message());
    double reloaded = accuracy(*again.module, *test);
    std::printf("reloaded accuracy: %.4f\n", reloaded);
    if (reloaded != acc)
      return fail("the reloaded weights give another accuracy");
  }
  return 0;
}
