//===- TensorPrinter.cpp - human-readable tensor output -------------------===//
#include "TensorPrinter.h"

#include "llvm/Support/Format.h"

using namespace dlc;

static double elementAt(const dlrt::Tensor &t, int64_t i) {
  switch (t.dtype()) {
  case dlrt::DType::F32:
    return t.data<float>()[i];
  case dlrt::DType::F64:
    return t.data<double>()[i];
  case dlrt::DType::I32:
    return t.data<int32_t>()[i];
  case dlrt::DType::I64:
    return static_cast<double>(t.data<int64_t>()[i]);
  }
  return 0;
}

void dlc::printTensor(const dlrt::Tensor &t, llvm::raw_ostream &os,
                      int64_t maxElements) {
  int64_t n = t.numElements();
  if (t.rank() == 0) {
    os << llvm::format("%.6g", elementAt(t, 0)) << "\n";
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
    os << llvm::format("%.6g", elementAt(t, i));
    if (inner != 0 && i % inner == inner - 1)
      os << "]\n";
    else
      os << ", ";
  }
}
