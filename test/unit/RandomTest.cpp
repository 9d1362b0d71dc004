//===- RandomTest.cpp - seeded initialisers -------------------------------===//
#include "dlrt/Random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace dlrt;

namespace {

TEST(Random, SameSeedSameValuesDifferentSeedDifferent) {
  Tensor a(DType::F32, {1000}), b(DType::F32, {1000}), c(DType::F32, {1000});
  fillUniform(a, -1, 1, 42, streamOf("w"));
  fillUniform(b, -1, 1, 42, streamOf("w"));
  fillUniform(c, -1, 1, 43, streamOf("w"));
  EXPECT_EQ(0, std::memcmp(a.rawData(), b.rawData(), a.byteSize()));
  EXPECT_NE(0, std::memcmp(a.rawData(), c.rawData(), a.byteSize()));
}

TEST(Random, StreamsAreIndependentOfOrder) {
  // Element i depends only on (seed, stream, i): a prefix is a prefix.
  Tensor small(DType::F64, {10}), big(DType::F64, {100});
  fillNormal(small, 0, 1, 7, streamOf("x"));
  fillNormal(big, 0, 1, 7, streamOf("x"));
  EXPECT_EQ(0, std::memcmp(small.rawData(), big.rawData(), small.byteSize()));
}

TEST(Random, KnownValuesAreStable) {
  // Pinned so that a change to the generator (which would change every
  // model's initial weights) is a deliberate, visible decision.
  EXPECT_EQ(streamOf(""), 0xcbf29ce484222325ULL);  // FNV-1a offset basis
  EXPECT_EQ(streamOf("a"), 0xaf63dc4c8601ec8cULL); // FNV-1a("a")
  double u = uniform01(0, 0, 0);
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
}

TEST(Random, MomentsMatchTheDistributions) {
  const int n = 200000;
  Tensor u(DType::F64, {n}), g(DType::F64, {n});
  fillUniform(u, 2, 6, 1, 1);
  fillNormal(g, 3, 2, 1, 2);
  double su = 0, sg = 0, sgg = 0, lo = 1e9, hi = -1e9;
  for (int i = 0; i < n; ++i) {
    double x = u.data<double>()[i];
    su += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    double y = g.data<double>()[i];
    sg += y;
    sgg += y * y;
  }
  // Standard errors: U(2,6) mean 4, sd 4/sqrt(12) = 1.155 -> se 0.0026;
  // N(3, 2^2): se of the mean 0.0045, of the variance 4*sqrt(2/n) = 0.0126.
  // Tolerances are 5 standard errors.
  EXPECT_NEAR(su / n, 4.0, 0.013);
  EXPECT_GE(lo, 2.0);
  EXPECT_LT(hi, 6.0);
  double mean = sg / n;
  EXPECT_NEAR(mean, 3.0, 0.023);
  EXPECT_NEAR(sgg / n - mean * mean, 4.0, 0.063);
}

} // namespace
