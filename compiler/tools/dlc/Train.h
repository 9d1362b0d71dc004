//===- Train.h - `dlc train`, `dlc eval`, `dlc predict` ---------*- C++ -*-===//
#ifndef DLC_TOOLS_TRAIN_H
#define DLC_TOOLS_TRAIN_H

#include "dl/Compiler.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

struct TrainOptions {
  std::string file;
  std::string loss = "loss"; // the trained (and evaluated) function
  std::string data = "fashion-mnist:/usr/share/datasets/fashion-mnist";
  int64_t epochs = 1;
  int64_t steps = 0; // 0: no limit; otherwise steps taken by this run
  int64_t batch = 64;
  dl::OptimizerConfig optimizer;
  /// constant, step:EPOCHS:GAMMA or cosine[:MIN_LR] (over all epochs).
  std::string schedule = "constant";
  int64_t warmup = 0; // steps of linear warm-up
  uint64_t seed = 0;
  bool shuffle = true;
  double mean = 0.5, stddev = 0.5;
  std::string init, save, resume, metrics;
  int64_t threads = 1;
  bool profile = false;     // print the time of every kernel at the end
  bool timeCompile = false; // print the compilation's phases
};

/// Trains the model's `loss` on the data set's training split with the
/// compiled step, evaluates `loss` and the accuracy of `forward` on the test
/// split after every epoch, and prints `test accuracy: 0.XXXX` last.
int trainModel(const TrainOptions &options);

/// `dlc eval`: the test split's loss and accuracy for the weights in
/// `checkpoint` (or the declared initialisers under `seed` when empty).
int evaluateModel(const std::string &file, const std::string &loss,
                  const std::string &data, const std::string &checkpoint,
                  double mean, double stddev, int64_t batch, uint64_t seed,
                  unsigned threads = 1);

/// `dlc predict`: the top-k classes (with probabilities) of `forward` for
/// every image of a .npy or IDX file.
int predict(const std::string &file, const std::string &checkpoint,
            const std::string &input, int64_t top, double mean, double stddev,
            unsigned threads = 1);

/// Parses a --schedule value into `schedule` (step sizes in epochs become
/// steps through `stepsPerEpoch`); an error message on failure.
std::string parseSchedule(const std::string &spec, int64_t stepsPerEpoch,
                          int64_t totalSteps, dl::LRSchedule &schedule);

} // namespace dlc

#endif // DLC_TOOLS_TRAIN_H
