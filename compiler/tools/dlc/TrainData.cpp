//===- TrainData.cpp - batches of a data set for the compiled functions ---===//
#include "TrainData.h"

#include "dlrt/Random.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <numeric>

using namespace dlc;

int dlc::fail(const std::string &message) {
  llvm::errs() << "dlc: error: " << message << "\n";
  return 1;
}

std::optional<dl::Module> dlc::loadModel(const std::string &file,
                                         const dl::CompilerOptions &options,
                                         const std::string &checkpoint,
                                         uint64_t seed) {
  dl::CompilerOptions withTarget = options;
  if (!applyTarget(withTarget))
    return std::nullopt;
  std::optional<dl::Module> compiled = compileModel(file, withTarget);
  if (!compiled)
    return std::nullopt;
  dl::Module &m = *compiled;
  m.initParameters(seed);
  if (!checkpoint.empty())
    if (dlrt::Status s = m.loadParameters(checkpoint); !s) {
      fail(s.message());
      return std::nullopt;
    }
  return compiled;
}

std::optional<dl::Module>
dlc::compileModel(const std::string &file, const dl::CompilerOptions &options) {
  dl::CompileResult compiled = dl::Compiler(options).compileFile(file);
  if (!compiled.ok()) {
    llvm::errs() << compiled.errors();
    return std::nullopt;
  }
  return std::move(compiled.module);
}

dlrt::Expected<dlrt::Shape> dlc::batchShape(const dl::ArgumentInfo &arg,
                                            int64_t n, int64_t pixels) {
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
                               std::to_string(pixels) + "-value images");
  return shape;
}

void dlc::gather(const dlrt::ImageDataset &set,
                 const std::vector<int64_t> &order, int64_t begin, int64_t end,
                 dl::Tensor &x, dl::Tensor &y) {
  int64_t pixels = set.pixelsPerImage();
  for (int64_t i = begin; i < end; ++i) {
    int64_t row = order[i];
    set.copyImages(row, 1, x.data<float>() + (i - begin) * pixels);
    y.data<int64_t>()[i - begin] = set.labels.data<int64_t>()[row];
  }
}

std::vector<int64_t> dlc::epochOrder(int64_t n, int64_t epoch, uint64_t seed,
                                     bool shuffle) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle)
    for (int64_t i = n - 1; i > 0; --i) {
      double u = dlrt::uniform01(seed, dlrt::streamOf("shuffle"),
                                 uint64_t(epoch) * uint64_t(n) + uint64_t(i));
      std::swap(order[i], order[int64_t(u * double(i + 1))]);
    }
  return order;
}

dlrt::Expected<Evaluation> dlc::evaluate(dl::Module &m,
                                         const std::string &lossFn,
                                         const dlrt::ImageDataset &set,
                                         const dl::ArgumentInfo &input,
                                         int64_t batch) {
  int64_t n = set.size(), pixels = set.pixelsPerImage();
  std::vector<int64_t> order = epochOrder(n, 0, 0, false);
  Evaluation e;
  for (int64_t begin = 0; begin < n; begin += batch) {
    int64_t end = std::min(n, begin + batch);
    auto shape = batchShape(input, end - begin, pixels);
    if (!shape)
      return shape.status();
    dl::Tensor x(dl::DType::F32, *shape), y(dl::DType::I64, {end - begin});
    gather(set, order, begin, end, x, y);
    auto both = m.callAll(lossFn + ".evaluate", {x, y});
    if (!both)
      return both.status();
    e.loss += double((*both)[0].data<float>()[0]) * double(end - begin);
    e.accuracy += double((*both)[1].data<float>()[0]) * double(end - begin);
  }
  e.loss /= double(n);
  e.accuracy /= double(n);
  return e;
}

dlrt::Expected<std::vector<dl::Tensor>>
dlc::makeSyntheticInputs(const dl::FunctionInfo &fn, uint64_t seed,
                         bool requireBind,
                         const std::vector<std::string> &binds) {
  std::map<std::string, int64_t> bound;
  for (const std::string &b : binds) {
    auto [sym, value] = llvm::StringRef(b).split('=');
    int64_t n;
    if (sym.empty() || value.getAsInteger(10, n) || n < 0)
      return dlrt::Status::error("malformed --bind '" + b +
                                 "' (expected SYM=N)");
    bound[sym.str()] = n;
  }
  std::vector<dl::Tensor> inputs;
  for (const dl::ArgumentInfo &arg : fn.arguments) {
    dlrt::Shape shape;
    for (size_t d = 0; d < arg.dims.size(); ++d) {
      if (arg.dims[d] >= 0) {
        shape.push_back(arg.dims[d]);
        continue;
      }
      auto it = bound.find(arg.symbols[d]);
      if (it == bound.end()) {
        if (requireBind)
          return dlrt::Status::error(
              "argument '" + arg.name + "' has symbolic dimension '" +
              arg.symbols[d] + "': give it with --bind " + arg.symbols[d] +
              "=N");
        shape.push_back(2);
        continue;
      }
      shape.push_back(it->second);
    }
    dl::Tensor t(arg.dtype, shape);
    if (t.empty())
      return dlrt::Status::error("cannot allocate input '" + arg.name + "'");
    if (arg.dtype == dl::DType::F32 || arg.dtype == dl::DType::F64)
      dlrt::fillUniform(t, requireBind ? 0.0 : -1.0, 1.0, seed,
                        dlrt::streamOf("input:" + arg.name));
    inputs.push_back(t);
  }
  return inputs;
}

dlc::TargetChoice &dlc::targetChoice() {
  static TargetChoice choice;
  return choice;
}

bool dlc::applyTarget(dl::CompilerOptions &options) {
  const TargetChoice &c = targetChoice();
  if (c.optLevel > 3) {
    fail("--opt-level must be 0, 1, 2 or 3");
    return false;
  }
  options.optLevel = c.optLevel;
  options.fusion = c.fusion;
  std::optional<dl::GPUMatmul> matmul = dl::parseGPUMatmul(c.gpuMatmul);
  if (!matmul) {
    fail("unknown --gpu-matmul '" + c.gpuMatmul + "' (fp32, tf32 or 3xtf32)");
    return false;
  }
  options.gpuMatmul = *matmul;
  if (c.name == "cpu") {
    options.target = dl::Target::CPU;
  } else if (c.name == "cuda") {
    options.target = dl::Target::CUDA;
    options.gpuArch = c.gpuArch;
  } else if (c.name == "cuda-emulator") {
    options.target = dl::Target::CUDAEmulator;
    options.emulateReversed = c.emulateReversed;
  } else {
    fail("unknown --target '" + c.name + "' (cpu, cuda or cuda-emulator)");
    return false;
  }
  return true;
}
