//===- Safetensors.cpp - the safetensors checkpoint format ----------------===//
//
// nlohmann::json parses the header with exceptions disabled: every access is
// preceded by a type check, because a wrong-typed access would abort.
//
//===----------------------------------------------------------------------===//
#include "dlrt/Safetensors.h"
#include "dlrt/FileIO.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

namespace dlrt {
namespace {

using json = nlohmann::json;

Status stError(const std::string &name, size_t offset,
               const std::string &what) {
  return Status::error(name + ": byte " + std::to_string(offset) + ": " + what);
}

bool dtypeFromName(const std::string &s, DType &dtype) {
  if (s == "F32")
    dtype = DType::F32;
  else if (s == "F64")
    dtype = DType::F64;
  else if (s == "I32")
    dtype = DType::I32;
  else if (s == "I64")
    dtype = DType::I64;
  else if (s == "BOOL")
    dtype = DType::Bool;
  else
    return false;
  return true;
}

const char *dtypeToName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  case DType::Bool:
    return "BOOL";
  }
  return "F32";
}

} // namespace

Expected<TensorMap> parseSafetensors(const std::string &bytes,
                                     const std::string &name) {
  if (bytes.size() < 8)
    return stError(name, 0, "file too short for a safetensors header");
  uint64_t headerLen = 0;
  for (int i = 0; i < 8; ++i)
    headerLen |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i]))
                 << (8 * i);
  if (headerLen > bytes.size() - 8)
    return stError(name, 0,
                   "header length " + std::to_string(headerLen) +
                       " runs past the end of the file (" +
                       std::to_string(bytes.size()) + " bytes)");
  json header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + headerLen,
                            nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return stError(name, 8, "header is not a JSON object");
  size_t dataStart = 8 + headerLen;
  uint64_t dataSize = bytes.size() - dataStart;

  TensorMap tensors;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string &key = it.key();
    if (key == "__metadata__")
      continue;
    const json &entry = it.value();
    std::string what = "tensor '" + key + "': ";
    if (!entry.is_object())
      return stError(name, 8, what + "entry is not an object");
    auto dt = entry.find("dtype");
    auto sh = entry.find("shape");
    auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string())
      return stError(name, 8, what + "missing or non-string 'dtype'");
    DType dtype;
    if (!dtypeFromName(dt->get<std::string>(), dtype))
      return stError(name, 8,
                     what + "unsupported dtype '" + dt->get<std::string>() +
                         "' (expected F32, F64, I32, I64 or BOOL)");
    if (sh == entry.end() || !sh->is_array())
      return stError(name, 8, what + "missing or non-array 'shape'");
    Shape shape;
    unsigned __int128 elements = 1;
    for (const json &d : *sh) {
      if (!d.is_number_unsigned())
        return stError(name, 8, what + "shape holds a non-integer or negative");
      uint64_t v = d.get<uint64_t>();
      elements *= v;
      if (v > (uint64_t(1) << 48) ||
          elements > (static_cast<unsigned __int128>(1) << 48))
        return stError(name, 8, what + "shape is implausibly large");
      shape.push_back(static_cast<int64_t>(v));
    }
    if (off == entry.end() || !off->is_array() || off->size() != 2 ||
        !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      return stError(name, 8, what + "'data_offsets' must be two integers");
    uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (begin > end || end > dataSize)
      return stError(name, 8,
                     what + "data_offsets [" + std::to_string(begin) + ", " +
                         std::to_string(end) + "] lie outside the " +
                         std::to_string(dataSize) + "-byte data section");
    uint64_t needed = static_cast<uint64_t>(elements) * dtypeSize(dtype);
    if (end - begin != needed)
      return stError(name, dataStart + begin,
                     what + "holds " + std::to_string(end - begin) +
                         " bytes but " + dtypeName(dtype) + shapeString(shape) +
                         " needs " + std::to_string(needed));
    ranges.push_back({begin, end});
    Tensor tensor(dtype, shape);
    if (tensor.empty())
      return Status::error(name + ": out of memory");
    if (needed)
      std::memcpy(tensor.rawData(), bytes.data() + dataStart + begin, needed);
    tensors.emplace(key, std::move(tensor));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      return stError(name, dataStart + ranges[i].first,
                     "tensor data ranges overlap");
  return tensors;
}

Expected<TensorMap> readSafetensors(const std::string &path) {
  Expected<std::string> bytes = readFile(path);
  if (!bytes)
    return bytes.status();
  return parseSafetensors(*bytes, path);
}

std::string serializeSafetensors(const TensorMap &tensors) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto &[key, tensor] : tensors) {
    uint64_t size = tensor.byteSize();
    header[key] = {{"dtype", dtypeToName(tensor.dtype())},
                   {"shape", tensor.shape()},
                   {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) &
                               0xff);
  out += text;
  for (const auto &entry : tensors)
    out.append(static_cast<const char *>(entry.second.rawData()),
               entry.second.byteSize());
  return out;
}

Status writeSafetensors(const std::string &path, const TensorMap &tensors) {
  return writeFileAtomic(path, serializeSafetensors(tensors));
}

} // namespace dlrt
