//===- FileIO.h - whole-file reads and crash-safe writes --------*- C++ -*-===//
#ifndef DLRT_FILEIO_H
#define DLRT_FILEIO_H

#include "dlrt/Status.h"

#include <string>

namespace dlrt {

/// Reads a whole file; the error names the path and the OS reason.
Expected<std::string> readFile(const std::string &path);

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and
/// renames it over `path`, so a failed write never destroys the old file.
Status writeFileAtomic(const std::string &path, const std::string &bytes);

} // namespace dlrt

#endif // DLRT_FILEIO_H
