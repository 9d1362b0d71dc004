//===- TrainData.h - batches of a data set for the compiled functions -----===//
#ifndef DLC_TOOLS_TRAINDATA_H
#define DLC_TOOLS_TRAINDATA_H

#include "dl/Compiler.h"
#include "dlrt/Idx.h"

#include <optional>
#include <string>
#include <vector>

namespace dlc {

/// The shape of a batch of `n` images for a declared input such as
/// f32[B, 1, 28, 28] or f32[B, 784]: the symbol becomes n.
dlrt::Expected<dlrt::Shape> batchShape(const dl::ArgumentInfo &arg, int64_t n,
                                       int64_t pixels);

/// Copies rows `order[begin, end)` of a data set into batch tensors.
void gather(const dlrt::ImageDataset &set, const std::vector<int64_t> &order,
            int64_t begin, int64_t end, dl::Tensor &x, dl::Tensor &y);

/// The order of the rows in `epoch` (1-based): a Fisher-Yates shuffle from
/// the seeded counter-based RNG, or file order.
std::vector<int64_t> epochOrder(int64_t n, int64_t epoch, uint64_t seed,
                                bool shuffle);

/// Deterministic inputs for `fn`: floats U(-1, 1) from `seed` (U(0, 1) with
/// `requireBind`), integers 0 (a valid class label). Symbolic dimensions
/// come from `binds` (SYM=N; default 2, an error with `requireBind`).
dlrt::Expected<std::vector<dl::Tensor>>
makeSyntheticInputs(const dl::FunctionInfo &fn, uint64_t seed, bool requireBind,
                    const std::vector<std::string> &binds);

/// The code generation target of every subcommand (--target, --gpu-arch).
struct TargetChoice {
  std::string name = "cpu";
  std::string gpuArch = "sm_90";
  unsigned optLevel = 2;          // --opt-level
  bool fusion = true;             // false: --no-fusion
  bool emulateReversed = false;   // --emulate-reversed
  std::string gpuMatmul = "fp32"; // --gpu-matmul
};
TargetChoice &targetChoice();
/// Sets `options.target` (and the optimisation level) from targetChoice();
/// prints an error and returns false for an unknown target or level.
bool applyTarget(dl::CompilerOptions &options);

/// `dlc compare-targets`: runs every function (and its gradients, and a few
/// training steps of `loss`) compiled for the CPU and for targetChoice(),
/// and reports the largest difference of each result.
int compareTargets(const std::string &file, uint64_t seed,
                   const std::vector<std::string> &binds);

/// Prints `dlc: error: <message>` and returns the exit status 1.
int fail(const std::string &message);

/// Compiles `file` as `options` say; prints the errors otherwise.
std::optional<dl::Module> compileModel(const std::string &file,
                                       const dl::CompilerOptions &options);

/// Compiles `file` for targetChoice(), runs its initialisers under `seed` and,
/// if `checkpoint` is not empty, loads the weights from it; prints the errors
/// otherwise.
std::optional<dl::Module> loadModel(const std::string &file,
                                    const dl::CompilerOptions &options,
                                    const std::string &checkpoint,
                                    uint64_t seed);

struct Evaluation {
  double loss = 0, accuracy = 0;
};

/// The mean of the loss function and of the accuracy over a data set, by
/// `<loss>.evaluate` (CompilerOptions::evaluationOf).
dlrt::Expected<Evaluation> evaluate(dl::Module &m, const std::string &loss,
                                    const dlrt::ImageDataset &set,
                                    const dl::ArgumentInfo &input,
                                    int64_t batch);

} // namespace dlc

#endif // DLC_TOOLS_TRAINDATA_H
