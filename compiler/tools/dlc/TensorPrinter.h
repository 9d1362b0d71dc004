//===- TensorPrinter.h - human-readable tensor output -----------*- C++ -*-===//
#ifndef DLC_TOOLS_TENSORPRINTER_H
#define DLC_TOOLS_TENSORPRINTER_H

#include "dlrt/Tensor.h"

#include "llvm/Support/raw_ostream.h"

namespace dlc {

/// Prints nested rows like NumPy, eliding the middle past `maxElements`.
void printTensor(const dlrt::Tensor &t, llvm::raw_ostream &os,
                 int64_t maxElements = 1000);

} // namespace dlc

#endif // DLC_TOOLS_TENSORPRINTER_H
