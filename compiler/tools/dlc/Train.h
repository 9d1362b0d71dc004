//===- Train.h - `dlc train` ------------------------------------*- C++ -*-===//
#ifndef DLC_TOOLS_TRAIN_H
#define DLC_TOOLS_TRAIN_H

#include "dl/Compiler.h"

#include <cstdint>
#include <string>

namespace dlc {

struct TrainOptions {
  std::string file;
  std::string data = "fashion-mnist:/usr/share/datasets/fashion-mnist";
  int64_t epochs = 1;
  int64_t steps = 0; // 0: no limit
  int64_t batch = 64;
  dl::OptimizerConfig optimizer;
  uint64_t seed = 0;
  bool shuffle = true;
  double mean = 0.5, stddev = 0.5;
  std::string init, save;
};

/// Trains the model's `loss` on the data set's training split with the
/// compiled step, evaluates `loss` and the accuracy of `forward` on the test
/// split after every epoch, and prints `test accuracy: 0.XXXX` last.
int trainModel(const TrainOptions &options);

/// `dlc eval`: the test split's loss and accuracy for the weights in
/// `checkpoint` (or the declared initialisers under `seed` when empty).
int evaluateModel(const std::string &file, const std::string &data,
                  const std::string &checkpoint, double mean, double stddev,
                  int64_t batch, uint64_t seed);

} // namespace dlc

#endif // DLC_TOOLS_TRAIN_H
