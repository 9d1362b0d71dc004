//===- dlrt/Cuda.h - the CUDA driver, loaded at first use -------*- C++ -*-===//
//
// The GPU half of the runtime. The CUDA driver (`libcuda.so.1`) is opened
// with dlopen the first time anything here is used, so every binary starts
// (and reports a clear error) on a machine without a driver or a GPU.
//
// Two interfaces:
//  - for the host program: init(), device memory (a caching pool), copies,
//    synchronisation, and takeError() for failures inside generated code;
//  - for the generated host code: the `mgpu*` entry points that MLIR's
//    gpu-to-llvm lowering calls (module load, kernel launch, streams, memory),
//    listed by entryPoints() for the JIT's symbol table.
//
// Generated code cannot receive an error, so a failing driver call inside an
// mgpu* function records the first failure (later launches are skipped) and
// the caller of the compiled function collects it with takeError().
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_CUDA_H
#define DLRT_CUDA_H

#include "dlrt/Status.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace dlrt::cuda {

/// Loads the driver, initialises it and makes device 0's primary context
/// current. Cached: later calls return the first result.
Status init();

/// "NVIDIA H200, compute capability 9.0, 139 GiB" (after a successful init).
std::string deviceDescription();

/// Device memory from a pool that keeps freed blocks for reuse (a training
/// step allocates the same sizes every step).
Expected<void *> allocate(size_t bytes);
void release(void *device);
/// Bytes currently handed out, and the most ever handed out at once.
size_t bytesInUse();
size_t peakBytesInUse();

Status copyToDevice(void *device, const void *host, size_t bytes);
Status copyToHost(void *host, const void *device, size_t bytes);
/// Waits for all work queued by generated code.
Status synchronize();

/// The first failure recorded inside generated code since the last call
/// (an out-of-memory allocation, a failed launch), cleared by the call.
Status takeError();

/// Per-kernel time (`dlc train --target cuda --profile`): while on, every
/// launch is followed by a synchronisation of its stream and recorded in
/// dlrt::profile under the kernel's name, so each kernel's time includes
/// its launch latency (a few microseconds) and the step runs slower than
/// without profiling; the shares show where the time goes.
void setProfiling(bool on);

/// Name and address of every `mgpu*` entry point.
const std::vector<std::pair<const char *, void *>> &entryPoints();

} // namespace dlrt::cuda

#endif // DLRT_CUDA_H
