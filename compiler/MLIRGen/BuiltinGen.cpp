//===- BuiltinGen.cpp - dl ops for builtin calls --------------------------===//
//
// One case per builtin. Sema has already normalised the compile-time
// arguments (axes made non-negative and sorted, defaults filled in), so this
// is a direct mapping onto dl ops.
//
//===----------------------------------------------------------------------===//
#include "compiler/MLIRGen/BuiltinGen.h"
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace dlc;
using namespace mlir;

Value dlc::emitBuiltin(OpBuilder &b, Location loc, const CallExpr &call,
                       RankedTensorType resultType,
                       const std::function<Value(const Expr &)> &emit) {
  const std::string &f = call.callee;
  const std::vector<BoundArg> &arg = call.bound;
  auto tensor = [&](size_t i) {
    return arg[i].present ? emit(*arg[i].tensor) : Value();
  };
  auto axes = [&](size_t i) { return b.getDenseI64ArrayAttr(arg[i].ints); };

  if (f == "relu")
    return dl::ReluOp::create(b, loc, tensor(0));
  if (f == "exp")
    return dl::ExpOp::create(b, loc, tensor(0));
  if (f == "log")
    return dl::LogOp::create(b, loc, tensor(0));
  if (f == "sqrt")
    return dl::SqrtOp::create(b, loc, tensor(0));
  if (f == "rsqrt")
    return dl::RsqrtOp::create(b, loc, tensor(0));
  if (f == "abs")
    return dl::AbsOp::create(b, loc, tensor(0));
  if (f == "sigmoid")
    return dl::SigmoidOp::create(b, loc, tensor(0));
  if (f == "tanh")
    return dl::TanhOp::create(b, loc, tensor(0));
  if (f == "gelu")
    return dl::GeluOp::create(b, loc, tensor(0));
  if (f == "pow")
    return dl::PowOp::create(b, loc, tensor(0), tensor(1));
  if (f == "matmul")
    return dl::MatMulOp::create(b, loc, tensor(0), tensor(1));
  if (f == "mse") {
    Value diff = dl::SubOp::create(b, loc, tensor(0), tensor(1));
    Value sq = dl::MulOp::create(b, loc, diff, diff);
    auto rank = cast<RankedTensorType>(sq.getType()).getRank();
    SmallVector<int64_t> all;
    for (int64_t d = 0; d < rank; ++d)
      all.push_back(d);
    return dl::ReduceMeanOp::create(b, loc, sq, b.getDenseI64ArrayAttr(all),
                                    nullptr);
  }
  if (f == "sum" || f == "mean" || f == "max" || f == "min") {
    Value x = tensor(0);
    UnitAttr keep = arg[2].present && arg[2].flag ? b.getUnitAttr() : nullptr;
    if (f == "sum")
      return dl::ReduceSumOp::create(b, loc, x, axes(1), keep);
    if (f == "mean")
      return dl::ReduceMeanOp::create(b, loc, x, axes(1), keep);
    if (f == "max")
      return dl::ReduceMaxOp::create(b, loc, x, axes(1), keep);
    return dl::ReduceMinOp::create(b, loc, x, axes(1), keep);
  }
  if (f == "reshape" || f == "flatten")
    return dl::ReshapeOp::create(b, loc, resultType, tensor(0));
  if (f == "transpose" || f == "permute")
    return dl::TransposeOp::create(b, loc, tensor(0), axes(1));
  if (f == "softmax")
    return dl::SoftmaxOp::create(b, loc, tensor(0),
                                 b.getI64IntegerAttr(arg[1].ints[0]));
  if (f == "log_softmax")
    return dl::LogSoftmaxOp::create(b, loc, tensor(0),
                                    b.getI64IntegerAttr(arg[1].ints[0]));
  if (f == "conv2d")
    return dl::Conv2dOp::create(b, loc, tensor(0), tensor(1), tensor(2),
                                axes(3), axes(4), axes(5),
                                b.getI64IntegerAttr(arg[6].ints[0]));
  if (f == "max_pool2d")
    return dl::MaxPool2dOp::create(b, loc, tensor(0), axes(1), axes(2), axes(3));
  if (f == "avg_pool2d")
    return dl::AvgPool2dOp::create(b, loc, tensor(0), axes(1), axes(2), axes(3));
  if (f == "one_hot")
    return dl::OneHotOp::create(b, loc, resultType, tensor(0));
  if (f == "cross_entropy")
    return dl::CrossEntropyOp::create(b, loc, tensor(0), tensor(1));
  if (f == "slice")
    return dl::SliceOp::create(b, loc, tensor(0), b.getI64IntegerAttr(arg[1].ints[0]),
                               b.getI64IntegerAttr(arg[2].ints[0]),
                               b.getI64IntegerAttr(arg[3].ints[0]));
  if (f == "concat") {
    SmallVector<Value> xs;
    for (const Expr *e : arg[0].tensors)
      xs.push_back(emit(*e));
    return dl::ConcatOp::create(b, loc, xs, b.getI64IntegerAttr(arg[1].ints[0]));
  }
  if (f == "where")
    return dl::SelectOp::create(b, loc, tensor(0), tensor(1), tensor(2));
  if (f == "argmax")
    return dl::ArgMaxOp::create(b, loc, tensor(0),
                                b.getI64IntegerAttr(arg[1].ints[0]));
  if (f == "accuracy") {
    // mean(argmax(logits, 1) == labels), the fraction of correct rows.
    Value predicted = dl::ArgMaxOp::create(b, loc, tensor(0), b.getI64IntegerAttr(1));
    Value labels = tensor(1);
    auto labelType = cast<RankedTensorType>(labels.getType());
    if (!labelType.getElementType().isInteger(64))
      labels = dl::ConvertOp::create(
          b, loc, RankedTensorType::get(labelType.getShape(), b.getI64Type()),
          labels);
    Value hits = dl::CompareOp::create(b, loc, "eq", predicted, labels);
    auto hitType = cast<RankedTensorType>(hits.getType());
    Value asFloat = dl::ConvertOp::create(
        b, loc, RankedTensorType::get(hitType.getShape(), b.getF32Type()), hits);
    return dl::ReduceMeanOp::create(b, loc, asFloat, b.getDenseI64ArrayAttr({0}),
                                    nullptr);
  }
  if (f == "f32" || f == "f64" || f == "i32" || f == "i64" || f == "bool")
    return dl::ConvertOp::create(b, loc, resultType, tensor(0));
  return Value();
}
