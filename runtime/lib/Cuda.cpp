//===- Cuda.cpp - the CUDA driver through dlopen, and the mgpu* ABI -------===//
//
// Only the driver API is used, declared here by hand (a handful of opaque
// handles and int results), so building needs no CUDA headers and running
// needs no toolkit: just `libcuda.so.1`, which comes with the driver.
//
//===----------------------------------------------------------------------===//
#include "dlrt/Cuda.h"
#include "dlrt/Profile.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>

namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using Handle = void *; // CUcontext, CUmodule, CUfunction, CUstream, CUevent

constexpr int kStreamNonBlocking = 1;
constexpr int kEventDisableTiming = 2;
constexpr int kAttrComputeMajor = 75, kAttrComputeMinor = 76;
constexpr CUresult kOutOfMemory = 2;
// cuModuleLoadDataEx option: optimisation level of the driver's PTX JIT.
constexpr int kJitOptimizationLevel = 7;

/// The driver entry points, resolved once.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(Handle *, CUdevice);
  CUresult (*cuCtxSetCurrent)(Handle);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(Handle *, const void *);
  CUresult (*cuModuleLoadDataEx)(Handle *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleUnload)(Handle);
  CUresult (*cuModuleGetFunction)(Handle *, Handle, const char *);
  CUresult (*cuLaunchKernel)(Handle, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, Handle, void **,
                             void **);
  CUresult (*cuStreamCreate)(Handle *, unsigned);
  CUresult (*cuStreamSynchronize)(Handle);
  CUresult (*cuStreamWaitEvent)(Handle, Handle, unsigned);
  CUresult (*cuEventCreate)(Handle *, unsigned);
  CUresult (*cuEventDestroy)(Handle);
  CUresult (*cuEventRecord)(Handle, Handle);
  CUresult (*cuEventSynchronize)(Handle);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, Handle);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, Handle);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, Handle);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
};

struct State {
  std::once_flag once;
  dlrt::Status initStatus;
  Driver d{};
  Handle context = nullptr;
  std::string description;
  // The pool: freed blocks by size, and the size of every live block.
  std::mutex poolMutex;
  std::multimap<size_t, void *> cached;
  std::unordered_map<void *, size_t> live;
  size_t inUse = 0, peak = 0;
  // The first failure inside generated code.
  std::mutex errorMutex;
  std::string error;
  // Profiling: each kernel's name (stable storage: the profile keys on the
  // address).
  bool profiling = false;
  std::mutex namesMutex;
  std::deque<std::string> names;
  std::unordered_map<Handle, const char *> kernelNames;
};

State &state() {
  static State *s = new State; // never destroyed: modules unload at exit
  return *s;
}

std::string describe(CUresult r) {
  const char *name = nullptr, *text = nullptr;
  Driver &d = state().d;
  if (d.cuGetErrorName)
    d.cuGetErrorName(r, &name);
  if (d.cuGetErrorString)
    d.cuGetErrorString(r, &text);
  std::string out = name ? name : "CUDA error " + std::to_string(r);
  if (text)
    out += std::string(" (") + text + ")";
  return out;
}

dlrt::Status check(CUresult r, const char *what) {
  if (r == 0)
    return dlrt::Status();
  return dlrt::Status::error(std::string(what) + " failed: " + describe(r));
}

/// Records the first failure inside generated code.
void record(const std::string &message) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.errorMutex);
  if (s.error.empty())
    s.error = message;
}

bool failed() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.errorMutex);
  return !s.error.empty();
}

bool ok(CUresult r, const char *what) {
  if (r == 0)
    return true;
  record(std::string(what) + " failed: " + describe(r));
  return false;
}

template <typename F> bool resolve(void *lib, F &fn, const char *name) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  return fn != nullptr;
}

dlrt::Status load(State &s) {
  // DLC_CUDA_DRIVER: another driver library (a non-standard install, or the
  // tests' stand-in).
  const char *override = std::getenv("DLC_CUDA_DRIVER");
  std::string path = override && *override ? override : "libcuda.so.1";
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    return dlrt::Status::error(
        "no CUDA driver: cannot load " + path + " (" +
        (why ? why : "unknown reason") +
        "); --target cuda needs an NVIDIA GPU and its driver");
  }
  Driver &d = s.d;
  const char *missing = nullptr;
#define DLRT_RESOLVE(field, symbol)                                            \
  if (!missing && !resolve(lib, d.field, symbol))                              \
    missing = symbol;
  DLRT_RESOLVE(cuInit, "cuInit")
  DLRT_RESOLVE(cuDeviceGet, "cuDeviceGet")
  DLRT_RESOLVE(cuDeviceGetName, "cuDeviceGetName")
  DLRT_RESOLVE(cuDeviceGetAttribute, "cuDeviceGetAttribute")
  DLRT_RESOLVE(cuDeviceTotalMem, "cuDeviceTotalMem_v2")
  DLRT_RESOLVE(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  DLRT_RESOLVE(cuCtxSetCurrent, "cuCtxSetCurrent")
  DLRT_RESOLVE(cuCtxSynchronize, "cuCtxSynchronize")
  DLRT_RESOLVE(cuModuleLoadData, "cuModuleLoadData")
  DLRT_RESOLVE(cuModuleLoadDataEx, "cuModuleLoadDataEx")
  DLRT_RESOLVE(cuModuleUnload, "cuModuleUnload")
  DLRT_RESOLVE(cuModuleGetFunction, "cuModuleGetFunction")
  DLRT_RESOLVE(cuLaunchKernel, "cuLaunchKernel")
  DLRT_RESOLVE(cuStreamCreate, "cuStreamCreate")
  DLRT_RESOLVE(cuStreamSynchronize, "cuStreamSynchronize")
  DLRT_RESOLVE(cuStreamWaitEvent, "cuStreamWaitEvent")
  DLRT_RESOLVE(cuEventCreate, "cuEventCreate")
  DLRT_RESOLVE(cuEventDestroy, "cuEventDestroy_v2")
  DLRT_RESOLVE(cuEventRecord, "cuEventRecord")
  DLRT_RESOLVE(cuEventSynchronize, "cuEventSynchronize")
  DLRT_RESOLVE(cuMemAlloc, "cuMemAlloc_v2")
  DLRT_RESOLVE(cuMemFree, "cuMemFree_v2")
  DLRT_RESOLVE(cuMemcpyHtoD, "cuMemcpyHtoD_v2")
  DLRT_RESOLVE(cuMemcpyDtoH, "cuMemcpyDtoH_v2")
  DLRT_RESOLVE(cuMemcpyAsync, "cuMemcpyAsync")
  DLRT_RESOLVE(cuMemsetD32Async, "cuMemsetD32Async")
  DLRT_RESOLVE(cuMemsetD16Async, "cuMemsetD16Async")
  DLRT_RESOLVE(cuGetErrorName, "cuGetErrorName")
  DLRT_RESOLVE(cuGetErrorString, "cuGetErrorString")
#undef DLRT_RESOLVE
  if (missing)
    return dlrt::Status::error(std::string("the CUDA driver lacks '") +
                               missing + "' (driver too old?)");
  if (dlrt::Status st = check(d.cuInit(0), "cuInit"); !st)
    return dlrt::Status::error(st.message() + ": no usable NVIDIA GPU");
  CUdevice device;
  if (dlrt::Status st = check(d.cuDeviceGet(&device, 0), "cuDeviceGet"); !st)
    return st;
  if (dlrt::Status st = check(d.cuDevicePrimaryCtxRetain(&s.context, device),
                              "cuDevicePrimaryCtxRetain");
      !st)
    return st;
  if (dlrt::Status st = check(d.cuCtxSetCurrent(s.context), "cuCtxSetCurrent");
      !st)
    return st;
  char name[256] = {0};
  int major = 0, minor = 0;
  size_t total = 0;
  d.cuDeviceGetName(name, sizeof(name) - 1, device);
  d.cuDeviceGetAttribute(&major, kAttrComputeMajor, device);
  d.cuDeviceGetAttribute(&minor, kAttrComputeMinor, device);
  d.cuDeviceTotalMem(&total, device);
  s.description = std::string(name) + ", compute capability " +
                  std::to_string(major) + "." + std::to_string(minor) + ", " +
                  std::to_string(total >> 30) + " GiB";
  return dlrt::Status();
}

/// init() plus making the context current on this thread.
bool ready() {
  static thread_local bool current = false;
  if (current)
    return true;
  if (dlrt::Status st = dlrt::cuda::init(); !st) {
    record(st.message());
    return false;
  }
  if (!ok(state().d.cuCtxSetCurrent(state().context), "cuCtxSetCurrent"))
    return false;
  current = true;
  return true;
}

/// The one stream generated code runs on: work is ordered, so pooled blocks
/// can be reused as soon as the host releases them.
Handle stream() {
  static Handle s = [] {
    Handle h = nullptr;
    if (ready())
      ok(state().d.cuStreamCreate(&h, kStreamNonBlocking), "cuStreamCreate");
    return h;
  }();
  return s;
}

CUdeviceptr ptr(const void *p) { return reinterpret_cast<CUdeviceptr>(p); }

} // namespace

namespace dlrt::cuda {

Status init() {
  State &s = state();
  std::call_once(s.once, [&] { s.initStatus = load(s); });
  return s.initStatus;
}

std::string deviceDescription() { return state().description; }

Expected<void *> allocate(size_t bytes) {
  if (Status st = init(); !st)
    return st;
  if (!ready())
    return takeError();
  State &s = state();
  // 256-byte granules: sizes repeat exactly from step to step.
  size_t rounded = ((bytes ? bytes : 1) + 255) / 256 * 256;
  std::lock_guard<std::mutex> lock(s.poolMutex);
  void *block = nullptr;
  if (auto it = s.cached.find(rounded); it != s.cached.end()) {
    block = it->second;
    s.cached.erase(it);
  } else {
    CUdeviceptr p = 0;
    CUresult r = s.d.cuMemAlloc(&p, rounded);
    if (r == kOutOfMemory && !s.cached.empty()) {
      for (auto &[size, cachedBlock] : s.cached)
        s.d.cuMemFree(ptr(cachedBlock));
      s.cached.clear();
      r = s.d.cuMemAlloc(&p, rounded);
    }
    if (r != 0)
      return Status::error("cannot allocate " + std::to_string(bytes) +
                           " bytes of GPU memory (" + std::to_string(s.inUse) +
                           " in use): " + describe(r));
    block = reinterpret_cast<void *>(p);
  }
  s.live[block] = rounded;
  s.inUse += rounded;
  s.peak = std::max(s.peak, s.inUse);
  return block;
}

void release(void *device) {
  if (!device)
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.poolMutex);
  auto it = s.live.find(device);
  if (it == s.live.end())
    return; // not ours: ignore rather than corrupt the pool
  s.inUse -= it->second;
  s.cached.emplace(it->second, device);
  s.live.erase(it);
}

size_t bytesInUse() { return state().inUse; }
size_t peakBytesInUse() { return state().peak; }

Status copyToDevice(void *device, const void *host, size_t bytes) {
  if (!ready())
    return takeError();
  // Ordered after everything generated code queued before.
  if (Status st = synchronize(); !st)
    return st;
  return check(state().d.cuMemcpyHtoD(ptr(device), host, bytes),
               "copy to the GPU (cuMemcpyHtoD)");
}

Status copyToHost(void *host, const void *device, size_t bytes) {
  if (Status st = synchronize(); !st)
    return st;
  return check(state().d.cuMemcpyDtoH(host, ptr(device), bytes),
               "copy from the GPU (cuMemcpyDtoH)");
}

Status synchronize() {
  if (!ready())
    return takeError();
  if (Status st = check(state().d.cuStreamSynchronize(stream()),
                        "waiting for the GPU (cuStreamSynchronize)");
      !st)
    return st;
  return takeError();
}

void setProfiling(bool on) { state().profiling = on; }

Status takeError() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.errorMutex);
  if (s.error.empty())
    return Status();
  Status st = Status::error(s.error);
  s.error.clear();
  return st;
}

} // namespace dlrt::cuda

//===----------------------------------------------------------------------===//
// The mgpu* entry points of MLIR's GPU runtime ABI (what gpu-to-llvm and the
// gpu.binary translation call). Streams are the runtime's one stream.
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  if (!ready())
    return nullptr;
  Handle module = nullptr;
  ok(state().d.cuModuleLoadData(&module, data),
     "loading a GPU kernel (cuModuleLoadData)");
  return module;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (!ready())
    return nullptr;
  Handle module = nullptr;
  int options[] = {kJitOptimizationLevel};
  void *values[] = {reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  ok(state().d.cuModuleLoadDataEx(&module, data, 1, options, values),
     "JIT-compiling a GPU kernel (cuModuleLoadDataEx)");
  return module;
}

void mgpuModuleUnload(void *module) {
  if (module)
    state().d.cuModuleUnload(module);
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module || failed())
    return nullptr;
  State &s = state();
  Handle fn = nullptr;
  // Generated code looks the kernel up before every launch: names are kept
  // only while profiling (turned on before the first call).
  if (ok(s.d.cuModuleGetFunction(&fn, module, name),
         "looking up a GPU kernel (cuModuleGetFunction)") &&
      fn && s.profiling) {
    std::lock_guard<std::mutex> guard(s.namesMutex);
    if (!s.kernelNames.count(fn))
      s.kernelNames[fn] = s.names.emplace_back(name).c_str();
  }
  return fn;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  if (!function || failed() || !ready())
    return; // an earlier failure is already recorded
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0)
    return; // an empty iteration space (a zero-sized batch)
  State &s = state();
  int64_t start = s.profiling ? dlrt_profile_clock() : 0;
  if (!ok(s.d.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                             blockZ, smem, stream, params, extra),
          "launching a GPU kernel (cuLaunchKernel)") ||
      !s.profiling)
    return;
  if (!ok(s.d.cuStreamSynchronize(stream),
          "running a GPU kernel (cuStreamSynchronize)"))
    return;
  const char *name = "(unnamed kernel)";
  {
    std::lock_guard<std::mutex> guard(s.namesMutex);
    if (auto it = s.kernelNames.find(function); it != s.kernelNames.end())
      name = it->second;
  }
  dlrt_profile_kernel(name, start);
}

void *mgpuStreamCreate() { return stream(); }
void mgpuStreamDestroy(void *) {}

void mgpuStreamSynchronize(void *s) {
  if (s && ready())
    ok(state().d.cuStreamSynchronize(s),
       "running GPU kernels (cuStreamSynchronize)");
}

void mgpuStreamWaitEvent(void *s, void *event) {
  if (s && event && ready())
    ok(state().d.cuStreamWaitEvent(s, event, 0), "cuStreamWaitEvent");
}

void *mgpuEventCreate() {
  Handle event = nullptr;
  if (ready())
    ok(state().d.cuEventCreate(&event, kEventDisableTiming), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(void *event) {
  if (event)
    state().d.cuEventDestroy(event);
}

void mgpuEventSynchronize(void *event) {
  if (event)
    ok(state().d.cuEventSynchronize(event), "cuEventSynchronize");
}

void mgpuEventRecord(void *event, void *s) {
  if (event)
    ok(state().d.cuEventRecord(event, s), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/, bool /*hostShared*/) {
  if (failed())
    return nullptr;
  dlrt::Expected<void *> block = dlrt::cuda::allocate(bytes);
  if (!block) {
    record(block.status().message());
    return nullptr;
  }
  return *block;
}

void mgpuMemFree(void *p, void * /*stream*/) { dlrt::cuda::release(p); }

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *s) {
  if (!failed() && ready())
    ok(state().d.cuMemcpyAsync(ptr(dst), ptr(src), bytes, s), "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *s) {
  if (!failed() && ready())
    ok(state().d.cuMemsetD32Async(ptr(dst), value, count, s),
       "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *s) {
  if (!failed() && ready())
    ok(state().d.cuMemsetD16Async(ptr(dst), value, count, s),
       "cuMemsetD16Async");
}

void mgpuSetDefaultDevice(int32_t) {}

} // extern "C"

const std::vector<std::pair<const char *, void *>> &dlrt::cuda::entryPoints() {
  static const std::vector<std::pair<const char *, void *>> table = {
      {"mgpuModuleLoad", reinterpret_cast<void *>(&mgpuModuleLoad)},
      {"mgpuModuleLoadJIT", reinterpret_cast<void *>(&mgpuModuleLoadJIT)},
      {"mgpuModuleUnload", reinterpret_cast<void *>(&mgpuModuleUnload)},
      {"mgpuModuleGetFunction",
       reinterpret_cast<void *>(&mgpuModuleGetFunction)},
      {"mgpuLaunchKernel", reinterpret_cast<void *>(&mgpuLaunchKernel)},
      {"mgpuStreamCreate", reinterpret_cast<void *>(&mgpuStreamCreate)},
      {"mgpuStreamDestroy", reinterpret_cast<void *>(&mgpuStreamDestroy)},
      {"mgpuStreamSynchronize",
       reinterpret_cast<void *>(&mgpuStreamSynchronize)},
      {"mgpuStreamWaitEvent", reinterpret_cast<void *>(&mgpuStreamWaitEvent)},
      {"mgpuEventCreate", reinterpret_cast<void *>(&mgpuEventCreate)},
      {"mgpuEventDestroy", reinterpret_cast<void *>(&mgpuEventDestroy)},
      {"mgpuEventSynchronize", reinterpret_cast<void *>(&mgpuEventSynchronize)},
      {"mgpuEventRecord", reinterpret_cast<void *>(&mgpuEventRecord)},
      {"mgpuMemAlloc", reinterpret_cast<void *>(&mgpuMemAlloc)},
      {"mgpuMemFree", reinterpret_cast<void *>(&mgpuMemFree)},
      {"mgpuMemcpy", reinterpret_cast<void *>(&mgpuMemcpy)},
      {"mgpuMemset32", reinterpret_cast<void *>(&mgpuMemset32)},
      {"mgpuMemset16", reinterpret_cast<void *>(&mgpuMemset16)},
      {"mgpuSetDefaultDevice", reinterpret_cast<void *>(&mgpuSetDefaultDevice)},
  };
  return table;
}
