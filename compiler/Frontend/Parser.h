//===- Parser.h - recursive-descent parser for DL ---------------*- C++ -*-===//
//
// Grammar (docs/language.md has the user-facing version):
//   program   := (param | fn | model)*
//   model     := 'model' IDENT ('(' marg (',' marg)* ')')? '{' member* '}'
//   marg      := IDENT ':' IDENT ('=' expr)?
//   member    := param | fn | IDENT '=' instance ';'
//              | IDENT '=' '[' instance 'for' IDENT 'in' 'range' '(' expr ')'
//              ']' ';'
//   instance  := IDENT '(' args ')'
//   param     := 'param' IDENT ':' type ('=' init)? ';'
//   init      := IDENT ('(' expr (',' expr)* ')')?
//   fn        := 'fn' IDENT '(' (arg (',' arg)*)? ')' '->' type block
//   arg       := IDENT ':' type
//   type      := IDENT ('[' dim (',' dim)* ']')?        dim := INT | IDENT
//   block     := '{' stmt* '}'
//   stmt      := 'let' IDENT (':' type)? '=' expr ';' | 'return' expr ';'
//   expr      := additive (('<' | '<=' | '>' | '>=' | '==' | '!=') additive)?
//   additive  := term (('+' | '-') term)*
//   term      := unary (('*' | '/' | '@') unary)*
//   unary     := '-' unary | primary
//   primary   := number | IDENT | IDENT '(' args ')' | '(' expr ')'
// On a syntax error the parser reports it and skips to the next top-level
// declaration, so one run reports errors in several declarations.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_PARSER_H
#define DLC_FRONTEND_PARSER_H

#include "compiler/Frontend/AST.h"
#include "compiler/Frontend/Lexer.h"

namespace dlc {

class Parser {
public:
  Parser(llvm::StringRef buffer, DiagnosticEngine &diags)
      : lexer(buffer, diags), diags(diags) {
    advance();
  }
  /// Parses the whole buffer; check diags for errors afterwards.
  Program parseProgram();

private:
  void advance() { tok = lexer.next(); }
  bool is(Tok kind) const { return tok.kind == kind; }
  bool consume(Tok kind) {
    if (!is(kind))
      return false;
    advance();
    return true;
  }
  /// Consumes `kind` or reports "expected X <context>" at the current token.
  bool expect(Tok kind, const char *context);
  void skipToTopLevel();
  template <typename T>
  bool parseDecl(std::vector<std::unique_ptr<T>> &into,
                 std::unique_ptr<T> (Parser::*parse)()) {
    std::unique_ptr<T> decl = (this->*parse)();
    if (!decl)
      return false;
    into.push_back(std::move(decl));
    return true;
  }

  std::unique_ptr<ParamDecl> parseParam();
  std::unique_ptr<ModelDecl> parseModel();
  /// After `name` (consumed): `= Layer(...);` or `= [M(...) for ...];`.
  bool parseSubmodule(ModelDecl &model, const std::string &name,
                      llvm::SMLoc at);
  /// `train { key = value; ... }`, at the '{'.
  bool parseTrainBlock(TrainBlock &block, llvm::SMLoc at);
  bool parseCallArgs(std::vector<ExprPtr> &args,
                     std::vector<KeywordArg> &kwargs);
  std::unique_ptr<FnDecl> parseFn();
  bool parseType(TypeExpr &type);
  bool parseStmt(std::vector<Stmt> &body);
  ExprPtr checkHeight(ExprPtr e);
  ExprPtr parseExpr();
  ExprPtr parseAdditive();
  ExprPtr parseTerm();
  ExprPtr parseUnary();
  ExprPtr parsePrimary();

  Lexer lexer;
  DiagnosticEngine &diags;
  Token tok;
  static constexpr unsigned kMaxDepth = 200;   // parser recursion
  static constexpr unsigned kMaxHeight = 1000; // tree height
  unsigned depth = 0;
  /// The name of the declaration being parsed, for error recovery.
  std::string declName;
};

} // namespace dlc

#endif // DLC_FRONTEND_PARSER_H
