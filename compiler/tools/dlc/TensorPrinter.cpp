//===- TensorPrinter.cpp - human-readable tensor output -------------------===//
#include "TensorPrinter.h"

#include "llvm/Support/Format.h"

using namespace dlc;

static void printElement(const dlrt::Tensor &t, int64_t i,
                         llvm::raw_ostream &os) {
  if (t.dtype() == dlrt::DType::I32)
    os << t.data<int32_t>()[i];
  else if (t.dtype() == dlrt::DType::I64)
    os << t.data<int64_t>()[i];
  else if (t.dtype() == dlrt::DType::Bool)
    os << (t.data<uint8_t>()[i] ? "true" : "false");
  else
    os << llvm::format("%.6g", t.dtype() == dlrt::DType::F32
                                   ? double(t.data<float>()[i])
                                   : t.data<double>()[i]);
}

void dlc::printTensor(const dlrt::Tensor &t, llvm::raw_ostream &os,
                      int64_t maxElements) {
  int64_t n = t.numElements();
  if (t.rank() == 0) {
    printElement(t, 0, os);
    os << "\n";
    return;
  }
  int64_t inner = t.dim(t.rank() - 1);
  bool elide = n > maxElements;
  int64_t head = elide ? maxElements / 2 : n;
  for (int64_t i = 0; i < n; ++i) {
    if (elide && i == head) {
      os << "...\n";
      i = n - maxElements / 2;
    }
    if (inner == 0 || i % inner == 0)
      os << "[";
    printElement(t, i, os);
    if (inner != 0 && i % inner == inner - 1)
      os << "]\n";
    else
      os << ", ";
  }
}
