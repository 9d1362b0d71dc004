//===- Elaborate.cpp - instantiate models into parameters and functions --===//
#include "compiler/Frontend/Elaborate.h"
#include "compiler/Frontend/Builtins.h"

#include <cmath>
#include <map>
#include <set>

using namespace dlc;

namespace {

/// Compile-time values in scope: model arguments and loop variables.
using Consts = std::map<std::string, double>;

/// A built-in layer instance: what its calls expand into.
struct Layer {
  std::string kind;
  std::string prefix; // "conv1."
  std::map<std::string, std::vector<int64_t>> cfg;
  std::map<std::string, double> real; // float arguments (eps, p)
  bool bias = false;
};

/// What a submodule name refers to inside its model.
struct SubRef {
  enum class Kind { Layer, Model, List } kind = Kind::Model;
  Layer layer;               // Layer
  std::string prefix;        // Model: the instance's function prefix
  std::vector<SubRef> items; // List
};

/// One instantiated model: how its names resolve.
struct Instance {
  std::string prefix;
  Consts consts;
  std::set<std::string> params;
  std::set<std::string> fns;
  std::map<std::string, SubRef> subs;
};

ExprPtr number(llvm::SMLoc loc, double v) {
  return std::make_unique<NumberExpr>(loc, v);
}
ExprPtr name(llvm::SMLoc loc, const std::string &n) {
  return std::make_unique<NameExpr>(loc, n);
}
ExprPtr intList(llvm::SMLoc loc, const std::vector<int64_t> &values) {
  std::vector<ExprPtr> elements;
  for (int64_t v : values)
    elements.push_back(number(loc, double(v)));
  return std::make_unique<ListExpr>(loc, std::move(elements));
}

/// Parameters of the built-in layers: name, whether required, default.
struct LayerParam {
  const char *name;
  bool isPair; // an int or [a, b]
  bool required;
  double dflt;         // NaN: "same as kernel_size"
  bool isReal = false; // a float argument
};

const std::map<std::string, std::vector<LayerParam>> &layerSpecs() {
  static const std::map<std::string, std::vector<LayerParam>> specs = [] {
    std::map<std::string, std::vector<LayerParam>> t;
    t["Linear"] = {{"in_features", false, true, 0},
                   {"out_features", false, true, 0},
                   {"bias", false, false, 1}};
    t["Conv2d"] = {
        {"in_channels", false, true, 0}, {"out_channels", false, true, 0},
        {"kernel_size", true, true, 0},  {"stride", true, false, 1},
        {"padding", true, false, 0},     {"dilation", true, false, 1},
        {"groups", false, false, 1},     {"bias", false, false, 1}};
    t["MaxPool2d"] = {{"kernel_size", true, true, 0},
                      {"stride", true, false, NAN},
                      {"padding", true, false, 0}};
    t["AvgPool2d"] = t["MaxPool2d"];
    t["Flatten"] = {{"start_dim", false, false, 1}};
    for (const char *f : {"ReLU", "Sigmoid", "Tanh", "GELU"})
      t[f] = {};
    t["Embedding"] = {{"num_embeddings", false, true, 0},
                      {"embedding_dim", false, true, 0}};
    t["LayerNorm"] = {{"normalized_shape", false, true, 0},
                      {"eps", false, false, 1e-5, true},
                      {"elementwise_affine", false, false, 1}};
    t["Dropout"] = {{"p", false, false, 0.5, true}};
    t["BatchNorm2d"] = {{"num_features", false, true, 0},
                        {"eps", false, false, 1e-5, true},
                        {"momentum", false, false, 0.1, true},
                        {"affine", false, false, 1},
                        {"track_running_stats", false, false, 1}};
    t["BatchNorm1d"] = t["BatchNorm2d"];
    t["MultiheadAttention"] = {{"embed_dim", false, true, 0},
                               {"num_heads", false, true, 0},
                               {"bias", false, false, 1},
                               {"causal", false, false, 0}};
    return t;
  }();
  return specs;
}

class Elaborator {
public:
  Elaborator(Program &program, DiagnosticEngine &diags)
      : program(program), diags(diags) {}

  bool run() {
    unsigned before = diags.errorCount();
    for (auto &p : program.params)
      evalInit(*p, Consts());
    if (program.models.empty())
      return diags.errorCount() == before;
    for (auto &m : program.models) {
      if (layerSpecs().count(m->name))
        diags.error(m->loc,
                    "model '" + m->name + "' has the name of a built-in layer");
      else if (!models.emplace(m->name, m.get()).second)
        diags.error(m->loc, "redefinition of model '" + m->name + "'");
    }
    ModelDecl &root = *program.models.back();
    if (root.train) {
      if (program.train)
        diags.error(root.train->loc, "a second train block (one is at the "
                                     "top level)");
      program.train = std::move(root.train);
    }
    Instance inst;
    if (bindArgs(root, {}, {}, Consts(), root.loc, inst.consts))
      instantiate(root, inst, 0);
    program.models.clear();
    return diags.errorCount() == before;
  }

private:
  std::optional<double> eval(const Expr &e, const Consts &consts,
                             bool report = true) {
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e))
      return n->value;
    if (auto *n = llvm::dyn_cast<NegExpr>(&e)) {
      auto v = eval(*n->operand, consts, report);
      return v ? std::optional<double>(-*v) : std::nullopt;
    }
    if (auto *n = llvm::dyn_cast<NameExpr>(&e)) {
      if (n->name == "true" || n->name == "false")
        return n->name == "true" ? 1.0 : 0.0;
      if (auto it = consts.find(n->name); it != consts.end())
        return it->second;
    } else if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
      auto l = eval(*b->lhs, consts, report);
      if (!l)
        return std::nullopt;
      auto r = eval(*b->rhs, consts, report);
      if (!r)
        return std::nullopt;
      switch (b->op) {
      case '+':
        return *l + *r;
      case '-':
        return *l - *r;
      case '*':
        return *l * *r;
      case '/':
        return *l / *r;
      default:
        break;
      }
    } else if (auto *c = llvm::dyn_cast<CallExpr>(&e)) {
      if (c->callee == "sqrt" && c->args.size() == 1 && c->kwargs.empty())
        if (auto v = eval(*c->args[0], consts, report))
          return std::sqrt(*v);
    }
    if (report)
      diags.error(e.loc, "expected a compile-time constant (numbers, model "
                         "arguments, + - * /, sqrt)");
    return std::nullopt;
  }

  std::optional<int64_t> evalInt(const Expr &e, const Consts &consts,
                                 const std::string &what) {
    auto v = eval(e, consts);
    if (!v)
      return std::nullopt;
    if (*v != std::floor(*v) || std::fabs(*v) > 1e12) {
      diags.error(e.loc,
                  what + " must be an integer, got " + std::to_string(*v));
      return std::nullopt;
    }
    return static_cast<int64_t>(*v);
  }

  void evalInit(ParamDecl &p, const Consts &consts) {
    p.init.args.clear();
    for (const auto &e : p.init.argExprs)
      if (auto v = eval(*e, consts))
        p.init.args.push_back(*v);
  }

  /// Binds a model's arguments from a call (values evaluated in `scope`).
  bool bindArgs(const ModelDecl &m, const std::vector<ExprPtr> &args,
                const std::vector<KeywordArg> &kwargs, const Consts &scope,
                llvm::SMLoc loc, Consts &out) {
    if (args.size() > m.args.size()) {
      diags.error(loc, "model '" + m.name + "' takes " +
                           std::to_string(m.args.size()) +
                           " argument(s), got " + std::to_string(args.size()));
      return false;
    }
    std::vector<const Expr *> given(m.args.size(), nullptr);
    for (size_t i = 0; i < args.size(); ++i)
      given[i] = args[i].get();
    for (const KeywordArg &kw : kwargs) {
      size_t i = 0;
      while (i < m.args.size() && m.args[i].name != kw.name)
        ++i;
      if (i == m.args.size() || given[i]) {
        diags.error(kw.loc, i == m.args.size()
                                ? "model '" + m.name + "' has no argument '" +
                                      kw.name + "'"
                                : "argument '" + kw.name + "' is given twice");
        return false;
      }
      given[i] = kw.value.get();
    }
    for (size_t i = 0; i < m.args.size(); ++i) {
      const ModelArg &a = m.args[i];
      if (a.kind != "int" && a.kind != "float" && a.kind != "bool") {
        diags.error(a.loc, "model argument kind must be int, float or bool, "
                           "got '" +
                               a.kind + "'");
        return false;
      }
      std::optional<double> v;
      if (given[i])
        v = eval(*given[i], scope);
      else if (a.defaultValue)
        v = eval(*a.defaultValue, out); // earlier arguments are in scope
      else {
        diags.error(loc, "model '" + m.name + "' is missing its argument '" +
                             a.name + "'");
        return false;
      }
      if (!v)
        return false;
      if ((a.kind == "int" && *v != std::floor(*v)) ||
          (a.kind == "bool" && *v != 0 && *v != 1)) {
        diags.error(given[i] ? given[i]->loc : a.loc,
                    "argument '" + a.name + "' of model '" + m.name +
                        "' must be " + (a.kind == "int" ? "an int" : "a bool"));
        return false;
      }
      out[a.name] = *v;
    }
    return true;
  }

  /// Substitutes model arguments into a type's dimensions.
  TypeExpr cloneType(const TypeExpr &t, const Consts &consts) {
    TypeExpr out = t;
    for (auto &d : out.dims) {
      if (d.size > 0)
        continue;
      if (auto it = consts.find(d.symbol); it != consts.end()) {
        if (it->second < 1 || it->second != std::floor(it->second)) {
          diags.error(d.loc, "dimension '" + d.symbol + "' is " +
                                 std::to_string(it->second) +
                                 ", not a positive integer");
          continue;
        }
        d.size = static_cast<int64_t>(it->second);
        d.symbol.clear();
      }
    }
    return out;
  }

  void addParam(std::unique_ptr<ParamDecl> p) {
    for (const auto &q : program.params)
      if (q->name == p->name) {
        diags.error(p->loc, "parameter '" + p->name + "' is defined twice");
        return;
      }
    program.params.push_back(std::move(p));
  }

  void instantiate(const ModelDecl &m, Instance &inst, unsigned depth) {
    if (depth > 32) {
      diags.error(m.loc, "models nest more than 32 deep (is '" + m.name +
                             "' recursive?)");
      return;
    }
    for (const auto &p : m.params) {
      auto q = std::make_unique<ParamDecl>();
      q->loc = p->loc;
      q->name = inst.prefix + p->name;
      q->typeExpr = cloneType(p->typeExpr, inst.consts);
      q->init.loc = p->init.loc;
      q->init.name = p->init.name;
      for (const auto &e : p->init.argExprs)
        q->init.argExprs.push_back(clone(*e, inst, {}));
      evalInit(*q, inst.consts);
      inst.params.insert(p->name);
      addParam(std::move(q));
    }
    for (const auto &f : m.fns)
      inst.fns.insert(f->name);
    for (const SubmoduleDecl &s : m.submodules) {
      if (inst.params.count(s.name) || inst.subs.count(s.name) ||
          inst.fns.count(s.name)) {
        diags.error(s.loc, "redefinition of '" + s.name + "' in model '" +
                               m.name + "'");
        continue;
      }
      if (!s.count) {
        if (auto ref = instantiateSub(s, inst.prefix + s.name + ".",
                                      inst.consts, depth))
          inst.subs[s.name] = std::move(*ref);
        continue;
      }
      auto n = evalInt(*s.count, inst.consts, "the number of submodules");
      if (!n)
        continue;
      SubRef list;
      list.kind = SubRef::Kind::List;
      for (int64_t i = 0; i < *n; ++i) {
        Consts scope = inst.consts;
        scope[s.loopVar] = double(i);
        auto ref = instantiateSub(
            s, inst.prefix + s.name + "." + std::to_string(i) + ".", scope,
            depth);
        if (!ref)
          break;
        list.items.push_back(std::move(*ref));
      }
      inst.subs[s.name] = std::move(list);
    }
    for (const auto &f : m.fns)
      program.fns.push_back(cloneFn(*f, inst));
  }

  std::optional<SubRef> instantiateSub(const SubmoduleDecl &s,
                                       const std::string &prefix,
                                       const Consts &scope, unsigned depth) {
    if (layerSpecs().count(s.model))
      return makeLayer(s, prefix, scope);
    auto it = models.find(s.model);
    if (it == models.end()) {
      diags.error(s.modelLoc, "unknown model or layer '" + s.model + "'");
      return std::nullopt;
    }
    Instance child;
    child.prefix = prefix;
    if (!bindArgs(*it->second, s.args, s.kwargs, scope, s.modelLoc,
                  child.consts))
      return std::nullopt;
    instantiate(*it->second, child, depth + 1);
    SubRef ref;
    ref.kind = SubRef::Kind::Model;
    ref.prefix = prefix;
    if (!child.fns.count("forward")) {
      diags.error(s.modelLoc, "model '" + s.model + "' has no 'forward'");
      return std::nullopt;
    }
    return ref;
  }

  std::optional<SubRef> makeLayer(const SubmoduleDecl &s,
                                  const std::string &prefix,
                                  const Consts &scope) {
    const auto &params = layerSpecs().at(s.model);
    std::vector<const Expr *> given(params.size(), nullptr);
    if (s.args.size() > params.size()) {
      diags.error(s.modelLoc, "'" + s.model + "' takes at most " +
                                  std::to_string(params.size()) +
                                  " argument(s), got " +
                                  std::to_string(s.args.size()));
      return std::nullopt;
    }
    for (size_t i = 0; i < s.args.size(); ++i)
      given[i] = s.args[i].get();
    for (const KeywordArg &kw : s.kwargs) {
      size_t i = 0;
      while (i < params.size() && kw.name != params[i].name)
        ++i;
      if (i == params.size() || given[i]) {
        diags.error(kw.loc,
                    i == params.size()
                        ? "'" + s.model + "' has no argument '" + kw.name + "'"
                        : "argument '" + kw.name + "' is given twice");
        return std::nullopt;
      }
      given[i] = kw.value.get();
    }
    Layer layer;
    layer.kind = s.model;
    layer.prefix = prefix;
    for (size_t i = 0; i < params.size(); ++i) {
      const LayerParam &p = params[i];
      if (p.isReal) {
        std::optional<double> v = p.dflt;
        if (given[i] && !(v = eval(*given[i], scope)))
          return std::nullopt;
        layer.real[p.name] = *v;
        continue;
      }
      std::vector<int64_t> values;
      if (!given[i]) {
        if (p.required) {
          diags.error(s.modelLoc, "'" + s.model +
                                      "' is missing its argument '" + p.name +
                                      "'");
          return std::nullopt;
        }
        if (std::isnan(p.dflt))
          values = layer.cfg["kernel_size"];
        else
          values.assign(p.isPair ? 2 : 1, static_cast<int64_t>(p.dflt));
      } else if (auto *list = llvm::dyn_cast<ListExpr>(given[i])) {
        if (!p.isPair || list->elements.size() != 2) {
          diags.error(given[i]->loc, "'" + s.model + "' argument '" + p.name +
                                         "' must be an integer" +
                                         (p.isPair ? " or a list of two" : ""));
          return std::nullopt;
        }
        for (const auto &e : list->elements) {
          auto v = evalInt(*e, scope, std::string("'") + p.name + "'");
          if (!v)
            return std::nullopt;
          values.push_back(*v);
        }
      } else {
        auto v = evalInt(*given[i], scope, std::string("'") + p.name + "'");
        if (!v)
          return std::nullopt;
        values.assign(p.isPair ? 2 : 1, *v);
      }
      layer.cfg[p.name] = values;
    }
    auto cfg = [&](const char *k) { return layer.cfg[k][0]; };
    auto addParam = [&](const std::string &n, std::vector<int64_t> shape,
                        const std::string &init, std::vector<double> args,
                        const char *buffer = "", const char *elem = "f32") {
      auto q = std::make_unique<ParamDecl>();
      q->loc = s.loc;
      q->name = prefix + n;
      q->buffer = buffer;
      q->typeExpr.loc = s.loc;
      q->typeExpr.elem = elem;
      for (int64_t d : shape) {
        TypeExpr::DimExpr dim;
        dim.loc = s.loc;
        dim.size = d;
        q->typeExpr.dims.push_back(dim);
      }
      q->init.loc = s.loc;
      q->init.name = init;
      for (double a : args)
        q->init.argExprs.push_back(number(s.loc, a));
      q->init.args = args;
      this->addParam(std::move(q));
    };
    // PyTorch's default for Linear and Conv2d: kaiming_uniform(a=sqrt(5))
    // for the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias,
    // the same bound.
    auto addWeight = [&](const std::string &n, std::vector<int64_t> shape,
                         double bound) {
      addParam(n, std::move(shape), "uniform", {-bound, bound});
    };
    auto positive = [&](const char *k) {
      for (int64_t v : layer.cfg[k])
        if (v < 1) {
          diags.error(s.modelLoc, "'" + s.model + "' argument '" + k +
                                      "' must be positive");
          return false;
        }
      return true;
    };
    if (layer.kind == "Linear") {
      if (!positive("in_features") || !positive("out_features"))
        return std::nullopt;
      int64_t in = cfg("in_features"), out = cfg("out_features");
      layer.bias = cfg("bias") != 0;
      double bound = 1.0 / std::sqrt(double(in));
      addWeight("weight", {out, in}, bound);
      if (layer.bias)
        addWeight("bias", {out}, bound);
    } else if (layer.kind == "Conv2d") {
      if (!positive("in_channels") || !positive("out_channels") ||
          !positive("kernel_size") || !positive("groups"))
        return std::nullopt;
      int64_t in = cfg("in_channels"), out = cfg("out_channels");
      int64_t g = cfg("groups");
      if (in % g || out % g) {
        diags.error(s.modelLoc, "'Conv2d': channels (" + std::to_string(in) +
                                    " in, " + std::to_string(out) +
                                    " out) must be divisible by groups " +
                                    std::to_string(g));
        return std::nullopt;
      }
      auto k = layer.cfg["kernel_size"];
      layer.bias = cfg("bias") != 0;
      double bound = 1.0 / std::sqrt(double(in / g * k[0] * k[1]));
      addWeight("weight", {out, in / g, k[0], k[1]}, bound);
      if (layer.bias)
        addWeight("bias", {out}, bound);
    } else if (layer.kind == "Embedding") {
      if (!positive("num_embeddings") || !positive("embedding_dim"))
        return std::nullopt;
      // torch.nn.Embedding: N(0, 1).
      addParam("weight", {cfg("num_embeddings"), cfg("embedding_dim")},
               "normal", {0, 1});
    } else if (layer.kind == "LayerNorm") {
      if (!positive("normalized_shape"))
        return std::nullopt;
      if (!(layer.real["eps"] > 0)) {
        diags.error(s.modelLoc, "'LayerNorm': eps must be positive");
        return std::nullopt;
      }
      layer.bias = cfg("elementwise_affine") != 0;
      if (layer.bias) {
        addParam("weight", {cfg("normalized_shape")}, "ones", {});
        addParam("bias", {cfg("normalized_shape")}, "zeros", {});
      }
    } else if (layer.kind == "BatchNorm2d" || layer.kind == "BatchNorm1d") {
      if (!positive("num_features"))
        return std::nullopt;
      double eps = layer.real["eps"], momentum = layer.real["momentum"];
      if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
        diags.error(s.modelLoc, "'" + layer.kind +
                                    "': eps must be positive and momentum in "
                                    "[0, 1]");
        return std::nullopt;
      }
      if (cfg("affine") == 0 || cfg("track_running_stats") == 0) {
        diags.error(s.modelLoc, "'" + layer.kind +
                                    "' without affine or running statistics "
                                    "is not supported yet");
        return std::nullopt;
      }
      // torch.nn.BatchNorm2d's state dict: weight, bias, running_mean,
      // running_var, num_batches_tracked (int64 scalar).
      int64_t c = cfg("num_features");
      addParam("weight", {c}, "ones", {});
      addParam("bias", {c}, "zeros", {});
      addParam("running_mean", {c}, "zeros", {}, "running");
      addParam("running_var", {c}, "ones", {}, "running");
      addParam("num_batches_tracked", {}, "zeros", {}, "step_count", "i64");
    } else if (layer.kind == "Dropout") {
      double p = layer.real["p"];
      if (!(p >= 0 && p < 1)) {
        diags.error(s.modelLoc, "'Dropout': p must be in [0, 1)");
        return std::nullopt;
      }
    } else if (layer.kind == "MultiheadAttention") {
      if (!positive("embed_dim") || !positive("num_heads"))
        return std::nullopt;
      int64_t d = cfg("embed_dim"), h = cfg("num_heads");
      if (d % h) {
        diags.error(s.modelLoc,
                    "'MultiheadAttention': embed_dim " + std::to_string(d) +
                        " is not divisible by num_heads " + std::to_string(h));
        return std::nullopt;
      }
      if (cfg("bias") == 0) {
        diags.error(s.modelLoc, "'MultiheadAttention' without bias is not "
                                "supported yet");
        return std::nullopt;
      }
      // torch.nn.MultiheadAttention._reset_parameters: xavier_uniform for
      // the packed projection, zero biases; out_proj is a Linear.
      addParam("in_proj_weight", {3 * d, d}, "xavier_uniform", {});
      addParam("in_proj_bias", {3 * d}, "zeros", {});
      addWeight("out_proj.weight", {d, d}, 1.0 / std::sqrt(double(d)));
      addParam("out_proj.bias", {d}, "zeros", {});
    }
    SubRef ref;
    ref.kind = SubRef::Kind::Layer;
    ref.layer = std::move(layer);
    return ref;
  }

  std::unique_ptr<FnDecl> cloneFn(const FnDecl &f, const Instance &inst) {
    auto g = std::make_unique<FnDecl>();
    g->loc = f.loc;
    g->name = inst.prefix + f.name;
    g->endLoc = f.endLoc;
    std::set<std::string> locals;
    for (const ArgDecl &a : f.args) {
      ArgDecl b;
      b.loc = a.loc;
      b.name = a.name;
      b.typeExpr = cloneType(a.typeExpr, inst.consts);
      g->args.push_back(std::move(b));
      locals.insert(a.name);
    }
    g->resultExpr = cloneType(f.resultExpr, inst.consts);
    for (const Stmt &s : f.body) {
      Stmt t;
      t.kind = s.kind;
      t.loc = s.loc;
      t.name = s.name;
      t.nameLoc = s.nameLoc;
      if (s.declared)
        t.declared =
            std::make_unique<TypeExpr>(cloneType(*s.declared, inst.consts));
      t.value = clone(*s.value, inst, locals);
      if (s.kind == Stmt::Kind::Let)
        locals.insert(s.name);
      g->body.push_back(std::move(t));
    }
    return g;
  }

  ExprPtr clone(const Expr &e, const Instance &inst,
                const std::set<std::string> &locals) {
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e))
      return number(n->loc, n->value);
    if (auto *n = llvm::dyn_cast<NameExpr>(&e)) {
      if (locals.count(n->name))
        return name(n->loc, n->name);
      if (auto it = inst.consts.find(n->name); it != inst.consts.end())
        return number(n->loc, it->second);
      if (inst.params.count(n->name))
        return name(n->loc, inst.prefix + n->name);
      if (inst.subs.count(n->name)) {
        diags.error(n->loc, "submodule '" + n->name +
                                "' used as a value; call it with '(...)'");
        return name(n->loc, n->name);
      }
      return name(n->loc, n->name);
    }
    if (auto *n = llvm::dyn_cast<NegExpr>(&e))
      return std::make_unique<NegExpr>(n->loc,
                                       clone(*n->operand, inst, locals));
    if (auto *b = llvm::dyn_cast<BinaryExpr>(&e))
      return std::make_unique<BinaryExpr>(b->loc, b->op,
                                          clone(*b->lhs, inst, locals),
                                          clone(*b->rhs, inst, locals));
    if (auto *l = llvm::dyn_cast<ListExpr>(&e)) {
      std::vector<ExprPtr> elements;
      for (const auto &x : l->elements)
        elements.push_back(clone(*x, inst, locals));
      return std::make_unique<ListExpr>(l->loc, std::move(elements));
    }
    const auto &c = *llvm::cast<CallExpr>(&e);
    std::vector<ExprPtr> args;
    for (const auto &a : c.args)
      args.push_back(clone(*a, inst, locals));
    std::vector<KeywordArg> kwargs;
    for (const auto &k : c.kwargs)
      kwargs.push_back({k.loc, k.name, clone(*k.value, inst, locals)});
    if (!locals.count(c.callee)) {
      if (auto it = inst.subs.find(c.callee); it != inst.subs.end())
        return callSub(it->second, c, std::move(args), std::move(kwargs));
      if (inst.fns.count(c.callee))
        return std::make_unique<CallExpr>(c.loc, inst.prefix + c.callee,
                                          std::move(args), std::move(kwargs));
    }
    return std::make_unique<CallExpr>(c.loc, c.callee, std::move(args),
                                      std::move(kwargs));
  }

  ExprPtr callSub(const SubRef &ref, const CallExpr &c,
                  std::vector<ExprPtr> args, std::vector<KeywordArg> kwargs) {
    if (ref.kind == SubRef::Kind::Model)
      return std::make_unique<CallExpr>(c.loc, ref.prefix + "forward",
                                        std::move(args), std::move(kwargs));
    if (args.size() != 1 || !kwargs.empty()) {
      diags.error(c.loc, "'" + c.callee + "' takes one input, got " +
                             std::to_string(args.size() + kwargs.size()));
      return number(c.loc, 0);
    }
    if (ref.kind == SubRef::Kind::List) {
      // Like torch.nn.Sequential: each member's output feeds the next.
      ExprPtr x = std::move(args[0]);
      for (const SubRef &item : ref.items) {
        std::vector<ExprPtr> one;
        one.push_back(std::move(x));
        x = callSub(item, c, std::move(one), {});
      }
      return x;
    }
    return expandLayer(ref.layer, c.loc, std::move(args[0]));
  }

  ExprPtr expandLayer(const Layer &l, llvm::SMLoc loc, ExprPtr x) {
    auto call = [&](const char *f, std::vector<ExprPtr> args,
                    std::vector<KeywordArg> kwargs = {}) -> ExprPtr {
      return std::make_unique<CallExpr>(loc, f, std::move(args),
                                        std::move(kwargs));
    };
    auto one = [&](ExprPtr a) {
      std::vector<ExprPtr> v;
      v.push_back(std::move(a));
      return v;
    };
    auto cfg = [&](const char *k) { return l.cfg.at(k); };
    if (l.kind == "ReLU")
      return call("relu", one(std::move(x)));
    if (l.kind == "Sigmoid")
      return call("sigmoid", one(std::move(x)));
    if (l.kind == "Tanh")
      return call("tanh", one(std::move(x)));
    if (l.kind == "GELU")
      return call("gelu", one(std::move(x)));
    if (l.kind == "Dropout") {
      std::vector<KeywordArg> kwargs;
      kwargs.push_back({loc, "p", number(loc, l.real.at("p"))});
      return call("dropout", one(std::move(x)), std::move(kwargs));
    }
    if (l.kind == "BatchNorm2d" || l.kind == "BatchNorm1d") {
      std::vector<ExprPtr> args;
      args.push_back(std::move(x));
      for (const char *p : {"weight", "bias", "running_mean", "running_var"})
        args.push_back(name(loc, l.prefix + p));
      std::vector<KeywordArg> kwargs;
      kwargs.push_back({loc, "eps", number(loc, l.real.at("eps"))});
      kwargs.push_back({loc, "momentum", number(loc, l.real.at("momentum"))});
      return call("batch_norm", std::move(args), std::move(kwargs));
    }
    if (l.kind == "Embedding") {
      std::vector<ExprPtr> args;
      args.push_back(std::move(x));
      args.push_back(name(loc, l.prefix + "weight"));
      return call("embedding", std::move(args));
    }
    if (l.kind == "LayerNorm") {
      std::vector<ExprPtr> args;
      args.push_back(std::move(x));
      std::vector<KeywordArg> kwargs;
      if (l.bias) {
        args.push_back(name(loc, l.prefix + "weight"));
        args.push_back(name(loc, l.prefix + "bias"));
      }
      kwargs.push_back({loc, "eps", number(loc, l.real.at("eps"))});
      return call("layer_norm", std::move(args), std::move(kwargs));
    }
    if (l.kind == "MultiheadAttention") {
      std::vector<ExprPtr> args;
      args.push_back(std::move(x));
      for (const char *p : {"in_proj_weight", "in_proj_bias", "out_proj.weight",
                            "out_proj.bias"})
        args.push_back(name(loc, l.prefix + p));
      std::vector<KeywordArg> kwargs;
      kwargs.push_back(
          {loc, "heads", number(loc, double(cfg("num_heads")[0]))});
      kwargs.push_back(
          {loc, "causal", name(loc, cfg("causal")[0] ? "true" : "false")});
      return call("multi_head_attention", std::move(args), std::move(kwargs));
    }
    if (l.kind == "Flatten") {
      std::vector<KeywordArg> kw;
      kw.push_back({loc, "start", number(loc, double(cfg("start_dim")[0]))});
      return call("flatten", one(std::move(x)), std::move(kw));
    }
    if (l.kind == "Linear") {
      // y = x @ W^T + b, with W stored [out, in] as in PyTorch.
      ExprPtr wt = call("transpose", one(name(loc, l.prefix + "weight")));
      ExprPtr y =
          std::make_unique<BinaryExpr>(loc, '@', std::move(x), std::move(wt));
      if (!l.bias)
        return y;
      return std::make_unique<BinaryExpr>(loc, '+', std::move(y),
                                          name(loc, l.prefix + "bias"));
    }
    std::vector<KeywordArg> kw;
    auto pair = [&](const char *param, const char *as) {
      kw.push_back({loc, as, intList(loc, cfg(param))});
    };
    if (l.kind == "Conv2d") {
      std::vector<ExprPtr> args;
      args.push_back(std::move(x));
      args.push_back(name(loc, l.prefix + "weight"));
      if (l.bias)
        args.push_back(name(loc, l.prefix + "bias"));
      pair("stride", "stride");
      pair("padding", "padding");
      pair("dilation", "dilation");
      kw.push_back({loc, "groups", number(loc, double(cfg("groups")[0]))});
      return call("conv2d", std::move(args), std::move(kw));
    }
    pair("kernel_size", "kernel");
    pair("stride", "stride");
    pair("padding", "padding");
    return call(l.kind == "MaxPool2d" ? "max_pool2d" : "avg_pool2d",
                one(std::move(x)), std::move(kw));
  }

  Program &program;
  DiagnosticEngine &diags;
  std::map<std::string, const ModelDecl *> models;
};

} // namespace

bool dlc::elaborate(Program &program, DiagnosticEngine &diags) {
  return Elaborator(program, diags).run();
}
