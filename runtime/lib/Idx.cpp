//===- Idx.cpp - MNIST-format IDX files and image data sets ---------------===//
#include "dlrt/Idx.h"

#include <zlib.h>

#include <cstring>
#include <sys/stat.h>

namespace dlrt {
namespace {

Status idxError(const std::string &name, size_t offset,
                const std::string &what) {
  return Status::error(name + ": byte " + std::to_string(offset) + ": " + what);
}

uint32_t bigEndian32(const std::string &b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) |
         (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace

Expected<std::string> readMaybeGzip(const std::string &path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    return Status::error("cannot open '" + path + "'");
  std::string bytes;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(f, buffer, sizeof buffer)) > 0)
    bytes.append(buffer, static_cast<size_t>(n));
  int err = 0;
  std::string reason = n < 0 ? gzerror(f, &err) : "";
  gzclose(f);
  if (n < 0)
    return Status::error("cannot read '" + path + "': " + reason +
                         " (corrupt or truncated gzip data)");
  return bytes;
}

namespace {

/// The shape an IDX file of unsigned bytes declares, after checking that
/// the data that follows its header (`headerSize` bytes) is exactly that.
Expected<Shape> idxU8Shape(const std::string &bytes, const std::string &name,
                           size_t &headerSize) {
  if (bytes.size() < 4)
    return idxError(name, 0, "file too short for an IDX header");
  if (bytes[0] != 0 || bytes[1] != 0)
    return idxError(name, 0, "not an IDX file (bad magic)");
  if (uint8_t(bytes[2]) != 0x08)
    return idxError(name, 2,
                    "unsupported IDX element type 0x" +
                        std::to_string(uint8_t(bytes[2])) +
                        " (expected 0x08, unsigned bytes)");
  size_t rank = uint8_t(bytes[3]);
  if (rank == 0 || rank > 4)
    return idxError(name, 3,
                    "unsupported number of dimensions " + std::to_string(rank));
  headerSize = 4 + 4 * rank;
  if (bytes.size() < headerSize)
    return idxError(name, 4, "truncated header");
  Shape shape;
  unsigned __int128 count = 1;
  for (size_t d = 0; d < rank; ++d) {
    uint32_t size = bigEndian32(bytes, 4 + 4 * d);
    shape.push_back(size);
    count *= size;
  }
  size_t available = bytes.size() - headerSize;
  if (count != available)
    return idxError(name, headerSize,
                    "the header promises " + std::to_string(uint64_t(count)) +
                        " bytes of data (shape " + shapeString(shape) +
                        ") but the file holds " + std::to_string(available));
  return shape;
}

} // namespace

Expected<Tensor> parseIdxU8(const std::string &bytes, const std::string &name) {
  size_t headerSize = 0;
  Expected<Shape> shape = idxU8Shape(bytes, name, headerSize);
  if (!shape)
    return shape.status();
  size_t available = bytes.size() - headerSize;
  Tensor t(DType::I32, *shape);
  if (t.empty())
    return Status::error(name + ": out of memory");
  int32_t *out = t.data<int32_t>();
  for (size_t i = 0; i < available; ++i)
    out[i] = uint8_t(bytes[headerSize + i]);
  return t;
}

Expected<Tensor> readIdxU8(const std::string &path) {
  Expected<std::string> bytes = readMaybeGzip(path);
  if (!bytes)
    return bytes.status();
  return parseIdxU8(*bytes, path);
}

ImageDataset ImageDataset::ofBytes(std::string pixels, size_t offset, int64_t n,
                                   const Shape &imageShape, double mean,
                                   double stddev) {
  ImageDataset set;
  set.shape = {n};
  set.shape.insert(set.shape.end(), imageShape.begin(), imageShape.end());
  set.bytes = std::move(pixels);
  set.byteOffset = offset;
  for (int v = 0; v < 256; ++v)
    set.normalised[v] = static_cast<float>((v / 255.0 - mean) / stddev);
  set.labels = Tensor(DType::I64, {n});
  return set;
}

int64_t ImageDataset::pixelsPerImage() const {
  int64_t p = 1;
  for (size_t d = 1; d < shape.size(); ++d)
    p *= shape[d];
  return p;
}

void ImageDataset::copyImages(int64_t first, int64_t count, float *dst) const {
  int64_t pixels = pixelsPerImage();
  if (bytes.empty()) {
    std::memcpy(dst, floats.data<float>() + first * pixels,
                static_cast<size_t>(count * pixels) * sizeof(float));
    return;
  }
  const auto *src = reinterpret_cast<const unsigned char *>(bytes.data()) +
                    byteOffset + first * pixels;
  for (int64_t i = 0; i < count * pixels; ++i)
    dst[i] = normalised[src[i]];
}

Tensor ImageDataset::images() const {
  Tensor all(DType::F32, shape);
  if (!all.empty())
    copyImages(0, size(), all.data<float>());
  return all;
}

Expected<ImageDataset> loadMnistFormat(const std::string &dir,
                                       const std::string &split, double mean,
                                       double stddev, int64_t classes) {
  auto find = [&](const std::string &base) {
    std::string plain = dir + "/" + base;
    return exists(plain) || !exists(plain + ".gz") ? plain : plain + ".gz";
  };
  std::string imagesPath = find(split + "-images-idx3-ubyte");
  std::string labelsPath = find(split + "-labels-idx1-ubyte");
  // The pixels stay in the file's bytes (no copy); only their header is read.
  Expected<std::string> imageBytes = readMaybeGzip(imagesPath);
  if (!imageBytes)
    return imageBytes.status();
  size_t headerSize = 0;
  Expected<Shape> images = idxU8Shape(*imageBytes, imagesPath, headerSize);
  if (!images)
    return images.status();
  Expected<Tensor> labels = readIdxU8(labelsPath);
  if (!labels)
    return labels.status();
  if (images->size() != 3)
    return Status::error(imagesPath + ": expected [N, H, W] images, got " +
                         shapeString(*images));
  if (labels->rank() != 1)
    return Status::error(labelsPath + ": expected [N] labels, got " +
                         shapeString(labels->shape()));
  int64_t n = (*images)[0], h = (*images)[1], w = (*images)[2];
  if (n != labels->dim(0))
    return Status::error(imagesPath + " holds " + std::to_string(n) +
                         " images but " + labelsPath + " holds " +
                         std::to_string(labels->dim(0)) + " labels");
  if (!(stddev > 0))
    return Status::error(
        "the normalisation's standard deviation must be positive");
  ImageDataset set = ImageDataset::ofBytes(std::move(*imageBytes), headerSize,
                                           n, {1, h, w}, mean, stddev);
  if (set.labels.empty() && n > 0)
    return Status::error(labelsPath + ": out of memory");
  for (int64_t i = 0; i < n; ++i) {
    int32_t y = labels->data<int32_t>()[i];
    if (y >= classes)
      return idxError(labelsPath, 8 + static_cast<size_t>(i),
                      "label " + std::to_string(y) + " is not below " +
                          std::to_string(classes));
    set.labels.data<int64_t>()[i] = y;
  }
  return set;
}

} // namespace dlrt
