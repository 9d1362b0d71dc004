//===- Safetensors.h - the safetensors checkpoint format --------*- C++ -*-===//
//
// Named tensors in Hugging Face's safetensors layout: an 8-byte little-endian
// header length, a JSON header, then the raw data. The reader trusts nothing
// in the header: sizes, offsets, dtypes and shapes are checked against each
// other and against the file before any byte is copied.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_SAFETENSORS_H
#define DLRT_SAFETENSORS_H

#include "dlrt/Status.h"
#include "dlrt/Tensor.h"

#include <map>
#include <string>

namespace dlrt {

using TensorMap = std::map<std::string, Tensor>;

Expected<TensorMap> parseSafetensors(const std::string &bytes,
                                     const std::string &name);
Expected<TensorMap> readSafetensors(const std::string &path);
std::string serializeSafetensors(const TensorMap &tensors);
/// Atomic: the previous file survives any failure.
Status writeSafetensors(const std::string &path, const TensorMap &tensors);

} // namespace dlrt

#endif // DLRT_SAFETENSORS_H
