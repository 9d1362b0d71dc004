//===- Builtins.cpp - the built-in functions of DL ------------------------===//
//
// The table at the top is the whole surface: a builtin's parameters, in
// order, with their kinds. Type rules follow, one per family, mirroring the
// dl dialect's shape inference but spelled with symbols.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Builtins.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace dlc;

namespace {

enum class Kind {
  Tensor,
  Int,        // an integer literal
  IntList,    // an integer or a list of integers
  IntPair,    // an integer (used twice) or a list of two
  Bool,       // true / false
  Shape,      // a list of sizes and symbols
  TensorList, // a list of tensor expressions
  Float,      // a number literal
};

struct Param {
  const char *name;
  Kind kind;
  bool required;
};

const std::map<std::string, std::vector<Param>> &specs() {
  static const std::map<std::string, std::vector<Param>> table = [] {
    std::map<std::string, std::vector<Param>> t;
    for (const char *unary : {"relu", "exp", "log", "sqrt", "rsqrt", "abs",
                              "sigmoid", "tanh", "gelu"})
      t[unary] = {{"x", Kind::Tensor, true}};
    t["pow"] = {{"x", Kind::Tensor, true}, {"y", Kind::Tensor, true}};
    t["matmul"] = {{"a", Kind::Tensor, true}, {"b", Kind::Tensor, true}};
    for (const char *reduce : {"sum", "mean", "max", "min"})
      t[reduce] = {{"x", Kind::Tensor, true},
                   {"axis", Kind::IntList, false},
                   {"keepdims", Kind::Bool, false}};
    t["reshape"] = {{"x", Kind::Tensor, true}, {"shape", Kind::Shape, true}};
    t["flatten"] = {{"x", Kind::Tensor, true}, {"start", Kind::Int, false}};
    t["transpose"] = {{"x", Kind::Tensor, true},
                      {"dim0", Kind::Int, false},
                      {"dim1", Kind::Int, false}};
    t["permute"] = {{"x", Kind::Tensor, true}, {"dims", Kind::IntList, true}};
    t["softmax"] = {{"x", Kind::Tensor, true}, {"axis", Kind::Int, false}};
    t["log_softmax"] = t["softmax"];
    t["conv2d"] = {
        {"x", Kind::Tensor, true},         {"weight", Kind::Tensor, true},
        {"bias", Kind::Tensor, false},     {"stride", Kind::IntPair, false},
        {"padding", Kind::IntPair, false}, {"dilation", Kind::IntPair, false},
        {"groups", Kind::Int, false}};
    t["max_pool2d"] = {{"x", Kind::Tensor, true},
                       {"kernel", Kind::IntPair, true},
                       {"stride", Kind::IntPair, false},
                       {"padding", Kind::IntPair, false}};
    t["avg_pool2d"] = t["max_pool2d"];
    t["one_hot"] = {{"labels", Kind::Tensor, true},
                    {"classes", Kind::Int, true}};
    t["cross_entropy"] = {{"logits", Kind::Tensor, true},
                          {"labels", Kind::Tensor, true}};
    t["mse"] = {{"input", Kind::Tensor, true}, {"target", Kind::Tensor, true}};
    t["grad"] = {{"value", Kind::Tensor, true}, {"wrt", Kind::Tensor, true}};
    t["where"] = {{"cond", Kind::Tensor, true},
                  {"a", Kind::Tensor, true},
                  {"b", Kind::Tensor, true}};
    t["argmax"] = {{"x", Kind::Tensor, true}, {"axis", Kind::Int, false}};
    t["slice"] = {{"x", Kind::Tensor, true},
                  {"axis", Kind::Int, true},
                  {"start", Kind::Int, true},
                  {"end", Kind::Int, true}};
    t["concat"] = {{"xs", Kind::TensorList, true}, {"axis", Kind::Int, false}};
    t["embedding"] = {{"indices", Kind::Tensor, true},
                      {"weight", Kind::Tensor, true}};
    t["layer_norm"] = {{"x", Kind::Tensor, true},
                       {"weight", Kind::Tensor, false},
                       {"bias", Kind::Tensor, false},
                       {"eps", Kind::Float, false}};
    t["batch_norm"] = {{"x", Kind::Tensor, true},
                       {"weight", Kind::Tensor, true},
                       {"bias", Kind::Tensor, true},
                       {"running_mean", Kind::Tensor, true},
                       {"running_var", Kind::Tensor, true},
                       {"eps", Kind::Float, false},
                       {"momentum", Kind::Float, false}};
    t["dropout"] = {{"x", Kind::Tensor, true}, {"p", Kind::Float, false}};
    t["scaled_dot_product_attention"] = {{"q", Kind::Tensor, true},
                                         {"k", Kind::Tensor, true},
                                         {"v", Kind::Tensor, true},
                                         {"causal", Kind::Bool, false}};
    t["multi_head_attention"] = {
        {"x", Kind::Tensor, true},        {"in_weight", Kind::Tensor, true},
        {"in_bias", Kind::Tensor, true},  {"out_weight", Kind::Tensor, true},
        {"out_bias", Kind::Tensor, true}, {"heads", Kind::Int, true},
        {"causal", Kind::Bool, false}};
    t["accuracy"] = {{"logits", Kind::Tensor, true},
                     {"labels", Kind::Tensor, true}};
    for (const char *conv : {"f32", "f64", "i32", "i64", "bool"})
      t[conv] = {{"x", Kind::Tensor, true}};
    return t;
  }();
  return table;
}

class Checker {
public:
  Checker(CallExpr &call, DiagnosticEngine &diags,
          const std::function<bool(Expr &)> &checkTensor)
      : call(call), diags(diags), checkTensor(checkTensor),
        params(specs().at(call.callee)) {}

  bool run() {
    if (!bind())
      return false;
    return typeRule();
  }

private:
  bool error(llvm::SMLoc loc, const std::string &message) {
    diags.error(loc, message);
    return false;
  }
  std::string what() const { return "'" + call.callee + "'"; }

  bool bind() {
    call.bound.assign(params.size(), BoundArg());
    std::vector<const Expr *> given(params.size(), nullptr);
    if (call.args.size() > params.size())
      return error(call.loc,
                   what() + " takes at most " + std::to_string(params.size()) +
                       " argument(s), got " + std::to_string(call.args.size()));
    for (size_t i = 0; i < call.args.size(); ++i)
      given[i] = call.args[i].get();
    for (const KeywordArg &kw : call.kwargs) {
      size_t i = 0;
      while (i < params.size() && kw.name != params[i].name)
        ++i;
      if (i == params.size())
        return error(kw.loc,
                     what() + " has no parameter named '" + kw.name + "'");
      if (given[i])
        return error(kw.loc,
                     what() + ": argument '" + kw.name + "' is given twice");
      given[i] = kw.value.get();
    }
    bool ok = true;
    for (size_t i = 0; i < params.size(); ++i) {
      if (!given[i]) {
        if (params[i].required)
          ok = error(call.loc, what() + " is missing its argument '" +
                                   params[i].name + "'");
        continue;
      }
      ok &= bindOne(i, const_cast<Expr &>(*given[i]));
    }
    return ok;
  }

  std::optional<int64_t> intValue(const Expr &e) {
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e))
      if (n->value == std::floor(n->value) && std::fabs(n->value) < 1e15)
        return static_cast<int64_t>(n->value);
    if (auto *neg = llvm::dyn_cast<NegExpr>(&e))
      if (auto v = intValue(*neg->operand))
        return -*v;
    return std::nullopt;
  }

  bool bindOne(size_t i, Expr &e) {
    BoundArg &arg = call.bound[i];
    const Param &p = params[i];
    arg.present = true;
    std::string name = what() + " argument '" + p.name + "'";
    switch (p.kind) {
    case Kind::Tensor:
      if (llvm::isa<ListExpr>(e))
        return error(e.loc, name + " must be a tensor, not a list");
      arg.tensor = &e;
      return checkTensor(e);
    case Kind::Int:
      if (auto v = intValue(e)) {
        arg.ints = {*v};
        return true;
      }
      return error(e.loc, name + " must be an integer literal");
    case Kind::IntList:
    case Kind::IntPair: {
      if (auto v = intValue(e)) {
        arg.ints = p.kind == Kind::IntPair ? std::vector<int64_t>{*v, *v}
                                           : std::vector<int64_t>{*v};
        return true;
      }
      auto *list = llvm::dyn_cast<ListExpr>(&e);
      if (!list)
        return error(e.loc, name + " must be an integer or a list of integers");
      for (const auto &x : list->elements) {
        auto v = intValue(*x);
        if (!v)
          return error(x->loc, name + " must hold integer literals");
        arg.ints.push_back(*v);
      }
      if (p.kind == Kind::IntPair && arg.ints.size() != 2)
        return error(e.loc, name +
                                " must be an integer or a list of two, got " +
                                std::to_string(arg.ints.size()) + " values");
      return true;
    }
    case Kind::Bool:
      if (auto *n = llvm::dyn_cast<NameExpr>(&e)) {
        if (n->name == "true" || n->name == "false") {
          arg.flag = n->name == "true";
          return true;
        }
      }
      return error(e.loc, name + " must be true or false");
    case Kind::Float: {
      const Expr *inner = &e;
      bool negative = false;
      while (auto *neg = llvm::dyn_cast<NegExpr>(inner)) {
        negative = !negative;
        inner = neg->operand.get();
      }
      if (auto *n = llvm::dyn_cast<NumberExpr>(inner)) {
        arg.number = negative ? -n->value : n->value;
        return true;
      }
      return error(e.loc, name + " must be a number literal");
    }
    case Kind::TensorList: {
      auto *list = llvm::dyn_cast<ListExpr>(&e);
      if (!list || list->elements.empty())
        return error(e.loc, name + " must be a non-empty list of tensors");
      bool ok = true;
      for (const auto &x : list->elements) {
        arg.tensors.push_back(x.get());
        ok &= checkTensor(*x);
      }
      return ok;
    }
    case Kind::Shape: {
      auto *list = llvm::dyn_cast<ListExpr>(&e);
      if (!list)
        return error(e.loc, name + " must be a list of sizes and symbols");
      for (const auto &x : list->elements) {
        if (auto v = intValue(*x)) {
          if (*v == -1) { // inferred, resolved by the reshape rule
            arg.shape.push_back(Dim::named("-1"));
            continue;
          }
          if (*v < 1)
            return error(x->loc, name + ": sizes must be positive, got " +
                                     std::to_string(*v));
          arg.shape.push_back(Dim::known(*v));
        } else if (auto *n = llvm::dyn_cast<NameExpr>(x.get())) {
          arg.shape.push_back(Dim::named(n->name));
        } else {
          return error(x->loc, name + " must hold sizes and symbol names");
        }
      }
      return true;
    }
    }
    return false;
  }

  const TensorType &tensorType(size_t i) { return call.bound[i].tensor->type; }
  llvm::SMLoc argLoc(size_t i) { return call.bound[i].tensor->loc; }

  /// Normalises an axis (negative counts from the end) against `rank`.
  std::optional<int64_t> axis(int64_t a, int64_t rank, llvm::SMLoc loc) {
    int64_t n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) {
      error(loc, what() + ": axis " + std::to_string(a) +
                     " is out of range for rank " + std::to_string(rank));
      return std::nullopt;
    }
    return n;
  }

  bool requireFloat(size_t i) {
    if (isFloat(tensorType(i).elem))
      return true;
    return error(argLoc(i), what() + " needs a floating-point tensor, got " +
                                tensorType(i).str());
  }

  bool typeRule() {
    const std::string &f = call.callee;
    if (f == "relu" || f == "abs") {
      call.type = tensorType(0);
      return true;
    }
    if (f == "exp" || f == "log" || f == "sqrt" || f == "rsqrt" ||
        f == "sigmoid" || f == "tanh" || f == "gelu") {
      call.type = tensorType(0);
      return requireFloat(0);
    }
    if (f == "pow" || f == "mse")
      return binaryFloat();
    if (f == "matmul")
      return matmul();
    if (f == "sum" || f == "mean" || f == "max" || f == "min")
      return reduction();
    if (f == "reshape")
      return reshape(call.bound[1].shape);
    if (f == "flatten")
      return flatten();
    if (f == "transpose" || f == "permute")
      return permute();
    if (f == "softmax" || f == "log_softmax") {
      call.type = tensorType(0);
      int64_t a = call.bound[1].present ? call.bound[1].ints[0] : -1;
      auto n = axis(a, call.type.rank(), call.loc);
      if (!n)
        return false;
      call.bound[1].present = true;
      call.bound[1].ints = {*n};
      return requireFloat(0);
    }
    if (f == "conv2d")
      return conv2d();
    if (f == "max_pool2d" || f == "avg_pool2d")
      return pool2d();
    if (f == "one_hot")
      return oneHot();
    if (f == "cross_entropy" || f == "accuracy")
      return crossEntropy();
    if (f == "where")
      return where();
    if (f == "grad")
      return grad();
    if (f == "slice")
      return slice();
    if (f == "embedding")
      return embedding();
    if (f == "layer_norm")
      return layerNorm();
    if (f == "batch_norm")
      return batchNorm();
    if (f == "dropout")
      return dropout();
    if (f == "scaled_dot_product_attention")
      return attention();
    if (f == "multi_head_attention")
      return multiHeadAttention();
    if (f == "concat")
      return concat();
    if (f == "argmax") {
      const TensorType &x = tensorType(0);
      if (x.elem == ElemType::Bool)
        return error(argLoc(0), "'argmax' needs numbers, got " + x.str());
      auto n = axis(call.bound[1].present ? call.bound[1].ints[0] : -1,
                    x.rank(), call.loc);
      if (!n)
        return false;
      call.bound[1].present = true;
      call.bound[1].ints = {*n};
      call.type = TensorType{ElemType::I64, {}};
      for (int64_t d = 0; d < x.rank(); ++d)
        if (d != *n)
          call.type.dims.push_back(x.dims[d]);
      return true;
    }
    if (auto to = parseElemType(f)) { // f32(x), i64(x), bool(x), ...
      call.type = TensorType{*to, tensorType(0).dims};
      return true;
    }
    return error(call.loc, "internal error: no type rule for " + what());
  }

  bool binaryFloat() {
    Expr &a = const_cast<Expr &>(*call.bound[0].tensor);
    Expr &b = const_cast<Expr &>(*call.bound[1].tensor);
    if (llvm::isa<NumberExpr>(a))
      a.type.elem = b.type.elem;
    if (llvm::isa<NumberExpr>(b))
      b.type.elem = a.type.elem;
    if (a.type.elem != b.type.elem)
      return error(call.loc, what() + ": element types differ: " +
                                 a.type.str() + " and " + b.type.str());
    if (!requireFloat(0))
      return false;
    size_t bad = 0;
    auto r = broadcastTypes(a.type, b.type, bad);
    if (!r)
      return error(call.loc, what() + ": shapes " + a.type.str() + " and " +
                                 b.type.str() +
                                 " do not broadcast (dimension " +
                                 std::to_string(bad) + ")");
    call.type = call.callee == "mse" ? TensorType{r->elem, {}} : *r;
    return true;
  }

  bool matmul() {
    const TensorType &a = tensorType(0), &b = tensorType(1);
    if (a.elem != b.elem)
      return error(call.loc, "'matmul': element types differ: " + a.str() +
                                 " and " + b.str());
    std::string why;
    std::optional<TensorType> r = matmulType(a, b, why);
    if (!r)
      return error(call.loc, "shape mismatch in 'matmul': " + a.str() +
                                 " and " + b.str() + ": " + why);
    call.type = *r;
    return true;
  }

  bool reduction() {
    const TensorType &x = tensorType(0);
    std::vector<int64_t> axes;
    if (call.bound[1].present) {
      for (int64_t a : call.bound[1].ints) {
        auto n = axis(a, x.rank(), call.loc);
        if (!n)
          return false;
        axes.push_back(*n);
      }
    } else {
      for (int64_t d = 0; d < x.rank(); ++d)
        axes.push_back(d);
    }
    std::set<int64_t> unique(axes.begin(), axes.end());
    if (unique.size() != axes.size())
      return error(call.loc, what() + ": an axis is repeated");
    axes.assign(unique.begin(), unique.end());
    call.bound[1].present = true;
    call.bound[1].ints = axes;
    if (call.callee == "mean" && !isFloat(x.elem))
      return requireFloat(0);
    bool keep = call.bound[2].present && call.bound[2].flag;
    call.type = TensorType{x.elem, {}};
    for (int64_t d = 0; d < x.rank(); ++d) {
      if (!unique.count(d))
        call.type.dims.push_back(x.dims[d]);
      else if (keep)
        call.type.dims.push_back(Dim::known(1));
    }
    return true;
  }

  /// Reshape keeps the element count: the static sizes' products must agree
  /// and the symbols on both sides must be the same (as a multiset). The
  /// lowering infers at most one dynamic size.
  bool reshape(std::vector<Dim> target) {
    const TensorType &x = tensorType(0);
    if (!resolveInferred(x, target))
      return false;
    auto split = [](const std::vector<Dim> &dims, int64_t &product,
                    std::multiset<std::string> &symbols) {
      product = 1;
      for (const Dim &d : dims) {
        if (!d.isSymbolic()) {
          product *= d.size;
          continue;
        }
        // A derived symbol ("B*32") stands for its factors.
        llvm::SmallVector<llvm::StringRef> parts;
        llvm::StringRef(d.symbol).split(parts, '*');
        for (llvm::StringRef part : parts) {
          int64_t v;
          if (!part.getAsInteger(10, v))
            product *= v;
          else
            symbols.insert(part.str());
        }
      }
    };
    int64_t pIn, pOut;
    std::multiset<std::string> sIn, sOut;
    split(x.dims, pIn, sIn);
    split(target, pOut, sOut);
    TensorType to{x.elem, target};
    if (pIn != pOut || sIn != sOut)
      return error(call.loc, what() + ": cannot reshape " + x.str() + " into " +
                                 to.str() + " (element counts differ)");
    if (sOut.size() > 1)
      return error(call.loc, what() +
                                 ": at most one symbolic dimension is "
                                 "supported in the result, got " +
                                 to.str());
    call.type = to;
    return true;
  }

  /// Resolves a -1 in a reshape target: the leftover of the input's element
  /// count. With symbols left over, the dimension is a derived symbol named
  /// by their product ("B*32"), so the same reshape of another tensor with
  /// the same shape gives the same, comparable dimension.
  bool resolveInferred(const TensorType &x, std::vector<Dim> &target) {
    int wild = -1;
    for (size_t i = 0; i < target.size(); ++i)
      if (target[i].symbol == "-1") {
        if (wild >= 0)
          return error(call.loc, what() + ": at most one -1 in the shape");
        wild = static_cast<int>(i);
      }
    if (wild < 0)
      return true;
    int64_t product = 1;
    std::multiset<std::string> symbols;
    for (const Dim &d : x.dims) {
      if (d.isSymbolic())
        symbols.insert(d.symbol);
      else
        product *= d.size;
    }
    for (size_t i = 0; i < target.size(); ++i) {
      if (static_cast<int>(i) == wild)
        continue;
      const Dim &d = target[i];
      if (d.isSymbolic()) {
        auto it = symbols.find(d.symbol);
        if (it == symbols.end())
          return error(call.loc, what() + ": '" + d.symbol +
                                     "' is not a dimension of " + x.str());
        symbols.erase(it);
      } else if (product % d.size) {
        return error(call.loc, what() + ": " + x.str() +
                                   " does not divide into the sizes given");
      } else {
        product /= d.size;
      }
    }
    if (symbols.empty()) {
      target[wild] = Dim::known(product);
      return true;
    }
    std::string derived;
    for (const std::string &s : symbols)
      derived += (derived.empty() ? "" : "*") + s;
    if (product != 1)
      derived += "*" + std::to_string(product);
    target[wild] = Dim::named(derived);
    return true;
  }

  bool flatten() {
    const TensorType &x = tensorType(0);
    int64_t start = call.bound[1].present ? call.bound[1].ints[0] : 1;
    auto n = axis(start, x.rank(), call.loc);
    if (!n)
      return false;
    std::vector<Dim> target(x.dims.begin(), x.dims.begin() + *n);
    int64_t product = 1;
    for (int64_t d = *n; d < x.rank(); ++d) {
      if (x.dims[d].isSymbolic())
        return error(call.loc, what() +
                                   ": cannot flatten over the symbolic "
                                   "dimension '" +
                                   x.dims[d].symbol + "' of " + x.str());
      product *= x.dims[d].size;
    }
    target.push_back(Dim::known(product));
    call.bound[1].present = true;
    call.bound[1].shape = target;
    return reshape(target);
  }

  bool permute() {
    const TensorType &x = tensorType(0);
    std::vector<int64_t> perm;
    if (call.callee == "transpose") {
      if (!call.bound[1].present && !call.bound[2].present && x.rank() == 2) {
        perm = {1, 0};
      } else {
        if (!call.bound[1].present || !call.bound[2].present)
          return error(call.loc, "'transpose' needs dim0 and dim1 unless its "
                                 "input is a matrix");
        auto a = axis(call.bound[1].ints[0], x.rank(), call.loc);
        auto b = axis(call.bound[2].ints[0], x.rank(), call.loc);
        if (!a || !b)
          return false;
        for (int64_t d = 0; d < x.rank(); ++d)
          perm.push_back(d);
        std::swap(perm[*a], perm[*b]);
      }
    } else {
      std::set<int64_t> seen;
      for (int64_t p : call.bound[1].ints) {
        auto n = axis(p, x.rank(), call.loc);
        if (!n)
          return false;
        seen.insert(*n);
        perm.push_back(*n);
      }
      if (perm.size() != static_cast<size_t>(x.rank()) ||
          seen.size() != perm.size())
        return error(call.loc, "'permute': dims must be a permutation of the " +
                                   std::to_string(x.rank()) + " axes of " +
                                   x.str());
    }
    call.bound[1].present = true;
    call.bound[1].ints = perm;
    call.type = TensorType{x.elem, {}};
    for (int64_t p : perm)
      call.type.dims.push_back(x.dims[p]);
    return true;
  }

  /// Output size of a window over one static spatial axis.
  std::optional<int64_t> window(int64_t size, int64_t k, int64_t s, int64_t p,
                                int64_t d, const std::string &axisName) {
    int64_t span = d * (k - 1) + 1;
    if (size + 2 * p < span) {
      error(call.loc, what() + ": the window (" + std::to_string(span) +
                          ") is larger than the padded " + axisName + " (" +
                          std::to_string(size + 2 * p) + ")");
      return std::nullopt;
    }
    return (size + 2 * p - span) / s + 1;
  }

  std::vector<int64_t> pairOr(size_t i, int64_t dflt) {
    return call.bound[i].present ? call.bound[i].ints
                                 : std::vector<int64_t>{dflt, dflt};
  }

  bool positive(const std::vector<int64_t> &v, const char *name, int64_t min) {
    for (int64_t x : v)
      if (x < min)
        return error(call.loc, what() + ": " + name +
                                   " must be >= " + std::to_string(min));
    return true;
  }

  bool conv2d() {
    const TensorType &x = tensorType(0), &w = tensorType(1);
    if (!requireFloat(0))
      return false;
    if (x.rank() != 4 || w.rank() != 4)
      return error(call.loc, "'conv2d' expects input [N, C, H, W] and weight "
                             "[F, C/groups, KH, KW], got " +
                                 x.str() + " and " + w.str());
    if (x.elem != w.elem)
      return error(call.loc, "'conv2d': element types differ");
    for (int d = 1; d < 4; ++d)
      if (x.dims[d].isSymbolic() || w.dims[d].isSymbolic())
        return error(call.loc, "'conv2d' needs static channel and spatial "
                               "sizes, got " +
                                   x.str() + " and " + w.str());
    if (w.dims[0].isSymbolic())
      return error(call.loc, "'conv2d' needs a static number of filters");
    std::vector<int64_t> s = pairOr(3, 1), p = pairOr(4, 0), d = pairOr(5, 1);
    int64_t g = call.bound[6].present ? call.bound[6].ints[0] : 1;
    if (!positive(s, "stride", 1) || !positive(p, "padding", 0) ||
        !positive(d, "dilation", 1) || !positive({g}, "groups", 1))
      return false;
    int64_t c = x.dims[1].size, f = w.dims[0].size;
    if (c != w.dims[1].size * g)
      return error(call.loc, "'conv2d': input " + x.str() + " has " +
                                 std::to_string(c) + " channels but weight " +
                                 w.str() + " expects " +
                                 std::to_string(w.dims[1].size) + " x " +
                                 std::to_string(g) + " group(s)");
    if (f % g)
      return error(call.loc, "'conv2d': " + std::to_string(f) +
                                 " filters are not divisible by groups " +
                                 std::to_string(g));
    if (call.bound[2].present) {
      const TensorType &b = tensorType(2);
      if (b.elem != x.elem || b.rank() != 1 || b.dims[0] != w.dims[0])
        return error(argLoc(2), "'conv2d': bias must be " +
                                    TensorType{x.elem, {w.dims[0]}}.str() +
                                    ", got " + b.str());
    }
    auto oh =
        window(x.dims[2].size, w.dims[2].size, s[0], p[0], d[0], "height");
    auto ow = window(x.dims[3].size, w.dims[3].size, s[1], p[1], d[1], "width");
    if (!oh || !ow)
      return false;
    storePair(3, s);
    storePair(4, p);
    storePair(5, d);
    call.bound[6].present = true;
    call.bound[6].ints = {g};
    call.type = TensorType{
        x.elem, {x.dims[0], w.dims[0], Dim::known(*oh), Dim::known(*ow)}};
    return true;
  }

  void storePair(size_t i, const std::vector<int64_t> &v) {
    call.bound[i].present = true;
    call.bound[i].ints = v;
  }

  bool pool2d() {
    const TensorType &x = tensorType(0);
    if (!requireFloat(0))
      return false;
    if (x.rank() != 4 || x.dims[2].isSymbolic() || x.dims[3].isSymbolic())
      return error(call.loc, what() +
                                 " expects [N, C, H, W] with static H and "
                                 "W, got " +
                                 x.str());
    std::vector<int64_t> k = call.bound[1].ints;
    std::vector<int64_t> s = pairOr(2, 0), p = pairOr(3, 0);
    if (!call.bound[2].present)
      s = k; // PyTorch: stride defaults to the kernel size
    if (!positive(k, "kernel", 1) || !positive(s, "stride", 1) ||
        !positive(p, "padding", 0))
      return false;
    for (int i = 0; i < 2; ++i)
      if (2 * p[i] > k[i])
        return error(call.loc, what() + ": padding must be at most half the "
                                        "kernel size");
    auto oh = window(x.dims[2].size, k[0], s[0], p[0], 1, "height");
    auto ow = window(x.dims[3].size, k[1], s[1], p[1], 1, "width");
    if (!oh || !ow)
      return false;
    storePair(2, s);
    storePair(3, p);
    call.type = TensorType{
        x.elem, {x.dims[0], x.dims[1], Dim::known(*oh), Dim::known(*ow)}};
    return true;
  }

  bool oneHot() {
    const TensorType &y = tensorType(0);
    if (isFloat(y.elem))
      return error(argLoc(0), "'one_hot' needs integer labels, got " + y.str());
    int64_t classes = call.bound[1].ints[0];
    if (classes < 1)
      return error(call.loc, "'one_hot': classes must be positive");
    call.type = TensorType{ElemType::F32, y.dims};
    call.type.dims.push_back(Dim::known(classes));
    return true;
  }

  bool embedding() {
    const TensorType &ids = tensorType(0), &w = tensorType(1);
    if (isFloat(ids.elem) || ids.elem == ElemType::Bool)
      return error(argLoc(0),
                   "'embedding' needs integer indices, got " + ids.str());
    if (!isFloat(w.elem) || w.rank() != 2)
      return error(argLoc(1),
                   "'embedding' needs a float table [V, D], got " + w.str());
    call.type = TensorType{w.elem, ids.dims};
    call.type.dims.push_back(w.dims[1]);
    return true;
  }

  bool layerNorm() {
    const TensorType &x = tensorType(0);
    if (!requireFloat(0))
      return false;
    if (x.rank() < 1)
      return error(argLoc(0), "'layer_norm' needs a tensor of rank 1 or more");
    TensorType want{x.elem, {x.dims.back()}};
    for (size_t i : {size_t(1), size_t(2)})
      if (call.bound[i].present && tensorType(i) != want)
        return error(argLoc(i), "'layer_norm': " + std::string(params[i].name) +
                                    " must be " + want.str() + ", got " +
                                    tensorType(i).str());
    if (!call.bound[3].present)
      call.bound[3].number = 1e-5;
    call.bound[3].present = true;
    if (!(call.bound[3].number > 0))
      return error(call.loc, "'layer_norm': eps must be positive");
    call.type = x;
    return true;
  }

  /// x [N, C, ...] with weight, bias and running statistics [C].
  bool batchNorm() {
    const TensorType &x = tensorType(0);
    if (!requireFloat(0))
      return false;
    if (x.rank() < 2 || x.dims[1].isSymbolic())
      return error(argLoc(0), "'batch_norm' needs [N, C, ...] with a static "
                              "channel count C, got " +
                                  x.str());
    TensorType want{x.elem, {x.dims[1]}};
    for (size_t i = 1; i <= 4; ++i)
      if (tensorType(i) != want)
        return error(argLoc(i), "'batch_norm': " + std::string(params[i].name) +
                                    " must be " + want.str() + ", got " +
                                    tensorType(i).str());
    for (auto [i, dflt] : {std::pair<size_t, double>(5, 1e-5), {6, 0.1}})
      if (!call.bound[i].present) {
        call.bound[i].present = true;
        call.bound[i].number = dflt;
      }
    if (!(call.bound[5].number > 0))
      return error(call.loc, "'batch_norm': eps must be positive");
    double m = call.bound[6].number;
    if (!(m >= 0 && m <= 1))
      return error(call.loc, "'batch_norm': momentum must be in [0, 1]");
    call.type = x;
    return true;
  }

  bool dropout() {
    if (!requireFloat(0))
      return false;
    if (!call.bound[1].present) {
      call.bound[1].present = true;
      call.bound[1].number = 0.5;
    }
    double p = call.bound[1].number;
    if (!(p >= 0 && p < 1))
      return error(call.loc, "'dropout': p must be in [0, 1)");
    call.type = tensorType(0);
    return true;
  }

  /// [..., Tq, E] x [..., Tk, E] x [..., Tk, Ev] -> [..., Tq, Ev].
  bool attention() {
    const TensorType &q = tensorType(0), &k = tensorType(1), &v = tensorType(2);
    if (!requireFloat(0))
      return false;
    int64_t r = q.rank();
    bool ok = r >= 2 && k.rank() == r && v.rank() == r && q.elem == k.elem &&
              q.elem == v.elem && q.dims[r - 1] == k.dims[r - 1] &&
              k.dims[r - 2] == v.dims[r - 2];
    for (int64_t d = 0; ok && d < r - 2; ++d)
      ok = q.dims[d] == k.dims[d] && q.dims[d] == v.dims[d];
    if (!ok)
      return error(call.loc, what() +
                                 " expects q [..., Tq, E], k [..., Tk, E] "
                                 "and v [..., Tk, Ev], got " +
                                 q.str() + ", " + k.str() + ", " + v.str());
    bool causal = call.bound[3].present && call.bound[3].flag;
    if (causal &&
        (q.dims[r - 2] != k.dims[r - 2] || q.dims[r - 2].isSymbolic()))
      return error(call.loc, what() +
                                 ": a causal mask needs equal, static "
                                 "query and key lengths, got " +
                                 q.str() + " and " + k.str());
    if (q.dims[r - 1].isSymbolic())
      return error(call.loc, what() + " needs a static head size");
    call.type = q;
    call.type.dims[r - 1] = v.dims[r - 1];
    return true;
  }

  bool multiHeadAttention() {
    const TensorType &x = tensorType(0);
    if (!requireFloat(0))
      return false;
    if (x.rank() != 3 || x.dims[2].isSymbolic())
      return error(argLoc(0), what() +
                                  " expects x [B, T, D] with a static D, "
                                  "got " +
                                  x.str());
    if (x.dims[0].isSymbolic() && x.dims[1].isSymbolic())
      return error(argLoc(0), what() +
                                  ": only one of B and T can be "
                                  "symbolic, got " +
                                  x.str());
    int64_t dm = x.dims[2].size, h = call.bound[5].ints[0];
    if (h < 1 || dm % h)
      return error(call.loc, what() + ": " + std::to_string(dm) +
                                 " is not divisible by heads " +
                                 std::to_string(h));
    Dim d = Dim::known(dm), d3 = Dim::known(3 * dm);
    auto expect = [&](size_t i, TensorType want) {
      if (tensorType(i) == want)
        return true;
      return error(argLoc(i), what() + ": " + params[i].name + " must be " +
                                  want.str() + ", got " + tensorType(i).str());
    };
    if (!expect(1, {x.elem, {d3, d}}) || !expect(2, {x.elem, {d3}}) ||
        !expect(3, {x.elem, {d, d}}) || !expect(4, {x.elem, {d}}))
      return false;
    if (call.bound[6].present && call.bound[6].flag && x.dims[1].isSymbolic())
      return error(argLoc(0), what() +
                                  ": a causal mask needs a static "
                                  "sequence length, got " +
                                  x.str());
    call.type = x;
    return true;
  }

  /// Python slicing of one axis: negative indices count from the end, and
  /// the range is clipped to the axis.
  bool slice() {
    const TensorType &x = tensorType(0);
    auto ax = axis(call.bound[1].ints[0], x.rank(), call.loc);
    if (!ax)
      return false;
    const Dim &d = x.dims[*ax];
    if (d.isSymbolic())
      return error(call.loc, "'slice' needs a static size along axis " +
                                 std::to_string(*ax) + " of " + x.str());
    auto norm = [&](int64_t i) {
      if (i < 0)
        i += d.size;
      return std::clamp<int64_t>(i, 0, d.size);
    };
    int64_t start = norm(call.bound[2].ints[0]),
            end = norm(call.bound[3].ints[0]);
    if (end <= start)
      return error(call.loc, "'slice': [" +
                                 std::to_string(call.bound[2].ints[0]) + ", " +
                                 std::to_string(call.bound[3].ints[0]) +
                                 ") selects nothing from dimension " +
                                 std::to_string(*ax) + " of " + x.str());
    call.bound[1].ints = {*ax};
    call.bound[2].ints = {start};
    call.bound[3].ints = {end};
    call.type = x;
    call.type.dims[*ax] = Dim::known(end - start);
    return true;
  }

  bool concat() {
    const auto &xs = call.bound[0].tensors;
    const TensorType &first = xs[0]->type;
    auto ax = axis(call.bound[1].present ? call.bound[1].ints[0] : 0,
                   first.rank(), call.loc);
    if (!ax)
      return false;
    call.bound[1].present = true;
    call.bound[1].ints = {*ax};
    TensorType r = first;
    int64_t total = 0;
    for (const Expr *e : xs) {
      const TensorType &t = e->type;
      if (t.elem != first.elem || t.rank() != first.rank())
        return error(e->loc, "'concat': " + t.str() + " does not match " +
                                 first.str() + " in element type and rank");
      for (int64_t d = 0; d < t.rank(); ++d)
        if (d != *ax && t.dims[d] != first.dims[d])
          return error(e->loc, "'concat': " + t.str() + " and " + first.str() +
                                   " differ in dimension " + std::to_string(d));
      if (t.dims[*ax].isSymbolic())
        return error(e->loc, "'concat' needs static sizes along axis " +
                                 std::to_string(*ax) + ", got " + t.str());
      total += t.dims[*ax].size;
    }
    r.dims[*ax] = Dim::known(total);
    call.type = r;
    return true;
  }

  /// grad(f(args...), wrt=name): `name` is a parameter or one of the
  /// arguments passed to the call, and f returns a float scalar.
  bool grad() {
    const Expr *value = call.bound[0].tensor;
    auto *inner = llvm::dyn_cast<CallExpr>(value);
    if (!inner || !inner->fn)
      return error(value->loc, "'grad' needs a call of a user function, as in "
                               "grad(loss(x, y), wrt=w)");
    if (inner->type.rank() != 0 || !isFloat(inner->type.elem))
      return error(value->loc, "'grad' needs a function returning a float "
                               "scalar; '" +
                                   inner->callee + "' returns " +
                                   inner->type.str());
    auto *wrt = llvm::dyn_cast<NameExpr>(call.bound[1].tensor);
    bool ok = wrt && (wrt->ref == NameExpr::Ref::Parameter);
    if (wrt && !ok)
      for (const auto &a : inner->args)
        if (auto *n = llvm::dyn_cast<NameExpr>(a.get());
            n && n->name == wrt->name)
          ok = true;
    if (!ok)
      return error(call.bound[1].tensor->loc,
                   "'grad': wrt must name a parameter or an argument passed to "
                   "'" +
                       inner->callee + "'");
    if (!isFloat(wrt->type.elem))
      return error(wrt->loc, "'grad': cannot differentiate with respect to "
                             "the integer tensor '" +
                                 wrt->name + "'");
    call.type = wrt->type;
    return true;
  }

  bool where() {
    Expr &a = const_cast<Expr &>(*call.bound[1].tensor);
    Expr &b = const_cast<Expr &>(*call.bound[2].tensor);
    if (llvm::isa<NumberExpr>(a))
      a.type.elem = b.type.elem;
    if (llvm::isa<NumberExpr>(b))
      b.type.elem = a.type.elem;
    const TensorType &c = tensorType(0);
    if (c.elem != ElemType::Bool)
      return error(argLoc(0), "'where' needs a bool condition, got " + c.str());
    if (a.type.elem != b.type.elem)
      return error(call.loc, "'where': the branches have different element "
                             "types: " +
                                 a.type.str() + " and " + b.type.str());
    size_t bad = 0;
    auto ab = broadcastTypes(a.type, b.type, bad);
    std::optional<TensorType> all;
    if (ab)
      all = broadcastTypes(c, *ab, bad);
    if (!all)
      return error(call.loc, "'where': shapes " + c.str() + ", " +
                                 a.type.str() + " and " + b.type.str() +
                                 " do not broadcast");
    call.type = TensorType{a.type.elem, all->dims};
    return true;
  }

  bool crossEntropy() {
    const TensorType &l = tensorType(0), &y = tensorType(1);
    if (!requireFloat(0))
      return false;
    if (isFloat(y.elem) || y.elem == ElemType::Bool)
      return error(argLoc(1),
                   what() + " needs integer class labels, got " + y.str());
    if (l.rank() != 2 || y.rank() != 1)
      return error(call.loc, what() +
                                 " expects logits [N, C] and labels [N], "
                                 "got " +
                                 l.str() + " and " + y.str());
    if (l.dims[0] != y.dims[0])
      return error(call.loc, what() + ": logits " + l.str() + " and labels " +
                                 y.str() + " disagree on N (" +
                                 l.dims[0].str() + " vs " + y.dims[0].str() +
                                 ")");
    if (l.dims[1].isSymbolic())
      return error(call.loc, what() +
                                 " needs a static number of classes, "
                                 "got " +
                                 l.str());
    call.type =
        TensorType{call.callee == "accuracy" ? ElemType::F32 : l.elem, {}};
    return true;
  }

  CallExpr &call;
  DiagnosticEngine &diags;
  const std::function<bool(Expr &)> &checkTensor;
  const std::vector<Param> &params;
};

} // namespace

bool dlc::isBuiltin(const std::string &name) { return specs().count(name); }

bool dlc::checkBuiltinCall(CallExpr &call, DiagnosticEngine &diags,
                           const std::function<bool(Expr &)> &checkTensor) {
  return Checker(call, diags, checkTensor).run();
}

int dlc::builtinParamIndex(const std::string &builtin,
                           const std::string &param) {
  const auto &params = specs().at(builtin);
  for (size_t i = 0; i < params.size(); ++i)
    if (param == params[i].name)
      return static_cast<int>(i);
  return -1;
}
