//===- Datasets.h - labelled image data sets --------------------*- C++ -*-===//
//
// The data sets `dlc train` and the C++ API read, all into the same
// ImageDataset (images f32 [N, C, H, W] or [N, ...], labels i64 [N]):
//   fashion-mnist:DIR, mnist:DIR  IDX files (see Idx.h), 1 x 28 x 28
//   cifar10:DIR                   the CIFAR-10 binary version: records of a
//                                 label byte and 3 x 32 x 32 pixel bytes, in
//                                 data_batch_1..5.bin (train), test_batch.bin
//   npy:DIR                       <split>_images.npy (uint8, int or float,
//                                 [N, ...]) and <split>_labels.npy (int, [N])
// Integer pixels are scaled to [0, 1]; then every pixel becomes
// (x - mean) / std. Errors name the file and, for malformed content, the
// byte offset.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_DATASETS_H
#define DLRT_DATASETS_H

#include "dlrt/Idx.h"

namespace dlrt {

/// `split` is "train" or "test".
Expected<ImageDataset> loadCifar10(const std::string &dir,
                                   const std::string &split, double mean,
                                   double stddev);
Expected<ImageDataset> loadNpyDataset(const std::string &dir,
                                      const std::string &split, double mean,
                                      double stddev);
/// `spec` is KIND:DIR with KIND one of fashion-mnist, mnist, cifar10, npy.
Expected<ImageDataset> loadDataset(const std::string &spec,
                                   const std::string &split, double mean,
                                   double stddev);

} // namespace dlrt

#endif // DLRT_DATASETS_H
