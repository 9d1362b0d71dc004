//===- infer_bench.cpp - dlc's side of bench/inference.sh -----------------===//
//
// Inference throughput of a model's `forward`, compiled through the C++ API
// as a user would: Fashion-MNIST test images in batches of BATCH, timed after
// three warm-up calls for at least two seconds. Prints `images/s: X`.
//
//   dlc-infer-bench MODEL.dl BATCH THREADS IMAGE_SHAPE
//
// IMAGE_SHAPE is the shape of one image in `forward`'s input: `1x28x28` (the
// CNNs) or `784` (the MLP).
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"
#include "dlrt/Datasets.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char **argv) {
  if (argc != 5) {
    std::fprintf(stderr,
                 "usage: dlc-infer-bench MODEL.dl BATCH THREADS 1x28x28|784\n");
    return 2;
  }
  int64_t batch = std::atoll(argv[2]);
  unsigned threads = static_cast<unsigned>(std::atoi(argv[3]));
  bool flat = std::string(argv[4]) == "784";
  auto test = dlrt::loadDataset(
      "fashion-mnist:/usr/share/datasets/fashion-mnist", "test", 0.5, 0.5);
  if (!test) {
    std::fprintf(stderr, "dlc-infer-bench: %s\n", test.message().c_str());
    return 1;
  }
  dl::CompilerOptions options;
  options.threads = threads;
  dl::Compiler compiler(options);
  dl::CompileResult compiled = compiler.compileFile(argv[1]);
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s", compiled.errors().c_str());
    return 1;
  }
  dl::Module &net = *compiled.module;
  net.initParameters(/*seed=*/0);

  int64_t images = test->size();
  auto batchAt = [&](int64_t i) {
    int64_t begin = (i * batch) % (images - batch + 1);
    dl::Tensor x = flat ? dl::Tensor(dl::DType::F32, {batch, 784})
                        : dl::Tensor(dl::DType::F32, {batch, 1, 28, 28});
    test->copyImages(begin, batch, x.data<float>());
    return x;
  };
  // Inputs prepared up front: the loop times `forward` alone.
  std::vector<dl::Tensor> inputs;
  for (int64_t i = 0; i < 16; ++i)
    inputs.push_back(batchAt(i));
  for (int i = 0; i < 3; ++i)
    if (auto r = net.call("forward", {inputs[i % 16]}); !r) {
      std::fprintf(stderr, "dlc-infer-bench: %s\n", r.message().c_str());
      return 1;
    }
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  int64_t calls = 0;
  double seconds = 0;
  while (seconds < 2.0 || calls < 5) {
    auto r = net.call("forward", {inputs[calls % 16]});
    if (!r) {
      std::fprintf(stderr, "dlc-infer-bench: %s\n", r.message().c_str());
      return 1;
    }
    ++calls;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::printf("images/s: %.1f\n", double(calls * batch) / seconds);
  return 0;
}
