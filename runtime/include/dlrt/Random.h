//===- Random.h - seeded, platform-independent initialisers -----*- C++ -*-===//
//
// Counter-based: element i of stream `stream` under seed `seed` is a pure
// function of (seed, stream, i), so the same seed gives the same weights on
// every machine and in every order of initialisation. std:: distributions are
// avoided because their output is implementation-defined.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_RANDOM_H
#define DLRT_RANDOM_H

#include "dlrt/Tensor.h"

#include <cstdint>

namespace dlrt {

/// A uniform double in [0, 1) from the counter triple.
double uniform01(uint64_t seed, uint64_t stream, uint64_t index);

/// Fills a float tensor with U(lo, hi).
void fillUniform(Tensor &t, double lo, double hi, uint64_t seed,
                 uint64_t stream);
/// Fills a float tensor with N(mean, std^2) (Box-Muller).
void fillNormal(Tensor &t, double mean, double stddev, uint64_t seed,
                uint64_t stream);
/// Fills a tensor of any dtype with one value (truncated for integers).
void fillConstant(Tensor &t, double value);

/// The random key of training step `step` under `seed` (dropout masks are a
/// function of the key alone, so a resumed run draws the same masks).
uint64_t stepKey(uint64_t seed, uint64_t step);

/// A stable 64-bit hash of a name, used to derive a parameter's stream.
uint64_t streamOf(const std::string &name);

} // namespace dlrt

#endif // DLRT_RANDOM_H
