//===- Idx.h - MNIST-format IDX files and image data sets -------*- C++ -*-===//
//
// IDX is MNIST's format: two zero bytes, a type code, the number of
// dimensions, big-endian 32-bit sizes, then big-endian data. Files may be
// gzip-compressed (zlib reads both forms). Every header field is checked
// against the file before anything is allocated; errors name the file and
// the byte offset.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_IDX_H
#define DLRT_IDX_H

#include "dlrt/Status.h"
#include "dlrt/Tensor.h"

#include <string>
#include <vector>

namespace dlrt {

/// Decompresses (if gzip) and reads a whole file.
Expected<std::string> readMaybeGzip(const std::string &path);

/// Parses IDX bytes of unsigned 8-bit data (type 0x08), as MNIST and
/// Fashion-MNIST use, into an I32 tensor of the file's shape.
Expected<Tensor> parseIdxU8(const std::string &bytes, const std::string &name);
Expected<Tensor> readIdxU8(const std::string &path);

/// A labelled image set: N images of shape `shape[1:]` ([C, H, W] or any)
/// and labels i64 [N]. 8-bit pixels (IDX, CIFAR-10, uint8 npy) are kept as
/// read, one byte each (Fashion-MNIST's training set: 47 MB instead of
/// 188 MB as f32), and normalised when a batch is copied out; other pixels
/// are kept as normalised f32.
struct ImageDataset {
  Shape shape;       // [N, ...]
  std::string bytes; // 8-bit pixels from `byteOffset` on, or empty
  size_t byteOffset = 0;
  Tensor floats;              // normalised f32 pixels when not 8-bit
  float normalised[256] = {}; // 8-bit value -> (value / 255 - mean) / std
  Tensor labels;

  /// A set of `n` images of `imageShape` read from 8-bit `pixels` (from
  /// `offset` on), normalised on the way out; labels still to be filled.
  static ImageDataset ofBytes(std::string pixels, size_t offset, int64_t n,
                              const Shape &imageShape, double mean,
                              double stddev);
  int64_t size() const { return shape.empty() ? 0 : shape[0]; }
  int64_t pixelsPerImage() const;
  /// Writes images [first, first + count), normalised, to `dst`.
  void copyImages(int64_t first, int64_t count, float *dst) const;
  /// Every image, normalised: f32 [N, ...].
  Tensor images() const;
};

/// Loads `<dir>/<split>-images-idx3-ubyte[.gz]` and
/// `<dir>/<split>-labels-idx1-ubyte[.gz]` (split: "train" or "t10k"), scales
/// pixels to [0, 1] and normalises them to (x - mean) / std. The counts of
/// images and labels must agree and labels must lie in [0, classes).
Expected<ImageDataset> loadMnistFormat(const std::string &dir,
                                       const std::string &split, double mean,
                                       double stddev, int64_t classes = 10);

} // namespace dlrt

#endif // DLRT_IDX_H
