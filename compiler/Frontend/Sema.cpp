//===- Sema.cpp - names, types and shapes of a DL program -----------------===//
//
// Shape rules (mirrored by the dl dialect's verifiers, which see `?` where we
// see a symbol):
//  - broadcasting aligns trailing dimensions; equal dimensions (same size or
//    same symbol) match, a static 1 stretches; anything else is an error;
//  - `@` takes [M, K] @ [K, N]; the K's must be the same size or symbol;
//  - a call binds the callee's symbols from the argument types, checks every
//    use of a symbol binds the same dimension, and substitutes the result.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Sema.h"
#include "compiler/Frontend/Builtins.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <map>
#include <set>

using namespace dlc;

namespace {

class Sema {
public:
  Sema(Program &program, DiagnosticEngine &diags)
      : program(program), diags(diags) {}

  bool run() {
    for (auto &param : program.params)
      checkParam(*param);
    for (auto &fn : program.fns)
      checkFn(*fn);
    return !diags.hasErrors();
  }

private:
  struct Local {
    TensorType type;
    llvm::SMLoc loc;
    bool isArg;
  };

  /// Declares a top-level name, reporting a redefinition.
  bool declareGlobal(const std::string &name, llvm::SMLoc loc) {
    auto [it, inserted] = globals.try_emplace(name, loc);
    if (inserted)
      return true;
    diags.error(loc, "redefinition of '" + name + "'");
    diags.note(it->second, "previous definition is here");
    return false;
  }

  std::optional<TensorType> resolveType(const TypeExpr &expr) {
    std::optional<ElemType> elem = parseElemType(expr.elem);
    if (!elem) {
      diags.error(expr.loc, "unknown element type '" + expr.elem +
                                "' (expected f32, f64, i32, i64 or bool)");
      return std::nullopt;
    }
    TensorType type;
    type.elem = *elem;
    double elements = 1;
    for (const auto &d : expr.dims) {
      type.dims.push_back(d.size > 0 ? Dim::known(d.size)
                                     : Dim::named(d.symbol));
      elements *= d.size > 0 ? double(d.size) : 1.0;
    }
    if (elements > 0x1p40) {
      diags.error(expr.loc, "tensor type " + type.str() +
                                " is too large (over 2^40 elements)");
      return std::nullopt;
    }
    return type;
  }

  void checkParam(ParamDecl &param) {
    declareGlobal(param.name, param.loc);
    if (auto type = resolveType(param.typeExpr)) {
      param.type = *type;
      for (const auto &d : param.typeExpr.dims)
        if (d.size < 0)
          diags.error(d.loc, "parameter '" + param.name +
                                 "' must have a static shape; '" + d.symbol +
                                 "' is symbolic");
    }
    // name -> (min, max) argument count.
    static const std::map<std::string, std::pair<size_t, size_t>> arities = {
        {"zeros", {0, 0}},           {"ones", {0, 0}},
        {"uniform", {2, 2}},         {"normal", {2, 2}},
        {"kaiming_uniform", {0, 1}}, {"kaiming_normal", {0, 1}},
        {"xavier_uniform", {0, 1}},  {"xavier_normal", {0, 1}}};
    auto it = arities.find(param.init.name);
    bool random = param.init.name != "zeros" && param.init.name != "ones";
    bool fanBased =
        random && param.init.name != "uniform" && param.init.name != "normal";
    if (it == arities.end()) {
      diags.error(param.init.loc,
                  "unknown initializer '" + param.init.name +
                      "' (expected zeros, ones, uniform(lo, hi), normal(mean, "
                      "std), kaiming_uniform, kaiming_normal, xavier_uniform "
                      "or xavier_normal)");
    } else if (param.init.argExprs.size() < it->second.first ||
               param.init.argExprs.size() > it->second.second) {
      std::string expected = it->second.first == it->second.second
                                 ? std::to_string(it->second.first)
                                 : std::to_string(it->second.first) + " or " +
                                       std::to_string(it->second.second);
      diags.error(param.init.loc,
                  "initializer '" + param.init.name + "' expects " + expected +
                      " arguments, got " +
                      std::to_string(param.init.argExprs.size()));
    } else if (fanBased && param.type.rank() < 2) {
      diags.error(param.init.loc, "initializer '" + param.init.name +
                                      "' computes fan-in and fan-out, which "
                                      "needs a parameter of rank 2 or more; '" +
                                      param.name + "' is " + param.type.str());
    } else if (random && !isFloat(param.type.elem)) {
      diags.error(param.init.loc, "initializer '" + param.init.name +
                                      "' needs a floating-point parameter, "
                                      "but '" +
                                      param.name + "' is " + param.type.str());
    } else if (param.init.name == "normal" && param.init.args[1] < 0) {
      diags.error(param.init.loc,
                  "normal(mean, std) needs a non-negative standard deviation");
    }
  }

  void checkFn(FnDecl &fn) {
    declareGlobal(fn.name, fn.loc);
    locals.clear();
    std::set<std::string> symbols;
    symbolOrigins.clear();
    bool signatureOk = true;
    for (ArgDecl &arg : fn.args) {
      auto type = resolveType(arg.typeExpr);
      if (!type) {
        signatureOk = false;
        continue;
      }
      arg.type = *type;
      for (size_t i = 0; i < arg.type.dims.size(); ++i) {
        const Dim &d = arg.type.dims[i];
        if (!d.isSymbolic())
          continue;
        symbols.insert(d.symbol);
        symbolOrigins.try_emplace(
            d.symbol, SymbolOrigin{arg.name, arg.typeExpr.dims[i].loc});
      }
      declareLocal(arg.name, arg.loc, arg.type, /*isArg=*/true);
    }
    bool resultOk = true;
    if (auto type = resolveType(fn.resultExpr)) {
      fn.result = *type;
      for (const auto &d : fn.resultExpr.dims)
        if (d.size < 0 && !symbols.count(d.symbol)) {
          diags.error(d.loc, "result dimension '" + d.symbol +
                                 "' is not bound by any argument of '" +
                                 fn.name + "'");
          resultOk = false;
        }
    } else {
      signatureOk = false;
    }
    if (!signatureOk) {
      program.brokenNames.push_back(fn.name); // no cascade at call sites
      return;
    }
    // Signatures are complete: later functions may call this one.
    bool returned = false;
    for (Stmt &stmt : fn.body) {
      if (returned) {
        diags.error(stmt.loc, "statement after 'return' is unreachable");
        break;
      }
      if (stmt.kind == Stmt::Kind::Return) {
        returned = true;
        if (checkExpr(*stmt.value) && resultOk && stmt.value->type != fn.result)
          diags.error(stmt.value->loc,
                      "'" + fn.name + "' returns " + stmt.value->type.str() +
                          " but its declared result is " + fn.result.str());
        continue;
      }
      bool ok = checkExpr(*stmt.value);
      TensorType type = stmt.value->type;
      if (ok && stmt.declared) {
        if (auto declared = resolveType(*stmt.declared)) {
          if (*declared != type)
            diags.error(stmt.value->loc, "'" + stmt.name + "' is declared " +
                                             declared->str() +
                                             " but its value is " + type.str());
        }
      }
      declareLocal(stmt.name, stmt.nameLoc, type, /*isArg=*/false);
    }
    if (!returned)
      diags.error(fn.endLoc, "function '" + fn.name +
                                 "' must end with a 'return' statement");
    fnsByName[fn.name] = &fn;
  }

  void declareLocal(const std::string &name, llvm::SMLoc loc,
                    const TensorType &type, bool isArg) {
    if (auto it = locals.find(name); it != locals.end()) {
      diags.error(loc, "redefinition of '" + name + "'");
      diags.note(it->second.loc, "previous definition is here");
      return;
    }
    if (paramByName(name)) {
      diags.error(loc, "'" + name + "' shadows the parameter of that name");
      return;
    }
    locals[name] = Local{type, loc, isArg};
  }

  const ParamDecl *paramByName(const std::string &name) {
    for (auto &p : program.params)
      if (p->name == name)
        return p.get();
    return nullptr;
  }

  bool checkExpr(Expr &expr) {
    if (auto *num = llvm::dyn_cast<NumberExpr>(&expr)) {
      (void)num;
      expr.type = TensorType{ElemType::F32, {}};
      return true;
    }
    if (auto *name = llvm::dyn_cast<NameExpr>(&expr))
      return checkName(*name);
    if (auto *neg = llvm::dyn_cast<NegExpr>(&expr)) {
      if (!checkExpr(*neg->operand))
        return false;
      expr.type = neg->operand->type;
      return true;
    }
    if (auto *bin = llvm::dyn_cast<BinaryExpr>(&expr))
      return checkBinary(*bin);
    if (llvm::isa<ListExpr>(&expr)) {
      diags.error(expr.loc, "a list can only be an argument of a builtin "
                            "(a shape, axes or window size)");
      return false;
    }
    return checkCall(*llvm::cast<CallExpr>(&expr));
  }

  bool checkName(NameExpr &name) {
    if (auto it = locals.find(name.name); it != locals.end()) {
      name.ref =
          it->second.isArg ? NameExpr::Ref::Argument : NameExpr::Ref::Local;
      name.type = it->second.type;
      return true;
    }
    if (const ParamDecl *param = paramByName(name.name)) {
      name.ref = NameExpr::Ref::Parameter;
      name.param = param;
      name.type = param->type;
      return true;
    }
    if (name.name == "true" || name.name == "false") {
      name.type = TensorType{ElemType::Bool, {}};
      return true;
    }
    if (fnsByName.count(name.name) || isBuiltin(name.name)) {
      diags.error(name.loc, "function '" + name.name +
                                "' used as a value; call it with '(...)'");
      return false;
    }
    if (!isBroken(name.name))
      diags.error(name.loc, "unknown name '" + name.name + "'");
    return false;
  }

  bool isBroken(const std::string &name) const {
    for (const std::string &b : program.brokenNames)
      if (b == name)
        return true;
    return false;
  }

  /// A literal (a number, possibly negated) is "weakly typed": it takes the
  /// element type of the tensor it meets, so `x * 2.0` works for f64 `x`.
  static bool isLiteral(const Expr &e) {
    if (llvm::isa<NumberExpr>(e))
      return true;
    if (auto *neg = llvm::dyn_cast<NegExpr>(&e))
      return isLiteral(*neg->operand);
    return false;
  }
  static void setLiteralElemType(Expr &e, ElemType elem) {
    e.type.elem = elem;
    if (auto *neg = llvm::dyn_cast<NegExpr>(&e))
      setLiteralElemType(*neg->operand, elem);
  }
  /// A literal that became an integer type must hold an integer value.
  bool checkIntegerLiteral(const Expr &e) {
    if (!isLiteral(e) || isFloat(e.type.elem))
      return true;
    const Expr *inner = &e;
    while (auto *neg = llvm::dyn_cast<NegExpr>(inner))
      inner = neg->operand.get();
    double v = llvm::cast<NumberExpr>(inner)->value;
    if (v == static_cast<double>(static_cast<int64_t>(v)) &&
        std::fabs(v) < 9e15)
      return true;
    diags.error(inner->loc, "literal is not an integer but is used as " +
                                std::string(elemTypeName(e.type.elem)));
    return false;
  }

  static void adoptElemType(Expr &literal, const Expr &other) {
    if (isLiteral(literal) && !isLiteral(other))
      setLiteralElemType(literal, other.type.elem);
  }

  bool checkBinary(BinaryExpr &bin) {
    bool ok = checkExpr(*bin.lhs);
    ok &= checkExpr(*bin.rhs);
    if (!ok)
      return false;
    adoptElemType(*bin.lhs, *bin.rhs);
    adoptElemType(*bin.rhs, *bin.lhs);
    const TensorType &a = bin.lhs->type, &b = bin.rhs->type;
    std::string op = opSpelling(bin.op);
    if (a.elem != b.elem) {
      diags.error(bin.loc, "operands of '" + op +
                               "' have different element "
                               "types: " +
                               a.str() + " and " + b.str());
      return false;
    }
    if (!checkIntegerLiteral(*bin.lhs) || !checkIntegerLiteral(*bin.rhs))
      return false;
    if (a.elem == ElemType::Bool && !(bin.op == 'e' || bin.op == 'n')) {
      diags.error(bin.loc, "'" + op + "' is not defined for bool tensors (" +
                               a.str() + " and " + b.str() +
                               "); convert with f32(...) or i64(...)");
      return false;
    }
    if (bin.op == '/' && !isFloat(a.elem)) {
      diags.error(bin.loc, "'/' is only defined for floating-point tensors; "
                           "got " +
                               a.str() + " and " + b.str());
      return false;
    }
    if (bin.op == '@')
      return checkMatmul(bin);
    size_t bad = 0;
    std::optional<TensorType> result = broadcastTypes(a, b, bad);
    if (!result) {
      size_t rank = std::max(a.dims.size(), b.dims.size());
      const Dim &x = a.dims[a.dims.size() - (rank - bad)];
      const Dim &y = b.dims[b.dims.size() - (rank - bad)];
      diags.error(bin.loc, "shapes " + a.str() + " and " + b.str() +
                               " do not broadcast in '" + op + "': dimension " +
                               std::to_string(bad) + " is " + x.str() + " vs " +
                               y.str());
      noteOrigins({x, y});
      return false;
    }
    bin.type = *result;
    if (isComparison(bin.op))
      bin.type.elem = ElemType::Bool;
    return true;
  }

  bool checkMatmul(BinaryExpr &bin) {
    const TensorType &a = bin.lhs->type, &b = bin.rhs->type;
    std::string why;
    std::optional<TensorType> r = matmulType(a, b, why);
    if (!r) {
      diags.error(bin.loc, "shape mismatch in '@': " + a.str() + " @ " +
                               b.str() + ": " + why);
      if (a.rank() >= 1 && b.rank() >= 2)
        noteOrigins({a.dims[a.rank() - 1], b.dims[b.rank() - 2]});
      return false;
    }
    bin.type = *r;
    return true;
  }

  bool checkCall(CallExpr &call) {
    if (isBuiltin(call.callee))
      return checkBuiltinCall(call, diags,
                              [this](Expr &e) { return checkExpr(e); });
    bool ok = true;
    for (auto &arg : call.args)
      ok &= checkExpr(*arg);
    if (!call.kwargs.empty()) {
      diags.error(call.kwargs[0].loc,
                  "keyword arguments are only supported for builtins");
      return false;
    }
    auto it = fnsByName.find(call.callee);
    if (it == fnsByName.end()) {
      for (auto &fn : program.fns)
        if (fn->name == call.callee) {
          diags.error(call.loc,
                      "call to '" + call.callee +
                          "' before its definition (define functions before "
                          "use; recursion is not supported)");
          return false;
        }
      if (!isBroken(call.callee))
        diags.error(call.loc, "unknown function '" + call.callee + "'");
      return false;
    }
    const FnDecl &fn = *it->second;
    if (call.args.size() != fn.args.size()) {
      diags.error(call.loc, "'" + fn.name + "' expects " +
                                std::to_string(fn.args.size()) +
                                " argument(s), got " +
                                std::to_string(call.args.size()));
      diags.note(fn.loc, "'" + fn.name + "' is defined here");
      return false;
    }
    if (!ok)
      return false;
    std::map<std::string, Binding> bound;
    for (size_t i = 0; i < fn.args.size(); ++i) {
      Expr &arg = *call.args[i];
      const TensorType &want = fn.args[i].type;
      if (!bindArgument(arg, want, bound, fn, i))
        return false;
    }
    call.fn = &fn;
    call.type.elem = fn.result.elem;
    call.type.dims.clear();
    for (const Dim &d : fn.result.dims)
      call.type.dims.push_back(d.isSymbolic() ? bound[d.symbol].dim : d);
    return true;
  }

  /// Where a callee's symbol got its value at a call.
  struct Binding {
    Dim dim;
    llvm::SMLoc loc;
    size_t argIndex = 0;
  };

  bool bindArgument(Expr &arg, const TensorType &want,
                    std::map<std::string, Binding> &bound, const FnDecl &fn,
                    size_t index) {
    if (isLiteral(arg)) {
      setLiteralElemType(arg, want.elem);
      if (!checkIntegerLiteral(arg))
        return false;
    }
    const TensorType &got = arg.type;
    auto mismatch = [&](const std::string &why) {
      diags.error(arg.loc, "argument " + std::to_string(index + 1) + " ('" +
                               fn.args[index].name + "') of '" + fn.name +
                               "' has type " + got.str() + ", expected " +
                               want.str() + ": " + why);
      return false;
    };
    if (got.elem != want.elem)
      return mismatch("element types differ");
    if (got.rank() != want.rank())
      return mismatch("ranks differ");
    for (size_t d = 0; d < want.dims.size(); ++d) {
      const Dim &w = want.dims[d], &g = got.dims[d];
      if (!w.isSymbolic()) {
        if (w != g)
          return mismatch("dimension " + std::to_string(d) + " is " + g.str() +
                          ", not " + w.str());
        continue;
      }
      auto [pos, inserted] =
          bound.try_emplace(w.symbol, Binding{g, arg.loc, index});
      if (!inserted && pos->second.dim != g) {
        mismatch("'" + w.symbol + "' is bound to both " +
                 pos->second.dim.str() + " and " + g.str());
        diags.note(pos->second.loc,
                   "'" + w.symbol + "' was bound to " + pos->second.dim.str() +
                       " by argument " +
                       std::to_string(pos->second.argIndex + 1) + " ('" +
                       fn.args[pos->second.argIndex].name + "') here");
        return false;
      }
    }
    return true;
  }

  /// Where a function's symbols are bound: the first argument naming them.
  struct SymbolOrigin {
    std::string arg;
    llvm::SMLoc loc;
  };
  std::map<std::string, SymbolOrigin> symbolOrigins;

  /// After a shape error: says where each symbolic dimension involved was
  /// bound, so the user can see which input fixes it.
  void noteOrigins(std::initializer_list<Dim> dims) {
    std::set<std::string> seen;
    for (const Dim &d : dims) {
      if (!d.isSymbolic() || !seen.insert(d.symbol).second)
        continue;
      auto it = symbolOrigins.find(d.symbol);
      if (it != symbolOrigins.end())
        diags.note(it->second.loc, "'" + d.symbol + "' is bound by argument '" +
                                       it->second.arg + "' here");
    }
  }

  Program &program;
  DiagnosticEngine &diags;
  std::map<std::string, llvm::SMLoc> globals;
  std::map<std::string, Local> locals;
  std::map<std::string, const FnDecl *> fnsByName;
};

} // namespace

bool dlc::analyze(Program &program, DiagnosticEngine &diags) {
  return Sema(program, diags).run();
}
