//===- Lexer.h - tokens of the DL language ----------------------*- C++ -*-===//
#ifndef DLC_FRONTEND_LEXER_H
#define DLC_FRONTEND_LEXER_H

#include "compiler/Frontend/Diagnostics.h"

#include "llvm/ADT/StringRef.h"

namespace dlc {

enum class Tok {
  Eof,
  Error, // already diagnosed
  Identifier,
  Integer,
  Float,
  KwFn,
  KwLet,
  KwReturn,
  KwParam,
  KwModel,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
  Arrow,
  Equal,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  EqualEqual,
  NotEqual,
};

/// How a token kind is spelled in messages: `';'`, `identifier`.
const char *tokenSpelling(Tok kind);

struct Token {
  Tok kind = Tok::Eof;
  llvm::StringRef text;
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
};

class Lexer {
public:
  Lexer(llvm::StringRef buffer, DiagnosticEngine &diags)
      : buffer(buffer), cur(buffer.begin()), diags(diags) {}
  Token next();

private:
  /// Skips whitespace and comments; false if a block comment never ends.
  bool skipTrivia();
  Token make(Tok kind, const char *start) {
    return Token{kind, llvm::StringRef(start, cur - start)};
  }
  Token lexNumber(const char *start);

  llvm::StringRef buffer;
  const char *cur;
  DiagnosticEngine &diags;
};

} // namespace dlc

#endif // DLC_FRONTEND_LEXER_H
