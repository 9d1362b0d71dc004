//===- MemRefDescriptorTest.cpp - copying results out of descriptors ------===//
//
// dlc::copyStrided copies a result memref into a dense tensor: dense layouts
// in one copy, strided ones element by element. Both against the element
// at sum(index[d] * stride[d]) computed here.
//
//===----------------------------------------------------------------------===//
#include "compiler/API/MemRefDescriptor.h"

#include <gtest/gtest.h>

#include <numeric>

namespace {

std::vector<float> naive(const std::vector<float> &src,
                         std::vector<int64_t> sizes,
                         std::vector<int64_t> strides) {
  std::vector<float> out;
  std::vector<int64_t> index(sizes.size(), 0);
  int64_t total = 1;
  for (int64_t s : sizes)
    total *= s;
  for (int64_t i = 0; i < total; ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < sizes.size(); ++d)
      offset += index[d] * strides[d];
    out.push_back(src[offset]);
    for (int64_t d = int64_t(sizes.size()) - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

TEST(MemRefDescriptor, CopyStridedMatchesNaiveIndexing) {
  std::vector<float> src(64);
  std::iota(src.begin(), src.end(), 0.0f);
  struct Case {
    std::vector<int64_t> sizes, strides;
  } cases[] = {
      {{2, 3, 4}, {12, 4, 1}}, // dense
      {{2, 1, 4}, {4, 99, 1}}, // dense, a unit dimension with any stride
      {{4, 3}, {1, 4}},        // transposed
      {{3, 2}, {8, 2}},        // rows and columns with gaps
      {{0, 5}, {5, 1}},        // empty
      {{}, {}},                // a scalar
  };
  for (const Case &c : cases) {
    std::vector<float> want = naive(src, c.sizes, c.strides);
    std::vector<float> got(want.size() + 1, -1.0f);
    dlc::copyStrided(reinterpret_cast<const char *>(src.data()), sizeof(float),
                     c.sizes.data(), c.strides.data(),
                     static_cast<int64_t>(c.sizes.size()),
                     reinterpret_cast<char *>(got.data()));
    EXPECT_EQ(std::vector<float>(got.begin(), got.end() - 1), want);
    EXPECT_EQ(got.back(), -1.0f) << "wrote past the end";
  }
}

} // namespace
