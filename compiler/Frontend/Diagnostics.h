//===- Diagnostics.h - front-end diagnostics as values ----------*- C++ -*-===//
//
// The front end never prints or exits: it records diagnostics, which callers
// (dlc, the JIT API) render as `file:line:col: error: ...` with the source
// line and a caret, using llvm::SourceMgr.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_DIAGNOSTICS_H
#define DLC_FRONTEND_DIAGNOSTICS_H

#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include <string>
#include <vector>

namespace dlc {

struct Diagnostic {
  enum class Kind { Error, Note };
  Kind kind = Kind::Error;
  std::string file;
  unsigned line = 0, column = 0;
  std::string message;
  /// The full text: location, message, source line and caret.
  std::string rendered;
};

/// Collects diagnostics for one source buffer. After `maxErrors` errors it
/// records a final "too many errors" and ignores the rest.
class DiagnosticEngine {
public:
  DiagnosticEngine(llvm::SourceMgr &sourceMgr, unsigned maxErrors = 20)
      : sourceMgr(sourceMgr), maxErrors(maxErrors) {}

  void error(llvm::SMLoc loc, const llvm::Twine &message);
  void note(llvm::SMLoc loc, const llvm::Twine &message);

  unsigned errorCount() const { return numErrors; }
  bool hasErrors() const { return numErrors > 0; }
  bool atLimit() const { return numErrors >= maxErrors; }
  const std::vector<Diagnostic> &diagnostics() const { return diags; }

  /// Line and column (1-based) of a location.
  std::pair<unsigned, unsigned> lineAndColumn(llvm::SMLoc loc) const;
  llvm::StringRef bufferName() const;

private:
  void report(Diagnostic::Kind kind, llvm::SMLoc loc,
              const llvm::Twine &message);

  llvm::SourceMgr &sourceMgr;
  unsigned maxErrors;
  unsigned numErrors = 0;
  bool truncated = false;
  std::vector<Diagnostic> diags;
};

} // namespace dlc

#endif // DLC_FRONTEND_DIAGNOSTICS_H
