//===- FakeCuda.cpp - a CUDA driver stand-in for tests without a GPU ------===//
//
// Built as libcuda.so.1 for the tests of the runtime's host side (driver
// loading, module loading, launches, the memory pool, copies, error paths)
// on machines without a GPU; DLC_CUDA_DRIVER points the runtime at it.
// "Device" memory is host memory and kernels do not run, so numbers computed
// through it are meaningless: tests check the host path only.
// FAKE_CUDA_FAIL=alloc|launch|init makes that call fail.
//
//===----------------------------------------------------------------------===//
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {
using Handle = void *;
int launches = 0, modules = 0;
bool failing(const char *what) {
  const char *f = std::getenv("FAKE_CUDA_FAIL");
  return f && std::string(f) == what;
}
} // namespace

extern "C" {
int cuInit(unsigned) { return failing("init") ? 100 : 0; } // NO_DEVICE
int cuDeviceGet(int *d, int) {
  *d = 0;
  return 0;
}
int cuDeviceGetName(char *name, int len, int) {
  std::strncpy(name, "Fake GPU", len);
  return 0;
}
int cuDeviceGetAttribute(int *v, int attr, int) {
  *v = attr == 75 ? 9 : 0;
  return 0;
}
int cuDeviceTotalMem_v2(size_t *bytes, int) {
  *bytes = size_t(1) << 32;
  return 0;
}
int cuDevicePrimaryCtxRetain(Handle *ctx, int) {
  *ctx = &launches;
  return 0;
}
int cuCtxSetCurrent(Handle) { return 0; }
int cuCtxSynchronize() { return 0; }
int cuModuleLoadData(Handle *m, const void *) {
  *m = &modules;
  ++modules;
  return 0;
}
int cuModuleLoadDataEx(Handle *m, const void *, unsigned, int *, void **) {
  *m = &modules;
  ++modules;
  return 0;
}
int cuModuleUnload(Handle) { return 0; }
int cuModuleGetFunction(Handle *f, Handle, const char *name) {
  // One handle per kernel name, as a driver's (the runtime's profile names
  // launches by handle).
  static std::map<std::string, int> functions;
  *f = &functions[name];
  return 0;
}
int cuLaunchKernel(Handle, unsigned, unsigned, unsigned, unsigned, unsigned,
                   unsigned, unsigned, Handle, void **, void **) {
  ++launches;
  return failing("launch") ? 719 : 0; // LAUNCH_FAILED
}
int cuStreamCreate(Handle *s, unsigned) {
  *s = &launches;
  return 0;
}
int cuStreamSynchronize(Handle) { return 0; }
int cuStreamWaitEvent(Handle, Handle, unsigned) { return 0; }
int cuEventCreate(Handle *e, unsigned) {
  *e = &launches;
  return 0;
}
int cuEventDestroy_v2(Handle) { return 0; }
int cuEventRecord(Handle, Handle) { return 0; }
int cuEventSynchronize(Handle) { return 0; }
int cuMemAlloc_v2(unsigned long long *p, size_t bytes) {
  if (failing("alloc"))
    return 2; // OUT_OF_MEMORY
  *p = reinterpret_cast<unsigned long long>(std::calloc(1, bytes));
  return 0;
}
int cuMemFree_v2(unsigned long long p) {
  std::free(reinterpret_cast<void *>(p));
  return 0;
}
int cuMemcpyHtoD_v2(unsigned long long d, const void *h, size_t n) {
  std::memcpy(reinterpret_cast<void *>(d), h, n);
  return 0;
}
int cuMemcpyDtoH_v2(void *h, unsigned long long d, size_t n) {
  std::memcpy(h, reinterpret_cast<void *>(d), n);
  return 0;
}
int cuMemcpyAsync(unsigned long long d, unsigned long long s, size_t n,
                  Handle) {
  std::memcpy(reinterpret_cast<void *>(d), reinterpret_cast<void *>(s), n);
  return 0;
}
int cuMemsetD32Async(unsigned long long, unsigned, size_t, Handle) { return 0; }
int cuMemsetD16Async(unsigned long long, unsigned short, size_t, Handle) {
  return 0;
}
int cuGetErrorName(int r, const char **name) {
  *name = r == 2     ? "CUDA_ERROR_OUT_OF_MEMORY"
          : r == 719 ? "CUDA_ERROR_LAUNCH_FAILED"
                     : "CUDA_ERROR_NO_DEVICE";
  return 0;
}
int cuGetErrorString(int, const char **text) {
  *text = "fake driver";
  return 0;
}
}
