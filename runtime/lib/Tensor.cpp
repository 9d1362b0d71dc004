//===- Tensor.cpp - dense host tensors ------------------------------------===//
#include "dlrt/Tensor.h"

#include <cstdlib>
#include <cstring>

namespace dlrt {

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::Bool:
    return 1;
  }
  return 0;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

std::string shapeString(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  // Aligned for vector loads in generated code; never zero bytes so that
  // an empty tensor still has a distinct, valid pointer. Negative sizes or a
  // byte count past 2^48 leave the tensor unallocated (empty() is true).
  unsigned __int128 count = dtypeSize(dtype_);
  for (int64_t d : shape_) {
    if (d < 0)
      return;
    count *= static_cast<uint64_t>(d);
    if (count > (static_cast<unsigned __int128>(1) << 48))
      return;
  }
  size_t bytes = static_cast<size_t>(count);
  size_t rounded = ((bytes + 63) / 64) * 64;
  if (rounded == 0)
    rounded = 64;
  void *p = std::aligned_alloc(64, rounded);
  if (p)
    std::memset(p, 0, rounded);
  storage_.reset(static_cast<unsigned char *>(p),
                 [](unsigned char *q) { std::free(q); });
}

Tensor Tensor::clone() const {
  if (empty())
    return Tensor();
  Tensor copy(dtype_, shape_);
  if (!copy.empty() && byteSize())
    std::memcpy(copy.rawData(), rawData(), byteSize());
  return copy;
}

Tensor Tensor::fromF32(Shape shape, const std::vector<float> &values) {
  Tensor t(DType::F32, std::move(shape));
  size_t n = std::min<size_t>(values.size(), t.numElements());
  if (n)
    std::memcpy(t.rawData(), values.data(), n * sizeof(float));
  return t;
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

std::string Tensor::typeString() const {
  return std::string(dtypeName(dtype_)) + shapeString(shape_);
}

} // namespace dlrt
