//===- HostMemory.cpp - the allocator of compiled CPU code ----------------===//
#include "dlrt/HostMemory.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

namespace {

/// The 64 bytes before every pointer handed out. A block is `alignment`
/// bytes of lead (the header at its end) followed by the caller's bytes, so
/// the caller's pointer has the requested alignment (64 at least).
struct alignas(64) Header {
  void *base;  // what aligned_alloc returned
  size_t size; // the caller's size
  size_t alignment;
};
static_assert(sizeof(Header) == 64, "the header keeps 64-byte alignment");

struct Pool {
  std::mutex mutex;
  // (size, alignment) -> cached blocks (callers' pointers).
  std::multimap<std::pair<size_t, size_t>, void *> free;
  dlrt::hostmem::Stats stats;
};

Pool &pool() {
  static Pool *p = new Pool; // never destroyed: frees may come at exit
  return *p;
}

Header *headerOf(void *ptr) { return static_cast<Header *>(ptr) - 1; }

void *allocate(size_t size, size_t alignment) {
  if (alignment & (alignment - 1))
    return nullptr; // not a power of two
  if (alignment < sizeof(Header))
    alignment = sizeof(Header);
  Pool &p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.stats.allocations += 1;
    p.stats.inUse += size;
    p.stats.peakInUse = std::max(p.stats.peakInUse, p.stats.inUse);
    auto it = p.free.find({size, alignment});
    if (it != p.free.end()) {
      void *ptr = it->second;
      p.free.erase(it);
      p.stats.cached -= size;
      p.stats.reused += 1;
      return ptr;
    }
  }
  size_t bytes = alignment + (size + alignment - 1) / alignment * alignment;
  void *base = std::aligned_alloc(alignment, bytes);
  if (!base) {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.stats.inUse -= size;
    return nullptr;
  }
  void *ptr = static_cast<char *>(base) + alignment;
  *headerOf(ptr) = Header{base, size, alignment};
  return ptr;
}

} // namespace

extern "C" void *_mlir_memref_to_llvm_alloc(size_t size) {
  return allocate(size, sizeof(Header));
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                    size_t size) {
  return allocate(size, alignment);
}

extern "C" void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  Header h = *headerOf(ptr);
  Pool &p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.stats.inUse -= h.size;
    if (p.stats.cached + h.size <= dlrt::hostmem::kMaxCachedBytes) {
      p.free.insert({{h.size, h.alignment}, ptr});
      p.stats.cached += h.size;
      return;
    }
  }
  std::free(h.base);
}

namespace dlrt::hostmem {

Stats stats() {
  std::lock_guard<std::mutex> lock(pool().mutex);
  return pool().stats;
}

void trim() {
  Pool &p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (auto &[key, ptr] : p.free)
    std::free(headerOf(ptr)->base);
  p.free.clear();
  p.stats.cached = 0;
}

std::vector<std::pair<const char *, void *>> entryPoints() {
  return {{"_mlir_memref_to_llvm_alloc",
           reinterpret_cast<void *>(&_mlir_memref_to_llvm_alloc)},
          {"_mlir_memref_to_llvm_aligned_alloc",
           reinterpret_cast<void *>(&_mlir_memref_to_llvm_aligned_alloc)},
          {"_mlir_memref_to_llvm_free",
           reinterpret_cast<void *>(&_mlir_memref_to_llvm_free)}};
}

} // namespace dlrt::hostmem
