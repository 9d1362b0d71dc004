//===- CompareTargets.cpp - one program, two targets, same numbers --------===//
//
// `dlc compare-targets FILE.dl --target cuda` (or `cuda-emulator`: the same
// GPU kernels run on the CPU) compiles FILE for the CPU (the
// reference) and for the target, with gradients and, if the file has a
// `loss(x, labels)`, a training step (SGD with momentum); it runs every
// function on the same seeded parameters and synthetic inputs, compares every
// result and every gradient, then three training steps' losses, updated
// parameters and momentum buffers.
//
// Tolerance, per element: |target - cpu| <= atol + rtol * |cpu| with
// atol = 1e-5 and rtol = 1e-4 in f32. The targets differ only in rounding:
// the GPU's exp/log/tanh come from libdevice (<= 2 ulp, LLVM's libm calls on
// the CPU differ likewise) and NVPTX contracts a*b+c into fused multiply-adds,
// each worth about one ulp (6e-8 relative) per operation; a few hundred
// such roundings along a reduction of length 784 stay well below 1e-4. The
// GPU kernels also sum in other orders (32 lanes of a warp, 16-wide tiles,
// sums split over warps or blocks and added atomically): each order's error
// is bounded by n eps sum |x_i|, which for the inputs here (values of one
// sign or of comparable size) is of the same order as the FMA's.
// Integer results (argmax, labels) must be equal.
//
//===----------------------------------------------------------------------===//
#include "TrainData.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace {

constexpr double kAtol = 1e-5, kRtol = 1e-4;

double asDouble(const dl::Tensor &t, int64_t i) {
  switch (t.dtype()) {
  case dl::DType::F32:
    return t.data<float>()[i];
  case dl::DType::F64:
    return t.data<double>()[i];
  case dl::DType::I32:
    return t.data<int32_t>()[i];
  case dl::DType::I64:
    return static_cast<double>(t.data<int64_t>()[i]);
  case dl::DType::Bool:
    return t.data<bool>()[i];
  }
  return 0;
}

/// The worst ratio of the difference to its allowance (<= 1 passes).
double worstRatio(const dl::Tensor &want, const dl::Tensor &got) {
  if (want.shape() != got.shape() || want.dtype() != got.dtype())
    return INFINITY;
  bool exact = want.dtype() != dl::DType::F32 && want.dtype() != dl::DType::F64;
  double worst = 0;
  for (int64_t i = 0; i < want.numElements(); ++i) {
    double a = asDouble(want, i), b = asDouble(got, i);
    if (std::isnan(a) != std::isnan(b))
      return INFINITY;
    if (std::isnan(a))
      continue;
    double diff = std::fabs(a - b);
    double ratio = exact ? (diff == 0 ? 0 : INFINITY)
                         : diff / (kAtol + kRtol * std::fabs(a));
    worst = std::max(worst, ratio);
  }
  return worst;
}

struct Report {
  bool allOk = true;
  void line(const std::string &what, double ratio) {
    bool ok = ratio <= 1;
    allOk &= ok;
    llvm::outs() << llvm::format("  %-44s %9.3g  %s\n", what.c_str(), ratio,
                                 ok ? "ok" : "DIFFERS");
  }
};

} // namespace

int dlc::compareTargets(const std::string &file, uint64_t seed,
                        const std::vector<std::string> &binds) {
  if (targetChoice().name == "cpu")
    return fail("compare-targets compares the CPU with --target (cuda or "
                "cuda-emulator)");
  dl::CompilerOptions options;
  options.gradients = true;
  // Train `loss` when there is one (parsing tells).
  auto declared = dl::Compiler::declaredFunctions(file);
  if (!declared) {
    llvm::errs() << declared.message();
    return 1;
  }
  bool train = llvm::any_of(*declared, [](const dl::FunctionInfo &f) {
    return f.name == "loss" && f.arguments.size() == 2 &&
           f.result.dtype == dl::DType::F32;
  });
  // SGD with momentum: the update is linear in the gradient, so parameters
  // after a few steps differ like the gradients do. (Adam divides by the
  // root of the second moment, which turns rounding noise in a gradient that
  // is zero in exact arithmetic, such as an attention key bias, into steps of
  // the full learning rate.)
  if (train) {
    options.trainFunction = "loss";
    options.optimizer.kind = dl::OptimizerConfig::Kind::SGD;
    options.optimizer.momentum = 0.9;
    options.optimizer.lr = 0.01;
  }
  std::optional<dl::Module> cpu = compileModel(file, options);
  if (!cpu || !applyTarget(options))
    return 1;
  std::optional<dl::Module> other = compileModel(file, options);
  if (!other)
    return 1;
  cpu->initParameters(seed);
  other->initParameters(seed);
  llvm::outs() << file << ": " << targetChoice().name
               << " vs cpu, worst |diff| / (" << kAtol << " + " << kRtol
               << " |cpu|) per result\n";
  Report report;
  for (const dl::FunctionInfo &fn : cpu->functions()) {
    if (llvm::StringRef(fn.name).ends_with(".step"))
      continue;
    auto inputs = makeSyntheticInputs(fn, seed, false, binds);
    if (!inputs)
      return fail(inputs.message());
    auto want = cpu->callAll(fn.name, *inputs);
    auto got = other->callAll(fn.name, *inputs);
    if (!want)
      return fail(want.message());
    if (!got)
      return fail(fn.name + " on " + targetChoice().name + ": " +
                  got.message());
    for (size_t k = 0; k < want->size(); ++k)
      report.line(fn.name +
                      (want->size() > 1 ? "[" + std::to_string(k) + "]" : ""),
                  worstRatio((*want)[k], (*got)[k]));
  }
  if (train) {
    auto stepCpu = cpu->trainStep();
    auto stepOther = other->trainStep();
    if (!stepCpu || !stepOther)
      return fail((stepCpu ? stepOther : stepCpu).message());
    std::vector<std::string> stepBinds(binds);
    stepBinds.push_back("B=16");
    auto inputs =
        makeSyntheticInputs(*cpu->function("loss"), seed, false, stepBinds);
    if (!inputs)
      return fail(inputs.message());
    for (int s = 0; s < 3; ++s) {
      auto a = stepCpu->run(*inputs);
      auto b = stepOther->run(*inputs);
      if (!a || !b)
        return fail((a ? b : a).message());
      dl::Tensor la(dl::DType::F64, {}), lb(dl::DType::F64, {});
      la.data<double>()[0] = *a;
      lb.data<double>()[0] = *b;
      report.line("loss.step " + std::to_string(s + 1) + " loss",
                  worstRatio(la, lb));
    }
    for (const std::string &name : cpu->parameterNames())
      report.line("after 3 steps: " + name,
                  worstRatio(*cpu->parameter(name), *other->parameter(name)));
    for (size_t k = 0; k < stepCpu->state().size(); ++k)
      report.line("after 3 steps: optimizer." + stepCpu->stateNames()[k],
                  worstRatio(stepCpu->state()[k], stepOther->state()[k]));
  }
  llvm::outs() << (report.allOk ? "the targets agree\n"
                                : "the targets DISAGREE\n");
  return report.allOk ? 0 : 1;
}
