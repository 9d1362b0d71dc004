//===- AST.h - the DL abstract syntax tree ----------------------*- C++ -*-===//
//
// Plain data built by the parser and annotated in place by Sema (types,
// name resolution). Expressions use LLVM-style RTTI (kind + classof).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_AST_H
#define DLC_FRONTEND_AST_H

#include "compiler/Frontend/Types.h"

#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

struct FnDecl;
struct ParamDecl;

/// A type as written: `f32[B, 784]`.
struct TypeExpr {
  llvm::SMLoc loc;
  std::string elem;
  struct DimExpr {
    llvm::SMLoc loc;
    int64_t size = -1; // -1: symbolic
    std::string symbol;
  };
  std::vector<DimExpr> dims;
};

class Expr {
public:
  enum class Kind { Number, Name, Binary, Neg, Call, List };
  Expr(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }

  const Kind kind;
  llvm::SMLoc loc;
  /// Longest path to a leaf (1 for a leaf), bounded by the parser.
  unsigned height = 1;
  /// Filled by Sema.
  TensorType type;
};
using ExprPtr = std::unique_ptr<Expr>;

class NumberExpr : public Expr {
public:
  NumberExpr(llvm::SMLoc loc, double value)
      : Expr(Kind::Number, loc), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }
  double value;
};

class NameExpr : public Expr {
public:
  NameExpr(llvm::SMLoc loc, std::string name)
      : Expr(Kind::Name, loc), name(std::move(name)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }
  std::string name;
  /// Sema: what the name refers to.
  enum class Ref {
    Unresolved,
    Local,
    Argument,
    Parameter
  } ref = Ref::Unresolved;
  const ParamDecl *param = nullptr;
};

/// How a BinaryExpr's operator is spelled: '+', '<=' (op 'l'), '==' ('e')...
inline const char *opSpelling(char op) {
  switch (op) {
  case 'l':
    return "<=";
  case 'g':
    return ">=";
  case 'e':
    return "==";
  case 'n':
    return "!=";
  case '+':
    return "+";
  case '-':
    return "-";
  case '*':
    return "*";
  case '/':
    return "/";
  case '@':
    return "@";
  case '<':
    return "<";
  case '>':
    return ">";
  }
  return "?";
}

inline bool isComparison(char op) {
  return op == '<' || op == '>' || op == 'l' || op == 'g' || op == 'e' ||
         op == 'n';
}

class BinaryExpr : public Expr {
public:
  BinaryExpr(llvm::SMLoc loc, char op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {
    height = std::max(this->lhs->height, this->rhs->height) + 1;
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
  char op; // + - * / @
  ExprPtr lhs, rhs;
};

class NegExpr : public Expr {
public:
  NegExpr(llvm::SMLoc loc, ExprPtr operand)
      : Expr(Kind::Neg, loc), operand(std::move(operand)) {
    height = this->operand->height + 1;
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Neg; }
  ExprPtr operand;
};

/// `[a, b, c]`: compile-time lists (shapes, axes, window sizes).
class ListExpr : public Expr {
public:
  ListExpr(llvm::SMLoc loc, std::vector<ExprPtr> elements)
      : Expr(Kind::List, loc), elements(std::move(elements)) {
    for (const auto &e : this->elements)
      height = std::max(height, e->height + 1);
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }
  std::vector<ExprPtr> elements;
};

/// A `name = value` argument of a call.
struct KeywordArg {
  llvm::SMLoc loc;
  std::string name;
  ExprPtr value;
};

/// A builtin's argument after Sema bound it to the builtin's parameter list:
/// a tensor expression, or a compile-time value.
struct BoundArg {
  bool present = false;
  const Expr *tensor = nullptr;
  std::vector<const Expr *> tensors; // TensorList
  std::vector<int64_t> ints;         // Int (one element), IntList, IntPair
  std::vector<Dim> shape;            // Shape
  bool flag = false;                 // Bool
  double number = 0;                 // Float
};

class CallExpr : public Expr {
public:
  CallExpr(llvm::SMLoc loc, std::string callee, std::vector<ExprPtr> args,
           std::vector<KeywordArg> kwargs)
      : Expr(Kind::Call, loc), callee(std::move(callee)), args(std::move(args)),
        kwargs(std::move(kwargs)) {
    for (const auto &a : this->args)
      height = std::max(height, a->height + 1);
    for (const auto &k : this->kwargs)
      height = std::max(height, k.value->height + 1);
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
  std::string callee;
  std::vector<ExprPtr> args;
  std::vector<KeywordArg> kwargs;
  /// Sema: the user function called, or null for a builtin.
  const FnDecl *fn = nullptr;
  /// Sema, builtins only: arguments by the builtin's parameter order.
  std::vector<BoundArg> bound;
};

struct Stmt {
  enum class Kind { Let, Return };
  Kind kind;
  llvm::SMLoc loc;
  std::string name;                   // Let
  llvm::SMLoc nameLoc;                // Let
  std::unique_ptr<TypeExpr> declared; // Let, optional
  ExprPtr value;
};

struct ArgDecl {
  llvm::SMLoc loc;
  std::string name;
  TypeExpr typeExpr;
  TensorType type; // Sema
};

struct FnDecl {
  llvm::SMLoc loc;
  std::string name;
  std::vector<ArgDecl> args;
  TypeExpr resultExpr;
  TensorType result; // Sema
  std::vector<Stmt> body;
  llvm::SMLoc endLoc; // the closing brace
};

struct Initializer {
  llvm::SMLoc loc;
  std::string name = "zeros"; // see docs/language.md
  /// As written (compile-time expressions); evaluated into `args` by
  /// elaboration.
  std::vector<ExprPtr> argExprs;
  std::vector<double> args;
};

struct ParamDecl {
  llvm::SMLoc loc;
  std::string name;
  TypeExpr typeExpr;
  TensorType type; // Sema
  Initializer init;
  /// Empty for a trained parameter. Otherwise module state the optimizer
  /// never touches: "running" (batch norm's running statistics, updated by
  /// training-mode steps) or "step_count" (incremented by each step).
  std::string buffer;
};

/// `name: int = 3` in a model's header.
struct ModelArg {
  llvm::SMLoc loc;
  std::string name;
  std::string kind; // int, float, bool
  ExprPtr defaultValue;
};

/// `conv1 = Conv2d(1, 64, 3, padding=1);` or, with `count`,
/// `blocks = [Block(d) for i in range(n)];`.
struct SubmoduleDecl {
  llvm::SMLoc loc;
  std::string name;
  llvm::SMLoc modelLoc;
  std::string model;
  std::vector<ExprPtr> args;
  std::vector<KeywordArg> kwargs;
  ExprPtr count;       // list form only
  std::string loopVar; // list form only
};

/// `key = value;` inside a `train { ... }` block; values are expressions
/// (`adam(lr=1e-3)`, `64`, `[accuracy]`) interpreted by readTrainConfig.
struct TrainEntry {
  llvm::SMLoc loc;
  std::string key;
  ExprPtr value;
};

struct TrainBlock {
  llvm::SMLoc loc;
  std::vector<TrainEntry> entries;
};

struct ModelDecl {
  llvm::SMLoc loc;
  std::string name;
  std::optional<TrainBlock> train;
  std::vector<ModelArg> args;
  std::vector<std::unique_ptr<ParamDecl>> params;
  std::vector<SubmoduleDecl> submodules;
  std::vector<std::unique_ptr<FnDecl>> fns;
};

struct Program {
  std::vector<std::unique_ptr<ParamDecl>> params;
  std::vector<std::unique_ptr<FnDecl>> fns;
  /// Model definitions; elaboration instantiates the root (the last one)
  /// into params and fns above and clears this list.
  std::vector<std::unique_ptr<ModelDecl>> models;
  /// The training settings of the program: a top-level block, or the root
  /// model's (moved here by elaboration).
  std::optional<TrainBlock> train;
  /// Names of declarations that failed to parse: Sema stays quiet about
  /// uses of them instead of cascading "unknown name" errors.
  std::vector<std::string> brokenNames;
};

/// Prints the tree (with Sema's types when present) for `--emit=ast`.
void printAST(const Program &program, llvm::raw_ostream &os);

} // namespace dlc

#endif // DLC_FRONTEND_AST_H
