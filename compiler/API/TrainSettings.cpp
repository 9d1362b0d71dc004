//===- TrainSettings.cpp - reading a program's `train { ... }` block ------===//
//
// Values are expressions of the ordinary grammar (so `adam(lr=1e-3)` parses
// like a call) interpreted here, key by key, with an error at the value
// that is wrong. See docs/training.md for the settings.
//
//===----------------------------------------------------------------------===//
#include "compiler/API/Compilation.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <set>

using namespace dlc;

namespace {

class Reader {
public:
  Reader(DiagnosticEngine &diags, const Program &program)
      : diags(diags), program(program) {}

  void read(const TrainBlock &block, dl::TrainSettings &out) {
    std::set<std::string> seen;
    for (const TrainEntry &e : block.entries) {
      if (!seen.insert(e.key).second) {
        diags.error(e.loc, "training setting '" + e.key + "' is given twice");
        continue;
      }
      const Expr &v = *e.value;
      if (e.key == "loss")
        readLoss(v, out);
      else if (e.key == "optimizer")
        readOptimizer(v, out);
      else if (e.key == "batch")
        out.batch = positiveInt(v, "batch");
      else if (e.key == "epochs")
        out.epochs = positiveInt(v, "epochs");
      else if (e.key == "warmup")
        out.warmup = positiveInt(v, "warmup", /*allowZero=*/true);
      else if (e.key == "schedule")
        readSchedule(v, out);
      else if (e.key == "metrics")
        readNames(v, "metrics", {"accuracy", "loss"}, out.metrics);
      else if (e.key == "freeze")
        readFrozen(v, out);
      else
        diags.error(e.loc, "unknown training setting '" + e.key +
                               "' (loss, optimizer, batch, epochs, schedule, "
                               "warmup, metrics, freeze)");
    }
  }

private:
  std::optional<double> number(const Expr &e) {
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e))
      return n->value;
    if (auto *n = llvm::dyn_cast<NegExpr>(&e))
      if (auto v = number(*n->operand))
        return -*v;
    return std::nullopt;
  }

  std::optional<int64_t> positiveInt(const Expr &e, const char *what,
                                     bool allowZero = false) {
    auto v = number(e);
    if (!v || *v != std::floor(*v) || *v < (allowZero ? 0 : 1) || *v > 1e12) {
      diags.error(e.loc, std::string("'") + what + "' must be a " +
                             (allowZero ? "non-negative" : "positive") +
                             " integer");
      return std::nullopt;
    }
    return static_cast<int64_t>(*v);
  }

  std::string name(const Expr &e) {
    auto *n = llvm::dyn_cast<NameExpr>(&e);
    return n ? n->name : "";
  }

  void readLoss(const Expr &v, dl::TrainSettings &out) {
    std::string fn = name(v);
    for (const auto &f : program.fns)
      if (f->name == fn) {
        if (f->result.rank() != 0 || !isFloat(f->result.elem)) {
          diags.error(v.loc, "the loss '" + fn +
                                 "' must return a float scalar, not " +
                                 f->result.str());
          return;
        }
        out.loss = fn;
        return;
      }
    diags.error(v.loc, "'loss' must name a function of the model");
  }

  void readOptimizer(const Expr &v, dl::TrainSettings &out) {
    std::string kind = name(v);
    const CallExpr *call = llvm::dyn_cast<CallExpr>(&v);
    if (call)
      kind = call->callee;
    if (kind != "sgd" && kind != "momentum" && kind != "adam" &&
        kind != "adamw") {
      diags.error(v.loc, "unknown optimizer '" + kind +
                             "' (sgd, momentum, adam, adamw)");
      return;
    }
    out.optimizer = kind;
    if (!call)
      return;
    if (!call->args.empty())
      diags.error(call->args[0]->loc,
                  "optimizer settings are named: " + kind + "(lr=0.001)");
    bool sgd = kind == "sgd" || kind == "momentum";
    for (const KeywordArg &k : call->kwargs) {
      if (k.name == "nesterov" && sgd) {
        std::string b = name(*k.value);
        if (b != "true" && b != "false")
          diags.error(k.value->loc, "'nesterov' must be true or false");
        else
          out.nesterov = b == "true";
        continue;
      }
      std::optional<double> *slot =
          k.name == "lr"                ? &out.lr
          : k.name == "weight_decay"    ? &out.weightDecay
          : k.name == "momentum" && sgd ? &out.momentum
          : k.name == "beta1" && !sgd   ? &out.beta1
          : k.name == "beta2" && !sgd   ? &out.beta2
          : k.name == "eps" && !sgd     ? &out.eps
                                        : nullptr;
      if (!slot) {
        diags.error(k.loc, "'" + kind + "' has no setting '" + k.name + "' (" +
                               (sgd ? "lr, momentum, nesterov, weight_decay"
                                    : "lr, beta1, beta2, eps, weight_decay") +
                               ")");
        continue;
      }
      auto x = number(*k.value);
      if (!x || *x < 0 || ((k.name == "beta1" || k.name == "beta2") && *x >= 1))
        diags.error(
            k.value->loc,
            "'" + k.name + "' must be a number" +
                (k.name.rfind("beta", 0) == 0 ? " in [0, 1)" : " >= 0"));
      else
        *slot = *x;
    }
  }

  void readSchedule(const Expr &v, dl::TrainSettings &out) {
    std::string kind = name(v);
    const CallExpr *call = llvm::dyn_cast<CallExpr>(&v);
    if (call)
      kind = call->callee;
    if (kind == "constant" && !call) {
      out.schedule = "constant";
      return;
    }
    double every = 1, gamma = 0.1, minLr = 0;
    if (kind != "step" && kind != "cosine") {
      diags.error(v.loc, "unknown schedule '" + kind +
                             "' (constant, step(every=EPOCHS, gamma=G), "
                             "cosine(min_lr=X))");
      return;
    }
    if (call)
      for (const KeywordArg &k : call->kwargs) {
        double *slot = kind == "step" && k.name == "every"      ? &every
                       : kind == "step" && k.name == "gamma"    ? &gamma
                       : kind == "cosine" && k.name == "min_lr" ? &minLr
                                                                : nullptr;
        auto x = number(*k.value);
        if (!slot)
          diags.error(k.loc, "schedule '" + kind + "' has no setting '" +
                                 k.name + "'");
        else if (!x || *x < 0 || (k.name == "every" && *x < 1))
          diags.error(k.value->loc,
                      "'" + k.name + "' must be a non-negative number" +
                          (k.name == "every" ? " of epochs, at least 1" : ""));
        else
          *slot = *x;
      }
    out.schedule =
        kind == "step"
            ? llvm::formatv("step:{0}:{1}", int64_t(every), gamma).str()
            : llvm::formatv("cosine:{0}", minLr).str();
  }

  void readNames(const Expr &v, const char *what,
                 const std::set<std::string> &allowed,
                 std::vector<std::string> &out) {
    auto *list = llvm::dyn_cast<ListExpr>(&v);
    if (!list) {
      diags.error(v.loc, std::string("'") + what + "' must be a list [...]");
      return;
    }
    for (const auto &x : list->elements) {
      std::string n = name(*x);
      if (n.empty() || (!allowed.empty() && !allowed.count(n)))
        diags.error(x->loc,
                    allowed.empty()
                        ? std::string("'") + what +
                              "' takes submodule or parameter names"
                        : "unknown metric '" + n + "' (accuracy, loss)");
      else
        out.push_back(n);
    }
  }

  /// `freeze = [conv1, w]`: a submodule (all of `conv1.*`) or a parameter.
  void readFrozen(const Expr &v, dl::TrainSettings &out) {
    std::vector<std::string> names;
    readNames(v, "freeze", {}, names);
    for (const std::string &n : names) {
      bool isParam = false;
      for (const auto &p : program.params)
        isParam |= p->name == n;
      out.frozen.push_back(isParam ? n : n + ".*");
    }
  }

  DiagnosticEngine &diags;
  const Program &program;
};

} // namespace

bool Compilation::readTrainSettings(dl::TrainSettings &out) {
  if (!ast.train)
    return true;
  unsigned before = diags.errorCount();
  Reader(diags, ast).read(*ast.train, out);
  return diags.errorCount() == before;
}
