//===- Datasets.cpp - CIFAR-10, .npy pairs, and the KIND:DIR dispatcher ---===//
#include "dlrt/Datasets.h"
#include "dlrt/FileIO.h"
#include "dlrt/Npy.h"

#include <cstring>

namespace dlrt {

namespace {

constexpr int64_t kCifarPixels = 3 * 32 * 32;
constexpr int64_t kCifarRecord = 1 + kCifarPixels;

Status normalisationError(double stddev) {
  if (stddev > 0)
    return Status();
  return Status::error(
      "the normalisation's standard deviation must be positive");
}

} // namespace

Expected<ImageDataset> loadCifar10(const std::string &dir,
                                   const std::string &split, double mean,
                                   double stddev) {
  if (Status s = normalisationError(stddev); !s)
    return s;
  std::vector<std::string> files;
  if (split == "train") {
    for (int i = 1; i <= 5; ++i)
      files.push_back(dir + "/data_batch_" + std::to_string(i) + ".bin");
  } else {
    files.push_back(dir + "/test_batch.bin");
  }
  std::vector<std::string> contents;
  int64_t n = 0;
  for (const std::string &path : files) {
    Expected<std::string> bytes = readFile(path);
    if (!bytes)
      return bytes.status();
    if (bytes->empty() || bytes->size() % kCifarRecord != 0)
      return Status::error(
          path + ": " + std::to_string(bytes->size()) +
          " bytes is not a whole number of 3073-byte CIFAR-10 records "
          "(truncated? the last record starts at byte offset " +
          std::to_string(bytes->size() / kCifarRecord * kCifarRecord) + ")");
    n += static_cast<int64_t>(bytes->size()) / kCifarRecord;
    contents.push_back(std::move(*bytes));
  }
  // The pixels without the label bytes between records, kept as bytes.
  std::string pixels(static_cast<size_t>(n * kCifarPixels), '\0');
  ImageDataset set = ImageDataset::ofBytes({}, 0, n, {3, 32, 32}, mean, stddev);
  if (set.labels.empty())
    return Status::error(files[0] + ": out of memory");
  int64_t row = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    const auto *p = reinterpret_cast<const unsigned char *>(contents[f].data());
    int64_t records = static_cast<int64_t>(contents[f].size()) / kCifarRecord;
    for (int64_t r = 0; r < records; ++r, ++row) {
      const unsigned char *rec = p + r * kCifarRecord;
      if (rec[0] > 9)
        return Status::error(files[f] + ": byte offset " +
                             std::to_string(r * kCifarRecord) + ": label " +
                             std::to_string(rec[0]) + " is not below 10");
      set.labels.data<int64_t>()[row] = rec[0];
      std::memcpy(&pixels[static_cast<size_t>(row * kCifarPixels)], rec + 1,
                  kCifarPixels);
    }
    contents[f].clear();
    contents[f].shrink_to_fit();
  }
  set.bytes = std::move(pixels);
  return set;
}

Expected<ImageDataset> loadNpyDataset(const std::string &dir,
                                      const std::string &split, double mean,
                                      double stddev) {
  if (Status s = normalisationError(stddev); !s)
    return s;
  std::string imagesPath = dir + "/" + split + "_images.npy";
  std::string labelsPath = dir + "/" + split + "_labels.npy";
  Expected<Tensor> images = readNpy(imagesPath);
  if (!images)
    return images.status();
  Expected<Tensor> labels = readNpy(labelsPath);
  if (!labels)
    return labels.status();
  if (images->rank() < 2 || images->dtype() == DType::Bool)
    return Status::error(imagesPath + ": expected [N, ...] numbers, got " +
                         images->typeString());
  if (labels->rank() != 1 ||
      (labels->dtype() != DType::I32 && labels->dtype() != DType::I64))
    return Status::error(labelsPath + ": expected [N] integer labels, got " +
                         labels->typeString());
  int64_t n = images->dim(0);
  if (labels->dim(0) != n)
    return Status::error(imagesPath + " holds " + std::to_string(n) +
                         " images but " + labelsPath + " holds " +
                         std::to_string(labels->dim(0)) + " labels");
  ImageDataset set;
  set.shape = images->shape();
  set.floats = Tensor(DType::F32, images->shape());
  set.labels = Tensor(DType::I64, {n});
  if (set.floats.empty() || set.labels.empty())
    return Status::error(imagesPath + ": out of memory");
  float *dst = set.floats.data<float>();
  int64_t count = images->numElements();
  for (int64_t i = 0; i < count; ++i) {
    double x;
    switch (images->dtype()) {
    case DType::F32:
      x = images->data<float>()[i];
      break;
    case DType::F64:
      x = images->data<double>()[i];
      break;
    case DType::I32:
      x = images->data<int32_t>()[i] / 255.0;
      break;
    default:
      x = double(images->data<int64_t>()[i]) / 255.0;
      break;
    }
    dst[i] = static_cast<float>((x - mean) / stddev);
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t y = labels->dtype() == DType::I32 ? labels->data<int32_t>()[i]
                                              : labels->data<int64_t>()[i];
    if (y < 0)
      return Status::error(labelsPath + ": label " + std::to_string(i) +
                           " is negative (" + std::to_string(y) + ")");
    set.labels.data<int64_t>()[i] = y;
  }
  return set;
}

Expected<ImageDataset> loadDataset(const std::string &spec,
                                   const std::string &split, double mean,
                                   double stddev) {
  size_t colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  std::string dir = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (colon == std::string::npos || dir.empty())
    return Status::error("malformed data set '" + spec +
                         "' (expected KIND:DIR)");
  if (kind == "fashion-mnist" || kind == "mnist")
    return loadMnistFormat(dir, split == "train" ? "train" : "t10k", mean,
                           stddev);
  if (kind == "cifar10")
    return loadCifar10(dir, split, mean, stddev);
  if (kind == "npy")
    return loadNpyDataset(dir, split, mean, stddev);
  return Status::error("unknown data set kind '" + kind +
                       "' (expected fashion-mnist, mnist, cifar10 or npy)");
}

} // namespace dlrt
