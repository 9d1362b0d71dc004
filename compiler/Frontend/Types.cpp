//===- Types.cpp - tensor types with symbolic dimensions ------------------===//
#include "compiler/Frontend/Types.h"

using namespace dlc;

const char *dlc::elemTypeName(ElemType type) {
  switch (type) {
  case ElemType::F32:
    return "f32";
  case ElemType::F64:
    return "f64";
  case ElemType::I32:
    return "i32";
  case ElemType::I64:
    return "i64";
  case ElemType::Bool:
    return "bool";
  }
  return "?";
}

std::optional<ElemType> dlc::parseElemType(const std::string &name) {
  if (name == "f32")
    return ElemType::F32;
  if (name == "f64")
    return ElemType::F64;
  if (name == "i32")
    return ElemType::I32;
  if (name == "i64")
    return ElemType::I64;
  if (name == "bool")
    return ElemType::Bool;
  return std::nullopt;
}

std::optional<TensorType>
dlc::broadcastTypes(const TensorType &a, const TensorType &b, size_t &badDim) {
  TensorType result{a.elem, {}};
  size_t rank = std::max(a.dims.size(), b.dims.size());
  result.dims.resize(rank);
  const Dim one = Dim::known(1);
  for (size_t i = 0; i < rank; ++i) {
    const Dim &x = i < a.dims.size() ? a.dims[a.dims.size() - 1 - i] : one;
    const Dim &y = i < b.dims.size() ? b.dims[b.dims.size() - 1 - i] : one;
    Dim r;
    if (x == y)
      r = x;
    else if (x == one)
      r = y;
    else if (y == one)
      r = x;
    else {
      badDim = rank - 1 - i;
      return std::nullopt;
    }
    result.dims[rank - 1 - i] = r;
  }
  return result;
}

std::optional<TensorType>
dlc::matmulType(const TensorType &a, const TensorType &b, std::string &why) {
  int64_t ra = a.rank(), rb = b.rank();
  if (ra < 2 || rb < 2 || (rb > 2 && rb != ra)) {
    why = "expects [M, K] @ [K, N], [..., M, K] @ [K, N] or batches of "
          "equal rank";
    return std::nullopt;
  }
  const Dim &k1 = a.dims[ra - 1], &k2 = b.dims[rb - 2];
  if (k1 != k2) {
    why = "inner dimensions " + k1.str() + " and " + k2.str() + " differ";
    return std::nullopt;
  }
  TensorType r{a.elem, std::vector<Dim>(a.dims.begin(), a.dims.end() - 1)};
  if (rb > 2)
    for (int64_t d = 0; d < ra - 2; ++d)
      if (a.dims[d] != b.dims[d]) {
        why = "batch dimension " + std::to_string(d) + " differs (" +
              a.dims[d].str() + " vs " + b.dims[d].str() + ")";
        return std::nullopt;
      }
  r.dims.push_back(b.dims[rb - 1]);
  return r;
}

std::string TensorType::str() const {
  std::string s = elemTypeName(elem);
  if (dims.empty())
    return s;
  s += "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ", ";
    s += dims[i].str();
  }
  return s + "]";
}
