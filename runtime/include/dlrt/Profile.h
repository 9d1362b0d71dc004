//===- Profile.h - per-kernel time of compiled code ---------------*- C++
//-*-===//
//
// Code compiled with profiling (CompilerOptions::profile, `dlc train
// --profile`) calls dlrt_profile_clock() before every kernel and
// dlrt_profile_kernel(name, start) after it; `name` is a constant string the
// compiler emitted for that call site ("<function> #<k> <kernel> @<source
// positions>"). The runtime sums calls and time per name. Kernels are called
// from the host thread of each call (OpenMP runs inside them), so one mutex
// per record costs nothing next to a kernel.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_PROFILE_H
#define DLRT_PROFILE_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

extern "C" {
/// Monotonic nanoseconds.
int64_t dlrt_profile_clock();
/// Adds one call of the kernel `name` that started at `startNs`.
void dlrt_profile_kernel(const char *name, int64_t startNs);
}

namespace dlrt::profile {

struct KernelTime {
  std::string name;
  uint64_t calls = 0;
  uint64_t nanoseconds = 0;
};

/// Every kernel recorded since the last reset, the slowest first.
std::vector<KernelTime> kernels();
/// Forgets everything recorded.
void reset();
/// A table of the `top` slowest kernels: share of the total, total ms,
/// calls, microseconds per call, name; then the total.
std::string report(size_t top = 30);
/// The C entry points above, by symbol name, for a JIT's symbol table.
std::vector<std::pair<const char *, void *>> entryPoints();

} // namespace dlrt::profile

#endif // DLRT_PROFILE_H
