//===- kernel_bench.cpp - dlc's side of bench/kernels.sh ------------------===//
//
// GFLOP/s of the kernels dlc generates for the seed CNN's products and
// convolution, each compiled from a one-line .dl function with profiling on
// and called (after three warm-up calls) for at least two seconds. The time
// is the runtime's per-kernel profile summed over every kernel of the call
// (the product, the accumulator's fill, the convolution's window copy and
// transposed weights included), i.e. everything the compiler generated, but
// not Module::call's copy of the result into a fresh dl::Tensor. Prints one
// line per shape: `NAME GFLOP/s`.
//
//   dlc-kernel-bench THREADS
//
//===----------------------------------------------------------------------===//
#include "dl/Compiler.h"
#include "dlrt/Profile.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Shape {
  const char *name;
  std::string source;
  std::vector<dl::Shape> inputs;
  double flops;
};

dl::Tensor filled(const dl::Shape &shape) {
  dl::Tensor t(dl::DType::F32, shape);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = float((i * 7919) % 1000) / 1000.0f - 0.5f;
  return t;
}

} // namespace

int main(int argc, char **argv) {
  unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 1;
  // fc1 of the seed CNN at batch 64: forward x @ W^T, the input gradient
  // g @ W and the weight gradient g^T @ x; its convolution (1 -> 64
  // channels, 3x3, padding 1, 28x28, batch 64).
  std::vector<Shape> shapes = {
      {"fc1_forward_64x12544x128",
       "fn f(x: f32[64, 12544], w: f32[128, 12544]) -> f32[64, 128] "
       "{ return x @ transpose(w, 0, 1); }",
       {{64, 12544}, {128, 12544}},
       2.0 * 64 * 12544 * 128},
      {"fc1_input_grad_64x128x12544",
       "fn f(g: f32[64, 128], w: f32[128, 12544]) -> f32[64, 12544] "
       "{ return g @ w; }",
       {{64, 128}, {128, 12544}},
       2.0 * 64 * 12544 * 128},
      {"fc1_weight_grad_128x64x12544",
       "fn f(g: f32[64, 128], x: f32[64, 12544]) -> f32[128, 12544] "
       "{ return transpose(g, 0, 1) @ x; }",
       {{64, 128}, {64, 12544}},
       2.0 * 64 * 12544 * 128},
      {"conv1_64x1x28x28_to_64ch_3x3",
       "fn f(x: f32[64, 1, 28, 28], w: f32[64, 1, 3, 3]) -> "
       "f32[64, 64, 28, 28] { return conv2d(x, w, padding=1); }",
       {{64, 1, 28, 28}, {64, 1, 3, 3}},
       2.0 * 64 * 64 * 28 * 28 * 9},
  };
  dl::CompilerOptions options;
  options.threads = threads;
  options.profile = true;
  dl::Compiler compiler(options);
  for (const Shape &s : shapes) {
    dl::CompileResult c = compiler.compileString(s.source, "kernel.dl");
    if (!c.ok()) {
      std::fprintf(stderr, "%s", c.errors().c_str());
      return 1;
    }
    std::vector<dl::Tensor> in;
    for (const dl::Shape &shape : s.inputs)
      in.push_back(filled(shape));
    for (int i = 0; i < 3; ++i)
      if (auto r = c.module->call("f", in); !r) {
        std::fprintf(stderr, "%s\n", r.message().c_str());
        return 1;
      }
    using Clock = std::chrono::steady_clock;
    dlrt::profile::reset();
    auto start = Clock::now();
    int64_t calls = 0;
    double seconds = 0;
    while (seconds < 2.0 || calls < 5) {
      (void)c.module->call("f", in);
      ++calls;
      seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
    double kernelSeconds = 0;
    for (const dlrt::profile::KernelTime &k : dlrt::profile::kernels())
      kernelSeconds += double(k.nanoseconds) / 1e9;
    std::printf("%s %.1f\n", s.name,
                s.flops * double(calls) / kernelSeconds / 1e9);
  }
  return 0;
}
