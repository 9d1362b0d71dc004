//===- HostMemory.h - the allocator of compiled CPU code ----------*- C++
//-*-===//
//
// Compiled code allocates its temporaries through these entry points (MLIR's
// `finalize-memref-to-llvm{use-generic-functions}` names), not malloc: a
// training step or an inference call frees and reallocates the same sizes
// every time, and glibc returns large blocks (above 32 MiB always, smaller
// ones as its heuristics decide) to the kernel, so every call paid for
// zeroing fresh pages (a batch of 1000 images through the seed CNN: 200 MB
// of activations, ~100 ms of page faults). Freed blocks are kept, keyed by
// size, and handed out again; at most kMaxCachedBytes stay cached (beyond
// it, frees go back to the system), and trim() releases them all.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_HOSTMEMORY_H
#define DLRT_HOSTMEMORY_H

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

extern "C" {
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);
}

namespace dlrt::hostmem {

/// Blocks cached beyond this many bytes are returned to the system.
constexpr size_t kMaxCachedBytes = size_t(4) << 30;

struct Stats {
  size_t inUse = 0;     // bytes handed out and not yet freed
  size_t peakInUse = 0; // the most ever in use at once
  size_t cached = 0;    // bytes kept for reuse
  uint64_t allocations = 0, reused = 0;
};
Stats stats();
/// Returns every cached block to the system.
void trim();
/// The entry points above, by symbol name, for a JIT's symbol table.
std::vector<std::pair<const char *, void *>> entryPoints();

} // namespace dlrt::hostmem

#endif // DLRT_HOSTMEMORY_H
