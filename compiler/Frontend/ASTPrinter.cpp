//===- ASTPrinter.cpp - `--emit=ast`
//---------------------------------------===//
//
// An indented tree, one node a line, with Sema's type after each expression
// so that shape inference can be read off the dump.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/AST.h"

#include "llvm/Support/Format.h"

using namespace dlc;

namespace {

std::string typeExprString(const TypeExpr &t) {
  std::string s = t.elem;
  if (t.dims.empty())
    return s;
  s += "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    if (i)
      s += ", ";
    s += t.dims[i].size > 0 ? std::to_string(t.dims[i].size) : t.dims[i].symbol;
  }
  return s + "]";
}

void printExpr(const Expr &e, llvm::raw_ostream &os, unsigned indent) {
  os.indent(indent);
  if (auto *n = llvm::dyn_cast<NumberExpr>(&e))
    os << "Number " << llvm::format("%g", n->value);
  else if (auto *n = llvm::dyn_cast<NameExpr>(&e))
    os << "Name " << n->name;
  else if (auto *b = llvm::dyn_cast<BinaryExpr>(&e))
    os << "Binary '" << opSpelling(b->op) << "'";
  else if (llvm::isa<NegExpr>(&e))
    os << "Neg";
  else if (auto *c = llvm::dyn_cast<CallExpr>(&e))
    os << "Call " << c->callee;
  else if (llvm::isa<ListExpr>(&e))
    os << "List";
  os << " : " << e.type.str() << "\n";
  if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
    printExpr(*b->lhs, os, indent + 2);
    printExpr(*b->rhs, os, indent + 2);
  } else if (auto *n = llvm::dyn_cast<NegExpr>(&e)) {
    printExpr(*n->operand, os, indent + 2);
  } else if (auto *c = llvm::dyn_cast<CallExpr>(&e)) {
    for (const auto &a : c->args)
      printExpr(*a, os, indent + 2);
    for (const auto &k : c->kwargs) {
      os.indent(indent + 2) << k.name << " =\n";
      printExpr(*k.value, os, indent + 4);
    }
  } else if (auto *l = llvm::dyn_cast<ListExpr>(&e)) {
    for (const auto &x : l->elements)
      printExpr(*x, os, indent + 2);
  }
}

} // namespace

void dlc::printAST(const Program &program, llvm::raw_ostream &os) {
  os << "Program\n";
  for (const auto &p : program.params) {
    os << "  Param " << p->name << " : " << typeExprString(p->typeExpr) << " = "
       << p->init.name;
    if (!p->init.args.empty()) {
      os << "(";
      for (size_t i = 0; i < p->init.args.size(); ++i)
        os << (i ? ", " : "") << llvm::format("%g", p->init.args[i]);
      os << ")";
    }
    os << "\n";
  }
  for (const auto &f : program.fns) {
    os << "  Fn " << f->name << "(";
    for (size_t i = 0; i < f->args.size(); ++i)
      os << (i ? ", " : "") << f->args[i].name << ": "
         << typeExprString(f->args[i].typeExpr);
    os << ") -> " << typeExprString(f->resultExpr) << "\n";
    for (const Stmt &s : f->body) {
      if (s.kind == Stmt::Kind::Let) {
        os << "    Let " << s.name;
        if (s.declared)
          os << " : " << typeExprString(*s.declared);
        os << "\n";
      } else {
        os << "    Return\n";
      }
      printExpr(*s.value, os, 6);
    }
  }
}
