//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads and writes NumPy's .npy format (versions 1-3, C order, little-endian
// f4/f8/i4/i8/b1; u1 reads as int32, for image data). Errors name the file
// and the byte offset of what is wrong.
//
//===----------------------------------------------------------------------===//
#ifndef DLRT_NPY_H
#define DLRT_NPY_H

#include "dlrt/Status.h"
#include "dlrt/Tensor.h"

#include <string>

namespace dlrt {

Expected<Tensor> parseNpy(const std::string &bytes, const std::string &name);
Expected<Tensor> readNpy(const std::string &path);
std::string serializeNpy(const Tensor &tensor);
Status writeNpy(const std::string &path, const Tensor &tensor);

} // namespace dlrt

#endif // DLRT_NPY_H
