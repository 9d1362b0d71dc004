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

#include <cmath>

using namespace dlc;
using namespace mlir;

using mlir::dl::scalarTensor;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value swapLastTwo(OpBuilder &b, Location loc, Value x) {
  int64_t r = typeOf(x).getRank();
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < r; ++d)
    perm.push_back(d);
  std::swap(perm[r - 1], perm[r - 2]);
  return dl::TransposeOp::create(b, loc, x, b.getDenseI64ArrayAttr(perm));
}

/// layer_norm over the last axis: (x - mean) * rsqrt(var + eps), biased var.
Value layerNorm(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                double eps) {
  auto last = b.getDenseI64ArrayAttr({typeOf(x).getRank() - 1});
  Type elem = typeOf(x).getElementType();
  Value mean = dl::ReduceMeanOp::create(b, loc, x, last, b.getUnitAttr());
  Value centred = dl::SubOp::create(b, loc, x, mean);
  Value sq = dl::MulOp::create(b, loc, centred, centred);
  Value var = dl::ReduceMeanOp::create(b, loc, sq, last, b.getUnitAttr());
  Value inv = dl::RsqrtOp::create(
      b, loc, dl::AddOp::create(b, loc, var, scalarTensor(b, loc, elem, eps)));
  Value y = dl::MulOp::create(b, loc, centred, inv);
  if (w)
    y = dl::MulOp::create(b, loc, y, w);
  if (bias)
    y = dl::AddOp::create(b, loc, y, bias);
  return y;
}

/// softmax(q k^T / sqrt(E) [masked]) v.
Value attention(OpBuilder &b, Location loc, Value q, Value k, Value v,
                bool causal) {
  auto qt = typeOf(q);
  int64_t r = qt.getRank();
  Type elem = qt.getElementType();
  Value scores = dl::MatMulOp::create(b, loc, q, swapLastTwo(b, loc, k));
  scores = dl::MulOp::create(
      b, loc, scores,
      scalarTensor(b, loc, elem,
                   1.0 / std::sqrt(double(qt.getDimSize(r - 1)))));
  if (causal) {
    int64_t t = qt.getDimSize(r - 2);
    SmallVector<bool> keep;
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < t; ++j)
        keep.push_back(j <= i);
    auto maskType = RankedTensorType::get({t, t}, b.getI1Type());
    Value mask = dl::ConstantOp::create(
        b, loc, cast<ElementsAttr>(DenseElementsAttr::get(maskType, keep)));
    scores = dl::SelectOp::create(b, loc, mask, scores,
                                  scalarTensor(b, loc, elem, -INFINITY));
  }
  Value p = dl::SoftmaxOp::create(b, loc, scores, b.getI64IntegerAttr(r - 1));
  return dl::MatMulOp::create(b, loc, p, v);
}

/// torch.nn.MultiheadAttention (batch_first) as self-attention on x [B, T, D].
Value multiHeadAttention(OpBuilder &b, Location loc, Value x, Value inW,
                         Value inB, Value outW, Value outB, int64_t heads,
                         bool causal) {
  auto xt = typeOf(x);
  int64_t bsz = xt.getDimSize(0), t = xt.getDimSize(1), d = xt.getDimSize(2);
  int64_t hd = d / heads;
  Type elem = xt.getElementType();
  Value qkv = dl::AddOp::create(
      b, loc, dl::MatMulOp::create(b, loc, x, swapLastTwo(b, loc, inW)), inB);
  auto split = [&](int64_t i) {
    Value part = dl::SliceOp::create(b, loc, qkv, b.getI64IntegerAttr(2),
                                     b.getI64IntegerAttr(i * d),
                                     b.getI64IntegerAttr((i + 1) * d));
    Value heads4 = dl::ReshapeOp::create(
        b, loc, RankedTensorType::get({bsz, t, heads, hd}, elem), part);
    return dl::TransposeOp::create(b, loc, heads4,
                                   b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  };
  Value o = attention(b, loc, split(0), split(1), split(2), causal);
  o = dl::TransposeOp::create(b, loc, o, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  o = dl::ReshapeOp::create(b, loc, RankedTensorType::get({bsz, t, d}, elem),
                            o);
  return dl::AddOp::create(
      b, loc, dl::MatMulOp::create(b, loc, o, swapLastTwo(b, loc, outW)), outB);
}

} // namespace

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
    return dl::MaxPool2dOp::create(b, loc, tensor(0), axes(1), axes(2),
                                   axes(3));
  if (f == "avg_pool2d")
    return dl::AvgPool2dOp::create(b, loc, tensor(0), axes(1), axes(2),
                                   axes(3));
  if (f == "one_hot")
    return dl::OneHotOp::create(b, loc, resultType, tensor(0));
  if (f == "cross_entropy")
    return dl::CrossEntropyOp::create(b, loc, tensor(0), tensor(1));
  if (f == "embedding")
    return dl::EmbeddingOp::create(b, loc, tensor(1), tensor(0));
  if (f == "layer_norm")
    return layerNorm(b, loc, tensor(0), tensor(1), tensor(2), arg[3].number);
  if (f == "batch_norm") // evaluation mode; see dl-training-mode
    return dl::BatchNormOp::create(b, loc, tensor(0), tensor(1), tensor(2),
                                   tensor(3), tensor(4),
                                   b.getF64FloatAttr(arg[5].number),
                                   b.getF64FloatAttr(arg[6].number), nullptr)
        .getResult();
  if (f == "dropout") {
    // Distinct streams keep CSE from merging two sites on the same input.
    int64_t stream = 0;
    b.getInsertionBlock()->walk([&](dl::DropoutOp) { ++stream; });
    return dl::DropoutOp::create(b, loc, tensor(0).getType(), tensor(0),
                                 Value(), b.getF64FloatAttr(arg[1].number),
                                 b.getI64IntegerAttr(stream));
  }
  if (f == "scaled_dot_product_attention")
    return attention(b, loc, tensor(0), tensor(1), tensor(2),
                     arg[3].present && arg[3].flag);
  if (f == "multi_head_attention")
    return multiHeadAttention(b, loc, tensor(0), tensor(1), tensor(2),
                              tensor(3), tensor(4), arg[5].ints[0],
                              arg[6].present && arg[6].flag);
  if (f == "slice")
    return dl::SliceOp::create(b, loc, tensor(0),
                               b.getI64IntegerAttr(arg[1].ints[0]),
                               b.getI64IntegerAttr(arg[2].ints[0]),
                               b.getI64IntegerAttr(arg[3].ints[0]));
  if (f == "concat") {
    SmallVector<Value> xs;
    for (const Expr *e : arg[0].tensors)
      xs.push_back(emit(*e));
    return dl::ConcatOp::create(b, loc, xs,
                                b.getI64IntegerAttr(arg[1].ints[0]));
  }
  if (f == "where")
    return dl::SelectOp::create(b, loc, tensor(0), tensor(1), tensor(2));
  if (f == "argmax")
    return dl::ArgMaxOp::create(b, loc, tensor(0),
                                b.getI64IntegerAttr(arg[1].ints[0]));
  if (f == "accuracy") {
    // mean(argmax(logits, 1) == labels), the fraction of correct rows.
    Value predicted =
        dl::ArgMaxOp::create(b, loc, tensor(0), b.getI64IntegerAttr(1));
    Value labels = tensor(1);
    auto labelType = cast<RankedTensorType>(labels.getType());
    if (!labelType.getElementType().isInteger(64))
      labels = dl::ConvertOp::create(
          b, loc, RankedTensorType::get(labelType.getShape(), b.getI64Type()),
          labels);
    Value hits = dl::CompareOp::create(b, loc, "eq", predicted, labels);
    auto hitType = cast<RankedTensorType>(hits.getType());
    Value asFloat = dl::ConvertOp::create(
        b, loc, RankedTensorType::get(hitType.getShape(), b.getF32Type()),
        hits);
    return dl::ReduceMeanOp::create(b, loc, asFloat,
                                    b.getDenseI64ArrayAttr({0}), nullptr);
  }
  if (f == "f32" || f == "f64" || f == "i32" || f == "i64" || f == "bool")
    return dl::ConvertOp::create(b, loc, resultType, tensor(0));
  return Value();
}
