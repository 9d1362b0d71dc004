//===- RuntimeMemoryProfileTest.cpp - dlrt's allocator and kernel profile -===//
#include "dlrt/HostMemory.h"
#include "dlrt/Profile.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace {

TEST(HostMemory, ReusesFreedBlocksOfTheSameSize) {
  dlrt::hostmem::trim();
  auto before = dlrt::hostmem::stats();
  void *a = _mlir_memref_to_llvm_alloc(1000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 0xab, 1000); // the whole block is usable
  EXPECT_EQ(dlrt::hostmem::stats().inUse, before.inUse + 1000);
  _mlir_memref_to_llvm_free(a);
  EXPECT_EQ(dlrt::hostmem::stats().cached, 1000u);
  // Same size: the same block again, from the cache.
  void *b = _mlir_memref_to_llvm_alloc(1000);
  EXPECT_EQ(b, a);
  EXPECT_EQ(dlrt::hostmem::stats().reused, before.reused + 1);
  EXPECT_EQ(dlrt::hostmem::stats().cached, 0u);
  // Another size: a new block, while the first is in use.
  void *c = _mlir_memref_to_llvm_alloc(2000);
  EXPECT_NE(c, b);
  EXPECT_EQ(dlrt::hostmem::stats().peakInUse, before.inUse + 3000);
  _mlir_memref_to_llvm_free(b);
  _mlir_memref_to_llvm_free(c);
  _mlir_memref_to_llvm_free(nullptr); // like free(NULL)
  EXPECT_EQ(dlrt::hostmem::stats().inUse, before.inUse);
  dlrt::hostmem::trim();
  EXPECT_EQ(dlrt::hostmem::stats().cached, 0u);
}

TEST(HostMemory, HonoursLargerAlignments) {
  void *p = _mlir_memref_to_llvm_aligned_alloc(4096, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 4096, 0u);
  std::memset(p, 1, 100);
  _mlir_memref_to_llvm_free(p);
  EXPECT_EQ(_mlir_memref_to_llvm_aligned_alloc(48, 8), nullptr); // not 2^k
  dlrt::hostmem::trim();
}

TEST(Profile, SumsCallsAndTimePerKernelName) {
  dlrt::profile::reset();
  static const char slow[] = "step #0 step.kernel0 @3:4";
  static const char fast[] = "step #1 step.kernel1 @5:6";
  int64_t now = dlrt_profile_clock();
  dlrt_profile_kernel(slow, now - 3'000'000); // started 3 ms ago
  dlrt_profile_kernel(slow, now - 1'000'000);
  dlrt_profile_kernel(fast, dlrt_profile_clock());
  std::vector<dlrt::profile::KernelTime> k = dlrt::profile::kernels();
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0].name, slow); // the slowest first
  EXPECT_EQ(k[0].calls, 2u);
  EXPECT_GE(k[0].nanoseconds, 4'000'000u);
  EXPECT_EQ(k[1].calls, 1u);
  std::string text = dlrt::profile::report();
  EXPECT_NE(text.find("step #0 step.kernel0 @3:4"), std::string::npos);
  EXPECT_NE(text.find("in 2 kernels"), std::string::npos);
  EXPECT_LT(text.find("kernel0"), text.find("kernel1"));
  dlrt::profile::reset();
  EXPECT_TRUE(dlrt::profile::kernels().empty());
}

} // namespace
