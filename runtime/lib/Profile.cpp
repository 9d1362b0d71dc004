//===- Profile.cpp - per-kernel time of compiled code ---------------------===//
#include "dlrt/Profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

namespace {

struct Totals {
  uint64_t calls = 0;
  uint64_t nanoseconds = 0;
};

std::mutex &lock() {
  static std::mutex m;
  return m;
}

/// Keyed by the name's address: one constant string per call site.
std::map<const char *, Totals> &table() {
  static std::map<const char *, Totals> t;
  return t;
}

} // namespace

extern "C" int64_t dlrt_profile_clock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

extern "C" void dlrt_profile_kernel(const char *name, int64_t startNs) {
  int64_t elapsed = dlrt_profile_clock() - startNs;
  std::lock_guard<std::mutex> guard(lock());
  Totals &t = table()[name];
  t.calls += 1;
  t.nanoseconds += elapsed > 0 ? uint64_t(elapsed) : 0;
}

namespace dlrt::profile {

std::vector<KernelTime> kernels() {
  // Merge by text: two modules compiled from one file share names.
  std::map<std::string, KernelTime> merged;
  {
    std::lock_guard<std::mutex> guard(lock());
    for (const auto &[name, totals] : table()) {
      KernelTime &k = merged[name];
      k.name = name;
      k.calls += totals.calls;
      k.nanoseconds += totals.nanoseconds;
    }
  }
  std::vector<KernelTime> out;
  for (auto &[name, k] : merged)
    out.push_back(std::move(k));
  // Slowest first; ties by name (std::sort: stable_sort's temporary buffer
  // is deprecated in libstdc++ 12 under clang).
  std::sort(
      out.begin(), out.end(), [](const KernelTime &a, const KernelTime &b) {
        return a.nanoseconds != b.nanoseconds ? a.nanoseconds > b.nanoseconds
                                              : a.name < b.name;
      });
  return out;
}

void reset() {
  std::lock_guard<std::mutex> guard(lock());
  table().clear();
}

std::string report(size_t top) {
  std::vector<KernelTime> all = kernels();
  uint64_t total = 0;
  for (const KernelTime &k : all)
    total += k.nanoseconds;
  std::string out = "kernel profile (time inside each compiled kernel, "
                    "slowest first)\n"
                    "  share   total ms     calls   us/call  kernel\n";
  char line[160];
  size_t shown = 0;
  for (const KernelTime &k : all) {
    if (shown++ == top) {
      std::snprintf(line, sizeof line, "  ... %zu more kernels\n",
                    all.size() - top);
      out += line;
      break;
    }
    double share = total ? 100.0 * double(k.nanoseconds) / double(total) : 0;
    std::snprintf(line, sizeof line, "  %5.1f%% %10.2f %9llu %9.1f  ", share,
                  double(k.nanoseconds) / 1e6, (unsigned long long)k.calls,
                  k.calls ? double(k.nanoseconds) / 1e3 / double(k.calls)
                          : 0.0);
    out += line;
    out += k.name;
    out += '\n';
  }
  std::snprintf(line, sizeof line, "  total %.2f ms in %zu kernels\n",
                double(total) / 1e6, all.size());
  out += line;
  return out;
}

std::vector<std::pair<const char *, void *>> entryPoints() {
  return {
      {"dlrt_profile_clock", reinterpret_cast<void *>(&dlrt_profile_clock)},
      {"dlrt_profile_kernel", reinterpret_cast<void *>(&dlrt_profile_kernel)}};
}

} // namespace dlrt::profile
