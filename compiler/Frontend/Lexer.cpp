//===- Lexer.cpp - tokens of the DL language ------------------------------===//
#include "compiler/Frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"

#include <cctype>

using namespace dlc;

const char *dlc::tokenSpelling(Tok kind) {
  switch (kind) {
  case Tok::Eof:
    return "end of file";
  case Tok::Error:
    return "invalid token";
  case Tok::Identifier:
    return "identifier";
  case Tok::Integer:
    return "integer";
  case Tok::Float:
    return "number";
  case Tok::KwFn:
    return "'fn'";
  case Tok::KwLet:
    return "'let'";
  case Tok::KwReturn:
    return "'return'";
  case Tok::KwParam:
    return "'param'";
  case Tok::KwModel:
    return "'model'";
  case Tok::LParen:
    return "'('";
  case Tok::RParen:
    return "')'";
  case Tok::LBracket:
    return "'['";
  case Tok::RBracket:
    return "']'";
  case Tok::LBrace:
    return "'{'";
  case Tok::RBrace:
    return "'}'";
  case Tok::Comma:
    return "','";
  case Tok::Colon:
    return "':'";
  case Tok::Semicolon:
    return "';'";
  case Tok::Arrow:
    return "'->'";
  case Tok::Equal:
    return "'='";
  case Tok::Plus:
    return "'+'";
  case Tok::Minus:
    return "'-'";
  case Tok::Star:
    return "'*'";
  case Tok::Slash:
    return "'/'";
  case Tok::At:
    return "'@'";
  case Tok::Less:
    return "'<'";
  case Tok::LessEqual:
    return "'<='";
  case Tok::Greater:
    return "'>'";
  case Tok::GreaterEqual:
    return "'>='";
  case Tok::EqualEqual:
    return "'=='";
  case Tok::NotEqual:
    return "'!='";
  }
  return "token";
}

bool Lexer::skipTrivia() {
  while (cur != buffer.end()) {
    if (std::isspace(static_cast<unsigned char>(*cur))) {
      ++cur;
    } else if (*cur == '/' && cur + 1 != buffer.end() && cur[1] == '/') {
      while (cur != buffer.end() && *cur != '\n')
        ++cur;
    } else if (*cur == '/' && cur + 1 != buffer.end() && cur[1] == '*') {
      const char *start = cur;
      cur += 2;
      while (cur != buffer.end() &&
             !(*cur == '*' && cur + 1 != buffer.end() && cur[1] == '/'))
        ++cur;
      if (cur == buffer.end()) {
        diags.error(llvm::SMLoc::getFromPointer(start),
                    "unterminated block comment");
        return false;
      }
      cur += 2;
    } else {
      break;
    }
  }
  return true;
}

Token Lexer::lexNumber(const char *start) {
  bool isFloat = false;
  while (cur != buffer.end() && std::isdigit(static_cast<unsigned char>(*cur)))
    ++cur;
  if (cur != buffer.end() && *cur == '.') {
    isFloat = true;
    ++cur;
    while (cur != buffer.end() &&
           std::isdigit(static_cast<unsigned char>(*cur)))
      ++cur;
  }
  if (cur != buffer.end() && (*cur == 'e' || *cur == 'E')) {
    const char *expStart = cur;
    ++cur;
    if (cur != buffer.end() && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur == buffer.end() ||
        !std::isdigit(static_cast<unsigned char>(*cur))) {
      diags.error(llvm::SMLoc::getFromPointer(expStart),
                  "malformed exponent in number literal");
      return make(Tok::Error, start);
    }
    while (cur != buffer.end() &&
           std::isdigit(static_cast<unsigned char>(*cur)))
      ++cur;
    isFloat = true;
  }
  if (cur != buffer.end() &&
      (std::isalpha(static_cast<unsigned char>(*cur)) || *cur == '_')) {
    diags.error(llvm::SMLoc::getFromPointer(cur),
                "unexpected character in number literal");
    while (cur != buffer.end() &&
           (std::isalnum(static_cast<unsigned char>(*cur)) || *cur == '_'))
      ++cur;
    return make(Tok::Error, start);
  }
  return make(isFloat ? Tok::Float : Tok::Integer, start);
}

Token Lexer::next() {
  if (!skipTrivia())
    return Token{Tok::Eof, llvm::StringRef(cur, 0)};
  if (cur == buffer.end())
    return Token{Tok::Eof, llvm::StringRef(cur, 0)};
  const char *start = cur;
  char c = *cur++;
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    while (cur != buffer.end() &&
           (std::isalnum(static_cast<unsigned char>(*cur)) || *cur == '_'))
      ++cur;
    llvm::StringRef text(start, cur - start);
    Tok kind = llvm::StringSwitch<Tok>(text)
                   .Case("fn", Tok::KwFn)
                   .Case("let", Tok::KwLet)
                   .Case("return", Tok::KwReturn)
                   .Case("param", Tok::KwParam)
                   .Case("model", Tok::KwModel)
                   .Default(Tok::Identifier);
    return make(kind, start);
  }
  if (std::isdigit(static_cast<unsigned char>(c)) ||
      (c == '.' && cur != buffer.end() &&
       std::isdigit(static_cast<unsigned char>(*cur))))
    return lexNumber(start);
  switch (c) {
  case '(':
    return make(Tok::LParen, start);
  case ')':
    return make(Tok::RParen, start);
  case '[':
    return make(Tok::LBracket, start);
  case ']':
    return make(Tok::RBracket, start);
  case '{':
    return make(Tok::LBrace, start);
  case '}':
    return make(Tok::RBrace, start);
  case ',':
    return make(Tok::Comma, start);
  case ':':
    return make(Tok::Colon, start);
  case ';':
    return make(Tok::Semicolon, start);
  case '=':
    if (cur != buffer.end() && *cur == '=') {
      ++cur;
      return make(Tok::EqualEqual, start);
    }
    return make(Tok::Equal, start);
  case '<':
    if (cur != buffer.end() && *cur == '=') {
      ++cur;
      return make(Tok::LessEqual, start);
    }
    return make(Tok::Less, start);
  case '>':
    if (cur != buffer.end() && *cur == '=') {
      ++cur;
      return make(Tok::GreaterEqual, start);
    }
    return make(Tok::Greater, start);
  case '!':
    if (cur != buffer.end() && *cur == '=') {
      ++cur;
      return make(Tok::NotEqual, start);
    }
    break;
  case '+':
    return make(Tok::Plus, start);
  case '*':
    return make(Tok::Star, start);
  case '/':
    return make(Tok::Slash, start);
  case '@':
    return make(Tok::At, start);
  case '-':
    if (cur != buffer.end() && *cur == '>') {
      ++cur;
      return make(Tok::Arrow, start);
    }
    return make(Tok::Minus, start);
  default:
    break;
  }
  std::string shown =
      std::isprint(static_cast<unsigned char>(c))
          ? std::string("'") + c + "'"
          : "byte " + std::to_string(static_cast<unsigned char>(c));
  diags.error(llvm::SMLoc::getFromPointer(start),
              "unexpected character " + shown);
  return make(Tok::Error, start);
}
