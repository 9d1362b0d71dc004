//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// The header is a Python dict literal; we parse only the three keys NumPy
// writes, and check the payload size against the shape before allocating.
//
//===----------------------------------------------------------------------===//
#include "dlrt/Npy.h"
#include "dlrt/FileIO.h"

#include <cstring>
#include <limits>

namespace dlrt {
namespace {

Status npyError(const std::string &name, size_t offset,
                const std::string &what) {
  return Status::error(name + ": byte " + std::to_string(offset) + ": " + what);
}

/// Finds `'key':` in the header dict and returns the offset after the colon.
size_t findKey(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return std::string::npos;
  at = header.find(':', at);
  return at == std::string::npos ? at : at + 1;
}

void skipSpaces(const std::string &s, size_t &i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
}

} // namespace

Expected<Tensor> parseNpy(const std::string &bytes, const std::string &name) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0)
    return npyError(name, 0, "not a .npy file (bad magic)");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                (static_cast<unsigned char>(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return npyError(name, 8, "truncated header length");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i]))
                   << (8 * i);
    headerStart = 12;
  } else {
    return npyError(name, 6,
                    "unsupported .npy version " + std::to_string(major));
  }
  if (headerLen > bytes.size() - headerStart)
    return npyError(name, headerStart,
                    "header length " + std::to_string(headerLen) +
                        " runs past the end of the file");
  std::string header = bytes.substr(headerStart, headerLen);

  size_t at = findKey(header, "descr");
  if (at == std::string::npos)
    return npyError(name, headerStart, "header has no 'descr'");
  skipSpaces(header, at);
  size_t end =
      at < header.size() ? header.find(header[at], at + 1) : std::string::npos;
  if (at >= header.size() || (header[at] != '\'' && header[at] != '"') ||
      end == std::string::npos)
    return npyError(name, headerStart + at, "malformed 'descr'");
  std::string descr = header.substr(at + 1, end - at - 1);
  DType dtype;
  // uint8 (images) widens to int32: there is no uint8 tensor.
  bool widenU8 = descr == "|u1";
  if (widenU8)
    dtype = DType::I32;
  else if (descr == "<f4")
    dtype = DType::F32;
  else if (descr == "<f8")
    dtype = DType::F64;
  else if (descr == "<i4")
    dtype = DType::I32;
  else if (descr == "<i8")
    dtype = DType::I64;
  else if (descr == "|b1")
    dtype = DType::Bool;
  else
    return npyError(name, headerStart + at,
                    "unsupported dtype '" + descr +
                        "' (expected <f4, <f8, <i4, <i8, |u1 or |b1)");

  at = findKey(header, "fortran_order");
  if (at == std::string::npos)
    return npyError(name, headerStart, "header has no 'fortran_order'");
  skipSpaces(header, at);
  if (header.compare(at, 4, "True") == 0)
    return npyError(
        name, headerStart + at,
        "Fortran-order arrays are not supported; save with C order");
  if (header.compare(at, 5, "False") != 0)
    return npyError(name, headerStart + at, "malformed 'fortran_order'");

  at = findKey(header, "shape");
  if (at == std::string::npos)
    return npyError(name, headerStart, "header has no 'shape'");
  skipSpaces(header, at);
  if (at >= header.size() || header[at] != '(')
    return npyError(name, headerStart + at, "malformed 'shape'");
  ++at;
  Shape shape;
  unsigned __int128 elements = 1;
  while (true) {
    skipSpaces(header, at);
    if (at < header.size() && header[at] == ')')
      break;
    size_t digitsStart = at;
    int64_t value = 0;
    while (at < header.size() && header[at] >= '0' && header[at] <= '9') {
      value = value * 10 + (header[at] - '0');
      if (value > (int64_t(1) << 48))
        return npyError(name, headerStart + digitsStart, "dimension too large");
      ++at;
    }
    if (at == digitsStart)
      return npyError(name, headerStart + at, "malformed 'shape'");
    shape.push_back(value);
    elements *= static_cast<unsigned __int128>(value);
    if (elements > (static_cast<unsigned __int128>(1) << 48))
      return npyError(name, headerStart + digitsStart, "array too large");
    skipSpaces(header, at);
    if (at < header.size() && header[at] == ',')
      ++at;
  }

  size_t dataStart = headerStart + headerLen;
  size_t expected =
      static_cast<size_t>(elements) * (widenU8 ? 1 : dtypeSize(dtype));
  size_t available = bytes.size() - dataStart;
  if (available != expected)
    return npyError(name, dataStart,
                    "payload is " + std::to_string(available) +
                        " bytes but shape " + shapeString(shape) + " of " +
                        (widenU8 ? std::string("uint8") : dtypeName(dtype)) +
                        " needs " + std::to_string(expected));
  Tensor tensor(dtype, shape);
  if (tensor.empty())
    return Status::error(name + ": out of memory");
  if (widenU8) {
    const auto *src =
        reinterpret_cast<const unsigned char *>(bytes.data() + dataStart);
    for (size_t i = 0; i < expected; ++i)
      tensor.data<int32_t>()[i] = src[i];
  } else if (expected) {
    std::memcpy(tensor.rawData(), bytes.data() + dataStart, expected);
  }
  return tensor;
}

Expected<Tensor> readNpy(const std::string &path) {
  Expected<std::string> bytes = readFile(path);
  if (!bytes)
    return bytes.status();
  return parseNpy(*bytes, path);
}

std::string serializeNpy(const Tensor &tensor) {
  const char *descr = "<f4";
  switch (tensor.dtype()) {
  case DType::F32:
    descr = "<f4";
    break;
  case DType::F64:
    descr = "<f8";
    break;
  case DType::I32:
    descr = "<i4";
    break;
  case DType::I64:
    descr = "<i8";
    break;
  case DType::Bool:
    descr = "|b1";
    break;
  }
  std::string shape = "(";
  for (int64_t d : tensor.shape())
    shape += std::to_string(d) + ", ";
  if (tensor.rank() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.rank() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the payload starts on a 64-byte boundary, as NumPy does.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char *>(tensor.rawData()), tensor.byteSize());
  return out;
}

Status writeNpy(const std::string &path, const Tensor &tensor) {
  return writeFileAtomic(path, serializeNpy(tensor));
}

} // namespace dlrt
