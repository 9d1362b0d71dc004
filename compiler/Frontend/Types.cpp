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
  return std::nullopt;
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
