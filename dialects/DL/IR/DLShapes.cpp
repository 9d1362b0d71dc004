//===- DLShapes.cpp - shape rules shared by dl ops and lowering -----------===//
#include "dialects/DL/IR/DLShapes.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"

#include <algorithm>

namespace mlir::dl {

std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                unsigned *badDim) {
  size_t rank = std::max(lhs.size(), rhs.size());
  llvm::SmallVector<int64_t> result(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t b = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    int64_t r;
    if (a == b)
      r = a;
    else if (a == 1)
      r = b;
    else if (b == 1)
      r = a;
    else if (ShapedType::isDynamic(a))
      r = b;
    else if (ShapedType::isDynamic(b))
      r = a;
    else {
      if (badDim)
        *badDim = i;
      return std::nullopt;
    }
    result[rank - 1 - i] = r;
  }
  return result;
}

} // namespace mlir::dl
