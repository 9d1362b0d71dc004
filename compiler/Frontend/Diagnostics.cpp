//===- Diagnostics.cpp - front-end diagnostics as values ------------------===//
#include "compiler/Frontend/Diagnostics.h"

#include "llvm/Support/raw_ostream.h"

using namespace dlc;

std::pair<unsigned, unsigned>
DiagnosticEngine::lineAndColumn(llvm::SMLoc loc) const {
  return sourceMgr.getLineAndColumn(loc);
}

llvm::StringRef DiagnosticEngine::bufferName() const {
  return sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
      ->getBufferIdentifier();
}

void DiagnosticEngine::error(llvm::SMLoc loc, const llvm::Twine &message) {
  if (atLimit()) {
    if (!truncated) {
      truncated = true;
      Diagnostic d;
      d.file = bufferName().str();
      d.message =
          "too many errors; stopping after " + std::to_string(maxErrors);
      d.rendered = d.file + ": error: " + d.message + "\n";
      diags.push_back(d);
    }
    return;
  }
  ++numErrors;
  report(Diagnostic::Kind::Error, loc, message);
}

void DiagnosticEngine::note(llvm::SMLoc loc, const llvm::Twine &message) {
  if (truncated)
    return;
  report(Diagnostic::Kind::Note, loc, message);
}

void DiagnosticEngine::report(Diagnostic::Kind kind, llvm::SMLoc loc,
                              const llvm::Twine &message) {
  Diagnostic d;
  d.kind = kind;
  d.file = bufferName().str();
  d.message = message.str();
  if (loc.isValid())
    std::tie(d.line, d.column) = sourceMgr.getLineAndColumn(loc);
  llvm::raw_string_ostream os(d.rendered);
  sourceMgr.PrintMessage(os, loc,
                         kind == Diagnostic::Kind::Error
                             ? llvm::SourceMgr::DK_Error
                             : llvm::SourceMgr::DK_Note,
                         d.message, {}, {}, /*ShowColors=*/false);
  diags.push_back(std::move(d));
}
