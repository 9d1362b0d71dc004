//===- Random.cpp - seeded, platform-independent initialisers -------------===//
#include "dlrt/Random.h"

#include <cmath>

namespace dlrt {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <typename F> void fillWith(Tensor &t, F value) {
  int64_t n = t.numElements();
  if (t.dtype() == DType::F32) {
    float *p = t.data<float>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<float>(value(i));
  } else if (t.dtype() == DType::F64) {
    double *p = t.data<double>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = value(i);
  } else if (t.dtype() == DType::I32) {
    int32_t *p = t.data<int32_t>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<int32_t>(value(i));
  } else if (t.dtype() == DType::I64) {
    int64_t *p = t.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<int64_t>(value(i));
  } else {
    uint8_t *p = t.data<uint8_t>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = value(i) != 0;
  }
}

} // namespace

uint64_t stepKey(uint64_t seed, uint64_t step) {
  return splitmix64(splitmix64(seed ^ 0x5eed5eed5eed5eedULL) ^ step);
}

double uniform01(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t h = splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ index);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

void fillUniform(Tensor &t, double lo, double hi, uint64_t seed,
                 uint64_t stream) {
  fillWith(t, [&](int64_t i) {
    return lo + (hi - lo) * uniform01(seed, stream, static_cast<uint64_t>(i));
  });
}

void fillNormal(Tensor &t, double mean, double stddev, uint64_t seed,
                uint64_t stream) {
  const double twoPi = 6.283185307179586476925286766559;
  fillWith(t, [&](int64_t i) {
    uint64_t k = static_cast<uint64_t>(i);
    // Two independent uniforms per element; 1 - u keeps log() finite.
    double u1 = 1.0 - uniform01(seed, stream, 2 * k);
    double u2 = uniform01(seed, stream, 2 * k + 1);
    return mean +
           stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(twoPi * u2);
  });
}

void fillConstant(Tensor &t, double value) {
  fillWith(t, [&](int64_t) { return value; });
}

uint64_t streamOf(const std::string &name) {
  // FNV-1a: stable across platforms and compilers, unlike std::hash.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

} // namespace dlrt
