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

namespace dlrt {

/// Decompresses (if gzip) and reads a whole file.
Expected<std::string> readMaybeGzip(const std::string &path);

/// Parses IDX bytes of unsigned 8-bit data (type 0x08), as MNIST and
/// Fashion-MNIST use, into an I32 tensor of the file's shape.
Expected<Tensor> parseIdxU8(const std::string &bytes, const std::string &name);
Expected<Tensor> readIdxU8(const std::string &path);

/// A labelled image set: images f32 [N, 1, H, W], labels i64 [N].
struct ImageDataset {
  Tensor images;
  Tensor labels;
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
