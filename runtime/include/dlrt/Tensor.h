//===- Tensor.h - dense host tensors ----------------------------*- C++ -*-===//
//
// A dense, row-major, 64-byte-aligned host tensor with shared ownership. This
// is the value type that crosses the runtime, the JIT API and the tools.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_TENSOR_H
#define DLRT_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dlrt {

/// Bool is one byte per element (0 or 1), as NumPy and LLVM store it.
enum class DType { F32, F64, I32, I64, Bool };

/// Bytes per element.
size_t dtypeSize(DType dtype);
/// The DL language spelling: f32, f64, i32, i64.
const char *dtypeName(DType dtype);

using Shape = std::vector<int64_t>;

/// "[3, 784]"; "[]" for a scalar.
std::string shapeString(const Shape &shape);

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor. If the sizes are negative, the size is absurd
  /// (over 2^48 bytes) or memory runs out, the tensor is left unallocated:
  /// check empty().
  Tensor(DType dtype, Shape shape);

  /// A float32 tensor holding a copy of `values` (sizes must agree).
  static Tensor fromF32(Shape shape, const std::vector<float> &values);

  DType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[i]; }
  int64_t numElements() const;
  size_t byteSize() const { return numElements() * dtypeSize(dtype_); }
  bool empty() const { return !storage_; }

  void *rawData() { return storage_.get(); }
  const void *rawData() const { return storage_.get(); }
  template <typename T> T *data() { return static_cast<T *>(rawData()); }
  template <typename T> const T *data() const {
    return static_cast<const T *>(rawData());
  }

  /// Whether another Tensor shares this one's storage (copies share it).
  bool isShared() const { return storage_.use_count() > 1; }
  /// A deep copy (unallocated if memory runs out).
  Tensor clone() const;

  /// "f32[3, 784]".
  std::string typeString() const;

private:
  DType dtype_ = DType::F32;
  Shape shape_;
  std::shared_ptr<unsigned char> storage_;
};

} // namespace dlrt

#endif // DLRT_TENSOR_H
