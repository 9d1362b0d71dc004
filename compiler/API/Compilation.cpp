//===- Compilation.cpp - one source buffer through every stage ------------===//
#include "compiler/API/Compilation.h"
#include "compiler/API/HostEngine.h"
#include "compiler/Frontend/Elaborate.h"
#include "compiler/Frontend/Parser.h"
#include "compiler/Frontend/Sema.h"
#include "compiler/MLIRGen/MLIRGen.h"
#include "compiler/Pipelines/Pipelines.h"
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/MemoryBuffer.h"

#include <set>

using namespace dlc;

namespace {

dl::Diagnostic convert(const Diagnostic &d) {
  dl::Diagnostic out;
  out.kind = d.kind == Diagnostic::Kind::Error ? dl::Diagnostic::Kind::Error
                                               : dl::Diagnostic::Kind::Note;
  out.file = d.file;
  out.line = d.line;
  out.column = d.column;
  out.message = d.message;
  out.rendered = d.rendered;
  return out;
}

dl::DType toDType(ElemType elem) {
  switch (elem) {
  case ElemType::F32:
    return dl::DType::F32;
  case ElemType::F64:
    return dl::DType::F64;
  case ElemType::I32:
    return dl::DType::I32;
  case ElemType::I64:
    return dl::DType::I64;
  case ElemType::Bool:
    return dl::DType::Bool;
  }
  return dl::DType::F32;
}

dl::ArgumentInfo argumentInfo(const std::string &name, const TensorType &type) {
  dl::ArgumentInfo info;
  info.name = name;
  info.dtype = toDType(type.elem);
  for (const Dim &d : type.dims) {
    info.dims.push_back(d.isSymbolic() ? -1 : d.size);
    info.symbols.push_back(d.isSymbolic() ? d.symbol : "");
  }
  info.typeString = type.str();
  return info;
}

} // namespace

const FnDecl *Compilation::findFn(const std::string &name) const {
  for (const auto &fn : ast.fns)
    if (fn->name == name)
      return fn.get();
  return nullptr;
}

void Compilation::reportError(const std::string &message) {
  addError("error: " + message + "\n", message);
}

Compilation::Compilation() : diags(sourceMgr) {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  registerPassesAndPipelines();
  ctx = std::make_unique<mlir::MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
}

void Compilation::addError(const std::string &rendered,
                           const std::string &message) {
  dl::Diagnostic d;
  d.message = message;
  d.rendered = rendered;
  extra.push_back(d);
}

bool Compilation::loadFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    std::string msg =
        "cannot open '" + path + "': " + buffer.getError().message();
    reportError(msg);
    return false;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return true;
}

void Compilation::loadString(const std::string &source,
                             const std::string &name) {
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, name), llvm::SMLoc());
}

bool Compilation::parseAndAnalyze() {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  Parser parser(buffer->getBuffer(), diags);
  ast = parser.parseProgram();
  // Analyse what parsed even after syntax errors, so one run reports the
  // semantic errors of the intact declarations too.
  bool parsed = !diags.hasErrors();
  if (diags.atLimit())
    return false;
  if (!elaborate(ast, diags))
    return false;
  if (promoteF32)
    promoteToF64(ast);
  if (!analyze(ast, diags) || !parsed)
    return false;
  trainSettings = dl::TrainSettings();
  return readTrainSettings(trainSettings);
}

namespace {
void promoteType(TypeExpr &t) {
  if (t.elem == "f32")
    t.elem = "f64";
}
void promoteExpr(Expr &e) {
  if (auto *c = llvm::dyn_cast<CallExpr>(&e)) {
    if (c->callee == "f32")
      c->callee = "f64";
    for (auto &a : c->args)
      promoteExpr(*a);
    for (auto &k : c->kwargs)
      promoteExpr(*k.value);
  } else if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
    promoteExpr(*b->lhs);
    promoteExpr(*b->rhs);
  } else if (auto *n = llvm::dyn_cast<NegExpr>(&e)) {
    promoteExpr(*n->operand);
  } else if (auto *l = llvm::dyn_cast<ListExpr>(&e)) {
    for (auto &x : l->elements)
      promoteExpr(*x);
  }
}
} // namespace

void Compilation::promoteToF64(Program &program) {
  for (auto &p : program.params)
    promoteType(p->typeExpr);
  for (auto &f : program.fns) {
    for (ArgDecl &a : f->args)
      promoteType(a.typeExpr);
    promoteType(f->resultExpr);
    for (Stmt &s : f->body) {
      if (s.declared)
        promoteType(*s.declared);
      promoteExpr(*s.value);
    }
  }
}

bool Compilation::emitDL() {
  mlirModule = ::dlc::emitDL(*ctx, ast, sourceMgr);
  // MLIRGen only sees Sema-checked programs; a verifier failure here is a
  // compiler bug, reported like any other error rather than aborting.
  return runPipeline(nullptr);
}

void Compilation::requestGradients() {
  for (const auto &fn : ast.fns) {
    if (fn->result.rank() != 0 || !isFloat(fn->result.elem))
      continue;
    auto f = mlirModule->lookupSymbol<mlir::func::FuncOp>(fn->name);
    if (!f)
      continue;
    f->setAttr("dl.differentiate", mlir::UnitAttr::get(ctx.get()));
    differentiated.push_back(fn->name);
  }
}

/// The fraction of rows of `logits` [N, C] whose argmax is `labels` [N].
static mlir::Value emitAccuracy(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value logits, mlir::Value labels) {
  mlir::Value predicted =
      mlir::dl::ArgMaxOp::create(b, loc, logits, b.getI64IntegerAttr(1));
  mlir::Value hits =
      mlir::dl::CompareOp::create(b, loc, "eq", predicted, labels);
  auto hitsType = mlir::cast<mlir::RankedTensorType>(hits.getType());
  mlir::Value asFloat = mlir::dl::ConvertOp::create(
      b, loc, mlir::RankedTensorType::get(hitsType.getShape(), b.getF32Type()),
      hits);
  return mlir::dl::ReduceMeanOp::create(b, loc, asFloat,
                                        b.getDenseI64ArrayAttr({0}), nullptr);
}

bool Compilation::requestAccuracy(const std::string &function) {
  const FnDecl *decl = findFn(function);
  auto f = mlirModule->lookupSymbol<mlir::func::FuncOp>(function);
  if (!decl || !f || decl->result.rank() != 2 || !isFloat(decl->result.elem)) {
    std::string msg = "cannot measure the accuracy of '" + function +
                      "': it must return [N, C] logits";
    reportError(msg);
    return false;
  }
  mlir::OpBuilder b(ctx.get());
  b.setInsertionPointAfter(f);
  mlir::Location loc = f.getLoc();
  auto logitsType = mlir::cast<mlir::RankedTensorType>(f.getResultTypes()[0]);
  auto labelsType =
      mlir::RankedTensorType::get({logitsType.getDimSize(0)}, b.getI64Type());
  llvm::SmallVector<mlir::Type> inputs(f.getArgumentTypes());
  inputs.push_back(labelsType);
  auto scalar = mlir::RankedTensorType::get({}, b.getF32Type());
  auto acc = mlir::func::FuncOp::create(b, loc, function + ".accuracy",
                                        b.getFunctionType(inputs, {scalar}));
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    acc.setArgAttrs(i, mlir::function_interface_impl::getArgAttrs(f, i));
  mlir::Block *entry = acc.addEntryBlock();
  b.setInsertionPointToStart(entry);
  auto call =
      mlir::func::CallOp::create(b, loc, f, entry->getArguments().drop_back());
  mlir::func::ReturnOp::create(
      b, loc,
      emitAccuracy(b, loc, call.getResult(0), entry->getArguments().back()));
  accuracyOf = function;
  return true;
}

bool Compilation::requestEvaluation(const std::string &loss,
                                    const std::string &logitsOf) {
  const FnDecl *decl = findFn(loss), *logitsDecl = findFn(logitsOf);
  auto f = mlirModule->lookupSymbol<mlir::func::FuncOp>(loss);
  auto logitsFn = mlirModule->lookupSymbol<mlir::func::FuncOp>(logitsOf);
  if (!decl || !f || decl->result.rank() != 0 || !isFloat(decl->result.elem)) {
    reportError("cannot evaluate '" + loss +
                "': it must be a function returning a float scalar");
    return false;
  }
  if (!logitsDecl || !logitsFn || logitsDecl->result.rank() != 2 ||
      !isFloat(logitsDecl->result.elem)) {
    reportError("cannot measure the accuracy of '" + logitsOf +
                "': it must return [N, C] logits");
    return false;
  }
  // `logitsOf`'s arguments, found among the loss's: parameters by name, the
  // others (the inputs) in order; the loss's last input is the labels.
  auto paramOf = [](mlir::func::FuncOp fn, unsigned i) {
    auto name = fn.getArgAttrOfType<mlir::StringAttr>(i, "dl.param");
    return name ? name.getValue() : llvm::StringRef();
  };
  llvm::SmallVector<unsigned> lossInputs;
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    if (paramOf(f, i).empty())
      lossInputs.push_back(i);
  std::string mismatch = "cannot evaluate '" + loss + "': it must take the " +
                         "arguments of '" + logitsOf + "', then the labels";
  llvm::SmallVector<unsigned> forwarded;
  unsigned nextInput = 0;
  for (unsigned i = 0; i < logitsFn.getNumArguments(); ++i) {
    std::optional<unsigned> match;
    if (llvm::StringRef param = paramOf(logitsFn, i); !param.empty()) {
      for (unsigned j = 0; j < f.getNumArguments(); ++j)
        if (paramOf(f, j) == param)
          match = j;
    } else if (nextInput < lossInputs.size()) {
      match = lossInputs[nextInput++];
    }
    if (!match ||
        f.getArgumentTypes()[*match] != logitsFn.getArgumentTypes()[i]) {
      reportError(mismatch);
      return false;
    }
    forwarded.push_back(*match);
  }
  auto logitsType =
      mlir::cast<mlir::RankedTensorType>(logitsFn.getResultTypes()[0]);
  auto labelsType = mlir::RankedTensorType::get(
      {logitsType.getDimSize(0)}, mlir::IntegerType::get(ctx.get(), 64));
  if (nextInput + 1 != lossInputs.size() ||
      f.getArgumentTypes()[lossInputs.back()] != labelsType) {
    reportError(mismatch);
    return false;
  }
  mlir::OpBuilder b(ctx.get());
  b.setInsertionPointAfter(f);
  mlir::Location loc = f.getLoc();
  auto scalar = mlir::RankedTensorType::get({}, b.getF32Type());
  auto eval = mlir::func::FuncOp::create(
      b, loc, loss + ".evaluate",
      b.getFunctionType(f.getArgumentTypes(), {f.getResultTypes()[0], scalar}));
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    eval.setArgAttrs(i, mlir::function_interface_impl::getArgAttrs(f, i));
  mlir::Block *entry = eval.addEntryBlock();
  b.setInsertionPointToStart(entry);
  auto lossCall = mlir::func::CallOp::create(b, loc, f, entry->getArguments());
  llvm::SmallVector<mlir::Value> logitsArgs;
  for (unsigned j : forwarded)
    logitsArgs.push_back(entry->getArgument(j));
  auto logits = mlir::func::CallOp::create(b, loc, logitsFn, logitsArgs);
  mlir::Value accuracy = emitAccuracy(b, loc, logits.getResult(0),
                                      entry->getArgument(lossInputs.back()));
  mlir::func::ReturnOp::create(
      b, loc, mlir::ValueRange{lossCall.getResult(0), accuracy});
  evaluated = loss;
  return true;
}

void Compilation::keepOnlyRequested() { onlyRequested = true; }

bool Compilation::dropUnrequested() {
  if (!onlyRequested)
    return true;
  // After planLinalg every call is inlined (the training step is built
  // from the loss by then), so the file's own functions have no callers.
  for (const auto &fn : ast.fns)
    if (auto f = mlirModule->lookupSymbol<mlir::func::FuncOp>(fn->name))
      f.setPrivate();
  return runPipeline("symbol-dce");
}

bool Compilation::requestProbabilities(const std::string &function) {
  auto f = mlirModule->lookupSymbol<mlir::func::FuncOp>(function);
  const FnDecl *decl = findFn(function);
  if (!decl || !f || decl->result.rank() != 2 || !isFloat(decl->result.elem)) {
    std::string msg = "cannot compute class probabilities of '" + function +
                      "': it must return [N, C] logits";
    reportError(msg);
    return false;
  }
  mlir::OpBuilder b(ctx.get());
  b.setInsertionPointAfter(f);
  mlir::Location loc = f.getLoc();
  auto probs = mlir::func::FuncOp::create(b, loc, function + ".probabilities",
                                          f.getFunctionType());
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    probs.setArgAttrs(i, mlir::function_interface_impl::getArgAttrs(f, i));
  mlir::Block *entry = probs.addEntryBlock();
  b.setInsertionPointToStart(entry);
  auto call = mlir::func::CallOp::create(b, loc, f, entry->getArguments());
  mlir::Value logits = call.getResult(0);
  mlir::Value p = mlir::dl::SoftmaxOp::create(b, loc, logits.getType(), logits,
                                              b.getI64IntegerAttr(1));
  mlir::func::ReturnOp::create(b, loc, p);
  probabilitiesOf = function;
  return true;
}

bool Compilation::requestTraining(const std::string &function,
                                  const dl::OptimizerConfig &config) {
  const FnDecl *decl = findFn(function);
  auto f = mlirModule->lookupSymbol<mlir::func::FuncOp>(function);
  if (!decl || !f || decl->result.rank() != 0 || !isFloat(decl->result.elem)) {
    std::string msg = "cannot train '" + function +
                      "': it must be a function returning a float scalar";
    reportError(msg);
    return false;
  }
  mlir::Builder b(ctx.get());
  std::set<std::string> frozen;
  for (const std::string &pattern : config.frozen) {
    auto glob = llvm::GlobPattern::create(pattern);
    if (!glob) {
      std::string msg = "bad frozen-parameter pattern '" + pattern +
                        "': " + llvm::toString(glob.takeError());
      reportError(msg);
      return false;
    }
    bool matched = false;
    for (const auto &p : ast.params)
      if (glob->match(p->name)) {
        frozen.insert(p->name);
        matched = true;
      }
    if (!matched) {
      std::string msg =
          "frozen-parameter pattern '" + pattern + "' matches no parameter";
      reportError(msg);
      return false;
    }
  }
  trainedParams.clear();
  for (const auto &p : ast.params)
    if (isFloat(p->type.elem) && p->buffer.empty() && !frozen.count(p->name))
      trainedParams.push_back(p->name);
  if (trainedParams.empty()) {
    std::string msg = "cannot train '" + function +
                      "': every float parameter is frozen or a buffer";
    reportError(msg);
    return false;
  }
  llvm::SmallVector<mlir::Attribute> frozenNames;
  for (const std::string &n : frozen)
    frozenNames.push_back(b.getStringAttr(n));
  using K = dl::OptimizerConfig::Kind;
  const char *kind = config.kind == K::SGD    ? "sgd"
                     : config.kind == K::Adam ? "adam"
                                              : "adamw";
  f->setAttr(
      "dl.train",
      b.getDictionaryAttr({
          b.getNamedAttr("optimizer", b.getStringAttr(kind)),
          b.getNamedAttr("momentum", b.getF64FloatAttr(config.momentum)),
          b.getNamedAttr("nesterov", b.getBoolAttr(config.nesterov)),
          b.getNamedAttr("weight_decay", b.getF64FloatAttr(config.weightDecay)),
          b.getNamedAttr("beta1", b.getF64FloatAttr(config.beta1)),
          b.getNamedAttr("beta2", b.getF64FloatAttr(config.beta2)),
          b.getNamedAttr("eps", b.getF64FloatAttr(config.eps)),
          b.getNamedAttr("frozen", b.getArrayAttr(frozenNames)),
      }));
  trained = function;
  bool adam = config.kind != K::SGD;
  trainBuffers = adam ? 2 : (config.momentum != 0 ? 1 : 0);
  trainCoefficients = adam ? 3 : 1;
  return true;
}

bool Compilation::lowerToLinalg(bool gpu, bool fuse) {
  return planLinalg(fuse, gpu) && finishLinalg(gpu);
}

bool Compilation::planLinalg(bool fuse, bool gpu) {
  return runPipeline(dlToPlannedLinalgPipeline(fuse, gpu).c_str());
}

bool Compilation::finishLinalg(bool gpu) {
  return dropUnrequested() && runPipeline(kFusePlannedPipeline) &&
         runPipeline(gpu ? kGPULinalgTailPipeline : kCPULinalgTailPipeline);
}

bool Compilation::lowerToGPU(const GPUTarget &target) {
  // TF32 mma.sync is sm_80's: below it ptxas would reject the kernels with
  // an error about an instruction the user never wrote.
  if (target.matmul != "fp32") {
    llvm::StringRef chip(target.chip);
    unsigned sm = 0;
    if (!chip.consume_front("sm_") || chip.consumeInteger(10, sm) || sm < 80) {
      reportError("--gpu-matmul=" + target.matmul +
                  " needs tensor cores with TF32 (sm_80 or newer); "
                  "--gpu-arch is " +
                  target.chip);
      return false;
    }
  }
  return runPipeline(linalgToGPUPipeline(target).c_str());
}

bool Compilation::lowerToEmulatedGPU(bool reversed, const std::string &matmul) {
  return runPipeline(linalgToEmulatedGPUPipeline(reversed, matmul).c_str());
}

bool Compilation::lowerToLLVM(unsigned threads, bool profile) {
  return runPipeline(linalgToLLVMPipeline(threads, -1, profile).c_str());
}

bool Compilation::runPipeline(const char *pipeline) {
  // Render MLIR diagnostics against the .dl source: locations are
  // file:line:col of the DL text.
  mlir::ScopedDiagnosticHandler handler(ctx.get(), [&](mlir::Diagnostic &d) {
    std::string rendered, message = d.str();
    llvm::raw_string_ostream os(rendered);
    llvm::SMLoc at;
    // After inlining a location is a call-site or fused location: point at
    // the innermost source position it holds.
    if (auto loc = d.getLocation()->findInstanceOf<mlir::FileLineColLoc>())
      at = sourceMgr.FindLocForLineAndColumn(sourceMgr.getMainFileID(),
                                             loc.getLine(), loc.getColumn());
    auto kind = d.getSeverity() == mlir::DiagnosticSeverity::Error
                    ? llvm::SourceMgr::DK_Error
                    : llvm::SourceMgr::DK_Note;
    sourceMgr.PrintMessage(os, at, kind, message, {}, {}, false);
    for (const mlir::Diagnostic &note : d.getNotes())
      os << "note: " << note.str() << "\n";
    addError(rendered, message);
    return mlir::success();
  });
  if (failed(mlir::verify(*mlirModule)))
    return false;
  if (!pipeline)
    return true;
  mlir::PassManager pm(ctx.get(), mlir::ModuleOp::getOperationName());
  std::string error;
  if (failed(addPipeline(pm, pipeline, error))) {
    addError("internal error: bad pipeline: " + error + "\n", error);
    return false;
  }
  return succeeded(pm.run(*mlirModule));
}

std::unique_ptr<llvm::Module>
Compilation::translateToLLVMIR(llvm::LLVMContext &llvmCtx) {
  auto llvmModule = mlir::translateModuleToLLVMIR(*mlirModule, llvmCtx);
  if (!llvmModule)
    reportError("translation to LLVM IR failed");
  else
    internalizePrivateFunctions(*mlirModule, *llvmModule);
  return llvmModule;
}

std::vector<dl::Diagnostic> Compilation::diagnostics() const {
  std::vector<dl::Diagnostic> out;
  for (const Diagnostic &d : diags.diagnostics())
    out.push_back(convert(d));
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::string Compilation::errors() const {
  std::string text;
  for (const dl::Diagnostic &d : diagnostics())
    text += d.rendered;
  return text;
}

dl::DType Compilation::dtypeOf(ElemType elem) { return toDType(elem); }

/// The declared interface of `name` among `infos` (a copy to extend).
static dl::FunctionInfo infoOf(const std::vector<dl::FunctionInfo> &infos,
                               const std::string &name) {
  for (const dl::FunctionInfo &f : infos)
    if (f.name == name)
      return f;
  return dl::FunctionInfo();
}

std::vector<dl::FunctionInfo> Compilation::functionInfos() const {
  std::vector<dl::FunctionInfo> infos;
  for (const auto &fn : ast.fns) {
    dl::FunctionInfo info;
    info.name = fn->name;
    for (const ArgDecl &a : fn->args)
      info.arguments.push_back(argumentInfo(a.name, a.type));
    info.result = argumentInfo("result", fn->result);
    info.results = {info.result};
    infos.push_back(std::move(info));
  }
  if (!accuracyOf.empty()) {
    dl::FunctionInfo acc = infoOf(infos, accuracyOf);
    acc.name = accuracyOf + ".accuracy";
    const FnDecl *decl = findFn(accuracyOf);
    acc.arguments.push_back(argumentInfo(
        "labels", TensorType{ElemType::I64, {decl->result.dims[0]}}));
    acc.result = argumentInfo("accuracy", TensorType{ElemType::F32, {}});
    acc.results = {acc.result};
    infos.push_back(std::move(acc));
  }
  if (!evaluated.empty()) {
    dl::FunctionInfo eval = infoOf(infos, evaluated);
    eval.name = evaluated + ".evaluate";
    eval.result.name = "loss";
    eval.results = {eval.result,
                    argumentInfo("accuracy", TensorType{ElemType::F32, {}})};
    infos.push_back(std::move(eval));
  }
  if (!probabilitiesOf.empty()) {
    dl::FunctionInfo probs = infoOf(infos, probabilitiesOf);
    probs.name = probabilitiesOf + ".probabilities";
    probs.result.name = "probabilities";
    probs.results = {probs.result};
    infos.push_back(std::move(probs));
  }
  if (!trained.empty()) {
    dl::FunctionInfo step = infoOf(infos, trained);
    step.name = trained + ".step";
    std::vector<dl::ArgumentInfo> floatParams;
    for (const auto &p : ast.params)
      if (llvm::is_contained(trainedParams, p->name))
        floatParams.push_back(argumentInfo(p->name, p->type));
    std::vector<dl::ArgumentInfo> args;
    for (unsigned k = 0; k < trainBuffers; ++k)
      args.insert(args.end(), floatParams.begin(), floatParams.end());
    dl::ArgumentInfo coefficient = argumentInfo(
        "coefficient",
        TensorType{step.result.dtype == dl::DType::F64 ? ElemType::F64
                                                       : ElemType::F32,
                   {}});
    for (unsigned k = 0; k < trainCoefficients; ++k)
      args.push_back(coefficient);
    args.insert(args.end(), step.arguments.begin(), step.arguments.end());
    // dl-training-mode's random key (dropout masks).
    args.push_back(argumentInfo("rng", TensorType{ElemType::I64, {}}));
    step.arguments = args;
    // Parameters and state are updated in place (dl-update-in-place).
    step.results = {step.result};
    infos.push_back(std::move(step));
  }
  for (const std::string &name : differentiated) {
    dl::FunctionInfo grad = infoOf(infos, name);
    grad.name = name + ".grad";
    for (const auto &p : ast.params)
      if (isFloat(p->type.elem))
        grad.results.push_back(argumentInfo(p->name, p->type));
    infos.push_back(std::move(grad));
  }
  if (onlyRequested) // the file's own functions were inlined and dropped
    infos.erase(infos.begin(), infos.begin() + ast.fns.size());
  return infos;
}
