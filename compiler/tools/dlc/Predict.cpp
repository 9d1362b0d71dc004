//===- Predict.cpp - `dlc predict` ----------------------------------------===//
//
// Class probabilities of `forward` for a file of images: the softmax is a
// compiled function (`forward.probabilities`); the driver only ranks them.
//
//===----------------------------------------------------------------------===//
#include "Train.h"
#include "TrainData.h"

#include "dlrt/Idx.h"
#include "dlrt/Npy.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <numeric>

using namespace dlc;

namespace {

/// Images as f32 [N, ...]: integer pixels (IDX bytes, uint8 or int .npy)
/// are scaled to [0, 1]; then (x - mean) / std, as for training.
dlrt::Expected<dl::Tensor> loadImages(const std::string &path, double mean,
                                      double stddev) {
  dlrt::Expected<dl::Tensor> raw = llvm::StringRef(path).ends_with(".npy")
                                       ? dlrt::readNpy(path)
                                       : dlrt::readIdxU8(path);
  if (!raw)
    return raw.status();
  if (raw->rank() < 2 || raw->dtype() == dl::DType::Bool ||
      raw->dtype() == dl::DType::I64)
    return dlrt::Status::error(path +
                               ": expected images [N, ...] of uint8, "
                               "int32 or float, got " +
                               raw->typeString());
  dl::Tensor x(dl::DType::F32, raw->shape());
  for (int64_t i = 0; i < x.numElements(); ++i) {
    double v = raw->dtype() == dl::DType::F32 ? raw->data<float>()[i]
               : raw->dtype() == dl::DType::F64
                   ? raw->data<double>()[i]
                   : raw->data<int32_t>()[i] / 255.0;
    x.data<float>()[i] = static_cast<float>((v - mean) / stddev);
  }
  return x;
}

} // namespace

int dlc::predict(const std::string &file, const std::string &checkpoint,
                 const std::string &input, int64_t top, double mean,
                 double stddev, unsigned threads) {
  if (top < 1)
    return fail("--top must be positive");
  auto images = loadImages(input, mean, stddev);
  if (!images)
    return fail(images.message());
  dl::CompilerOptions options;
  options.probabilitiesOf = "forward";
  options.threads = threads;
  std::optional<dl::Module> model =
      loadModel(file, options, checkpoint, /*seed=*/0);
  if (!model)
    return 1;
  dl::Module &m = *model;
  const dl::FunctionInfo *fn = m.function("forward.probabilities");
  if (!fn || fn->arguments.size() != 1)
    return fail(file + ": `dlc predict` needs `fn forward(x) -> f32[N, C]`");
  int64_t n = images->dim(0), pixels = images->numElements() / n;
  auto shape = batchShape(fn->arguments[0], n, pixels);
  if (!shape)
    return fail(input + ": " + shape.message());
  dl::Tensor x(dl::DType::F32, *shape);
  std::copy(images->data<float>(), images->data<float>() + n * pixels,
            x.data<float>());
  auto probs = m.call("forward.probabilities", {x});
  if (!probs)
    return fail(probs.message());
  int64_t classes = probs->dim(1);
  int64_t k = std::min(top, classes);
  for (int64_t i = 0; i < n; ++i) {
    const float *p = probs->data<float>() + i * classes;
    std::vector<int64_t> rank(classes);
    std::iota(rank.begin(), rank.end(), 0);
    // Most probable first; ties by class index (a total order: any sort
    // gives the same ranking).
    std::sort(rank.begin(), rank.end(), [&](int64_t a, int64_t b) {
      return p[a] > p[b] || (p[a] == p[b] && a < b);
    });
    llvm::outs() << i << ":";
    for (int64_t j = 0; j < k; ++j)
      llvm::outs() << llvm::format(" %lld (%.4f)", (long long)rank[j],
                                   p[rank[j]]);
    llvm::outs() << "\n";
  }
  return 0;
}
