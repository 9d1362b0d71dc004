//===- MemRefDescriptor.h - memref descriptors for packed calls -*- C++ -*-===//
//
// The JIT's packed wrappers take every memref argument as its descriptor's
// fields (allocated pointer, aligned pointer, offset, sizes, strides; all 8
// bytes) and return memrefs as such descriptors. Shared by Module::invoke and
// the fusion check (FusionCheck.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_API_MEMREFDESCRIPTOR_H
#define DLC_API_MEMREFDESCRIPTOR_H

#include <cstdint>
#include <cstring>
#include <vector>

namespace dlc {

/// Appends the descriptor of dense row-major data at `data` with `sizes`.
inline void appendDenseDescriptor(const void *data,
                                  const std::vector<int64_t> &sizes,
                                  std::vector<int64_t> &fields) {
  auto ptr = reinterpret_cast<int64_t>(data);
  fields.push_back(ptr);
  fields.push_back(ptr);
  fields.push_back(0);
  fields.insert(fields.end(), sizes.begin(), sizes.end());
  std::vector<int64_t> strides(sizes.size());
  int64_t stride = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= sizes[d];
  }
  fields.insert(fields.end(), strides.begin(), strides.end());
}

/// Copies a (possibly strided) memref's elements into dense row-major `out`.
inline void copyStrided(const char *base, size_t elemSize, const int64_t *sizes,
                        const int64_t *strides, int64_t rank, char *out) {
  int64_t total = 1;
  for (int64_t d = 0; d < rank; ++d)
    total *= sizes[d];
  if (total == 0)
    return;
  // Results are usually dense row-major (a dimension of size 1 may have any
  // stride): one copy. Element by element, a 3.2M-element result took
  // longer to copy out than the convolution that computed it.
  bool dense = true;
  int64_t expected = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    dense &= sizes[d] == 1 || strides[d] == expected;
    expected *= sizes[d];
  }
  if (dense) {
    std::memcpy(out, base, static_cast<size_t>(total) * elemSize);
    return;
  }
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += index[d] * strides[d];
    std::memcpy(out + i * elemSize, base + offset * elemSize, elemSize);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}

} // namespace dlc

#endif // DLC_API_MEMREFDESCRIPTOR_H
