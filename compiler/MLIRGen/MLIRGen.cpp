//===- MLIRGen.cpp - DL AST to the dl dialect -----------------------------===//
//
// A straight walk over the typed AST. Where the front end knows more than an
// MLIR type can say (a call that binds `B` to 3), values are reconciled with
// tensor.cast at the call and return boundaries; canonicalisation removes the
// casts once inlining makes the types agree.
//
//===----------------------------------------------------------------------===//
#include "compiler/MLIRGen/MLIRGen.h"
#include "compiler/MLIRGen/BuiltinGen.h"
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/Support/SourceMgr.h"

#include <map>

using namespace dlc;
using namespace mlir;

RankedTensorType dlc::toMLIRType(MLIRContext &ctx, const TensorType &type) {
  SmallVector<int64_t> shape;
  for (const Dim &d : type.dims)
    shape.push_back(d.isSymbolic() ? ShapedType::kDynamic : d.size);
  Type elem;
  switch (type.elem) {
  case ElemType::F32:
    elem = Float32Type::get(&ctx);
    break;
  case ElemType::F64:
    elem = Float64Type::get(&ctx);
    break;
  case ElemType::I32:
    elem = IntegerType::get(&ctx, 32);
    break;
  case ElemType::I64:
    elem = IntegerType::get(&ctx, 64);
    break;
  case ElemType::Bool:
    elem = IntegerType::get(&ctx, 1);
    break;
  }
  return RankedTensorType::get(shape, elem);
}

namespace {

class Generator {
public:
  Generator(MLIRContext &ctx, const Program &program,
            const llvm::SourceMgr &sourceMgr)
      : ctx(ctx), program(program), sourceMgr(sourceMgr), builder(&ctx) {}

  OwningOpRef<ModuleOp> run() {
    OwningOpRef<ModuleOp> module = ModuleOp::create(
        loc(program.fns.empty() ? llvm::SMLoc() : program.fns.front()->loc));
    builder.setInsertionPointToEnd(module->getBody());
    for (const auto &fn : program.fns)
      emitFn(*fn);
    return module;
  }

private:
  Location loc(llvm::SMLoc at) {
    if (!at.isValid())
      return UnknownLoc::get(&ctx);
    unsigned id = sourceMgr.FindBufferContainingLoc(at);
    auto [line, col] = sourceMgr.getLineAndColumn(at, id);
    StringRef file = sourceMgr.getMemoryBuffer(id)->getBufferIdentifier();
    return FileLineColLoc::get(&ctx, file, line, col);
  }

  Value castTo(Value value, Type type, Location at) {
    if (value.getType() == type)
      return value;
    return tensor::CastOp::create(builder, at, type, value);
  }

  void emitFn(const FnDecl &fn) {
    SmallVector<Type> argTypes;
    for (const auto &p : program.params)
      argTypes.push_back(toMLIRType(ctx, p->type));
    for (const ArgDecl &a : fn.args)
      argTypes.push_back(toMLIRType(ctx, a.type));
    auto resultType = toMLIRType(ctx, fn.result);
    auto func =
        func::FuncOp::create(builder, loc(fn.loc), fn.name,
                             builder.getFunctionType(argTypes, {resultType}));
    size_t numParams = program.params.size();
    for (size_t i = 0; i < numParams; ++i) {
      func.setArgAttr(i, "dl.param",
                      builder.getStringAttr(program.params[i]->name));
      if (!program.params[i]->buffer.empty())
        func.setArgAttr(i, "dl.buffer",
                        builder.getStringAttr(program.params[i]->buffer));
    }
    for (size_t i = 0; i < fn.args.size(); ++i)
      func.setArgAttr(numParams + i, "dl.arg",
                      builder.getStringAttr(fn.args[i].name));

    OpBuilder::InsertionGuard guard(builder);
    Block *entry = func.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    params.clear();
    values.clear();
    for (size_t i = 0; i < numParams; ++i)
      params[program.params[i].get()] = entry->getArgument(i);
    for (size_t i = 0; i < fn.args.size(); ++i)
      values[fn.args[i].name] = entry->getArgument(numParams + i);
    for (const Stmt &stmt : fn.body) {
      Value v = emitExpr(*stmt.value);
      if (stmt.kind == Stmt::Kind::Let) {
        values[stmt.name] = v;
        continue;
      }
      Location at = loc(stmt.loc);
      func::ReturnOp::create(builder, at, castTo(v, resultType, at));
      break;
    }
  }

  Value emitExpr(const Expr &e) {
    Location at = loc(e.loc);
    if (auto *n = llvm::dyn_cast<NumberExpr>(&e)) {
      auto type = toMLIRType(ctx, e.type);
      Type elem = type.getElementType();
      Attribute value;
      if (elem.isF64())
        value = DenseElementsAttr::get(type, APFloat(n->value));
      else if (elem.isF32())
        value =
            DenseElementsAttr::get(type, APFloat(static_cast<float>(n->value)));
      else // Sema checked the literal is an integer
        value = DenseElementsAttr::get(
            type, APInt(elem.getIntOrFloatBitWidth(),
                        static_cast<uint64_t>(static_cast<int64_t>(n->value)),
                        /*isSigned=*/true));
      return dl::ConstantOp::create(builder, at, cast<ElementsAttr>(value));
    }
    if (auto *n = llvm::dyn_cast<NameExpr>(&e)) {
      if (n->ref == NameExpr::Ref::Parameter)
        return params.at(n->param);
      if (n->ref == NameExpr::Ref::Unresolved) { // true / false
        auto type = toMLIRType(ctx, e.type);
        return dl::ConstantOp::create(builder, at,
                                      cast<ElementsAttr>(DenseElementsAttr::get(
                                          type, n->name == "true")));
      }
      return values.at(n->name);
    }
    if (auto *n = llvm::dyn_cast<NegExpr>(&e))
      return dl::NegOp::create(builder, at, emitExpr(*n->operand));
    if (auto *b = llvm::dyn_cast<BinaryExpr>(&e)) {
      Value lhs = emitExpr(*b->lhs), rhs = emitExpr(*b->rhs);
      if (isComparison(b->op)) {
        const char *pred = b->op == '<'   ? "lt"
                           : b->op == 'l' ? "le"
                           : b->op == '>' ? "gt"
                           : b->op == 'g' ? "ge"
                           : b->op == 'e' ? "eq"
                                          : "ne";
        return dl::CompareOp::create(builder, at, pred, lhs, rhs);
      }
      switch (b->op) {
      case '+':
        return dl::AddOp::create(builder, at, lhs, rhs);
      case '-':
        return dl::SubOp::create(builder, at, lhs, rhs);
      case '*':
        return dl::MulOp::create(builder, at, lhs, rhs);
      case '/':
        return dl::DivOp::create(builder, at, lhs, rhs);
      default:
        return dl::MatMulOp::create(builder, at, lhs, rhs);
      }
    }
    const auto &call = *llvm::cast<CallExpr>(&e);
    if (!call.fn && call.callee == "grad")
      return emitGrad(call, at);
    if (!call.fn) {
      // Builtin: its result type may carry more static knowledge than the
      // op infers (a symbol bound by the caller); reconcile with a cast.
      auto type = toMLIRType(ctx, e.type);
      Value v = emitBuiltin(builder, at, call, type,
                            [this](const Expr &x) { return emitExpr(x); });
      return castTo(v, type, at);
    }
    SmallVector<Value> args;
    for (const auto &a : call.args)
      args.push_back(emitExpr(*a));
    SmallVector<Value> operands;
    for (const auto &p : program.params)
      operands.push_back(params.at(p.get()));
    for (size_t i = 0; i < args.size(); ++i)
      operands.push_back(
          castTo(args[i], toMLIRType(ctx, call.fn->args[i].type), at));
    auto result = func::CallOp::create(
        builder, at, call.fn->name, TypeRange{toMLIRType(ctx, call.fn->result)},
        operands);
    return castTo(result.getResult(0), toMLIRType(ctx, e.type), at);
  }

  /// grad(f(args), wrt=name) -> dl.grad @f(params..., args...) wrt index.
  Value emitGrad(const CallExpr &call, Location at) {
    const auto &inner = *llvm::cast<CallExpr>(call.bound[0].tensor);
    const auto &wrt = *llvm::cast<NameExpr>(call.bound[1].tensor);
    SmallVector<Value> operands;
    int64_t index = -1;
    for (size_t i = 0; i < program.params.size(); ++i) {
      operands.push_back(params.at(program.params[i].get()));
      if (wrt.ref == NameExpr::Ref::Parameter &&
          wrt.param == program.params[i].get())
        index = static_cast<int64_t>(i);
    }
    for (size_t i = 0; i < inner.args.size(); ++i) {
      const Expr &a = *inner.args[i];
      operands.push_back(
          castTo(emitExpr(a), toMLIRType(ctx, inner.fn->args[i].type), at));
      auto *n = llvm::dyn_cast<NameExpr>(&a);
      if (index < 0 && n && n->name == wrt.name)
        index = static_cast<int64_t>(program.params.size() + i);
    }
    Type type = operands[index].getType();
    Value g = dl::GradOp::create(builder, at, type,
                                 FlatSymbolRefAttr::get(&ctx, inner.fn->name),
                                 operands, builder.getI64IntegerAttr(index));
    return castTo(g, toMLIRType(ctx, call.type), at);
  }

  MLIRContext &ctx;
  const Program &program;
  const llvm::SourceMgr &sourceMgr;
  OpBuilder builder;
  std::map<const ParamDecl *, Value> params;
  std::map<std::string, Value> values;
};

} // namespace

OwningOpRef<ModuleOp> dlc::emitDL(MLIRContext &ctx, const Program &program,
                                  const llvm::SourceMgr &sourceMgr) {
  return Generator(ctx, program, sourceMgr).run();
}
