//===- Types.h - tensor types with symbolic dimensions ----------*- C++ -*-===//
//
// The front end's view of a type: an element type and dimensions that are
// either known sizes or named symbols (`B`). Shape checking happens on these,
// so errors can spell shapes the way the user wrote them.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_TYPES_H
#define DLC_FRONTEND_TYPES_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

enum class ElemType { F32, F64, I32, I64, Bool };

inline bool isFloat(ElemType t) {
  return t == ElemType::F32 || t == ElemType::F64;
}

const char *elemTypeName(ElemType type);
std::optional<ElemType> parseElemType(const std::string &name);

struct Dim {
  int64_t size = -1; // -1 when symbolic
  std::string symbol;

  static Dim known(int64_t n) { return Dim{n, ""}; }
  static Dim named(std::string s) { return Dim{-1, std::move(s)}; }
  bool isSymbolic() const { return size < 0; }
  bool operator==(const Dim &o) const {
    return size == o.size && symbol == o.symbol;
  }
  bool operator!=(const Dim &o) const { return !(*this == o); }
  std::string str() const {
    return isSymbolic() ? symbol : std::to_string(size);
  }
};

struct TensorType {
  ElemType elem = ElemType::F32;
  std::vector<Dim> dims;

  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  bool isStatic() const {
    for (const Dim &d : dims)
      if (d.isSymbolic())
        return false;
    return true;
  }
  bool operator==(const TensorType &o) const {
    return elem == o.elem && dims == o.dims;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
  /// `f32[B, 784]`, or `f32` for a scalar.
  std::string str() const;
};

/// NumPy broadcasting with symbols: equal dimensions (size or symbol) match
/// and a static 1 stretches. On failure returns nullopt and sets `badDim` to
/// the failing dimension of the (longer) result, counted from the left.
std::optional<TensorType> broadcastTypes(const TensorType &a,
                                         const TensorType &b, size_t &badDim);

/// The matrix product's type: [M, K] @ [K, N], [..., M, K] @ [K, N], or
/// [..., M, K] @ [..., K, N] with equal batch dimensions. On failure returns
/// nullopt with the reason in `why`.
std::optional<TensorType> matmulType(const TensorType &a, const TensorType &b,
                                     std::string &why);

} // namespace dlc

#endif // DLC_FRONTEND_TYPES_H
