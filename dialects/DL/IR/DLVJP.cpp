//===- DLVJP.cpp - reverse-mode derivative rules of the dl ops ------------===//
//
// One buildVJP per op: given the adjoint `g` of the result, the adjoints of
// the operands, written with dl ops so they fuse and lower like the forward
// pass. Broadcasting is undone by summing the adjoint over the stretched
// axes (unbroadcast). Conventions follow PyTorch: relu'(0) = 0, |x|'(0) = 0,
// ties of max/min share the gradient equally (torch.amax).
//
//===----------------------------------------------------------------------===//
#include "dialects/DL/IR/DLOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::dl;

using mlir::dl::scalarTensor;

namespace {

RankedTensorType ty(Value v) { return cast<RankedTensorType>(v.getType()); }

Value scalarOf(OpBuilder &b, Location loc, Value like, double v) {
  return scalarTensor(b, loc, ty(like).getElementType(), v);
}

/// Sums `adj` (of a broadcast result's shape) down to `target`'s shape.
Value unbroadcast(OpBuilder &b, Location loc, Value adj, Type target) {
  auto t = cast<RankedTensorType>(target);
  if (ty(adj) == t)
    return adj;
  int64_t lead = ty(adj).getRank() - t.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < lead; ++d)
    axes.push_back(d);
  if (!axes.empty())
    adj =
        ReduceSumOp::create(b, loc, adj, b.getDenseI64ArrayAttr(axes), nullptr);
  axes.clear();
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (t.getDimSize(d) == 1 && ty(adj).getDimSize(d) != 1)
      axes.push_back(d);
  if (!axes.empty())
    adj = ReduceSumOp::create(b, loc, adj, b.getDenseI64ArrayAttr(axes),
                              b.getUnitAttr());
  if (ty(adj) != t) // only static/dynamic knowledge differs
    adj = tensor::CastOp::create(b, loc, t, adj);
  return adj;
}

Value swapLastTwo(OpBuilder &b, Location loc, Value x) {
  int64_t r = ty(x).getRank();
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < r; ++d)
    perm.push_back(d);
  std::swap(perm[r - 1], perm[r - 2]);
  return TransposeOp::create(b, loc, x, b.getDenseI64ArrayAttr(perm));
}

Value broadcastLike(OpBuilder &b, Location loc, Value g, Value like,
                    ArrayRef<int64_t> axes) {
  auto type =
      RankedTensorType::get(ty(like).getShape(), ty(g).getElementType());
  return BroadcastToOp::create(b, loc, type, g, like,
                               b.getDenseI64ArrayAttr(axes));
}

Value zeroIfNotPositive(OpBuilder &b, Location loc, Value x, Value g) {
  Value positive = CompareOp::create(b, loc, "gt", x, scalarOf(b, loc, x, 0));
  return SelectOp::create(b, loc, positive, g, scalarOf(b, loc, g, 0));
}

/// The number of elements each result element of a reduction over `axes`
/// summarises, as a rank-0 tensor (dynamic sizes read at run time): not a
/// sum of a tensor of ones, which costs a full-size tensor and a reduction.
Value reductionCount(OpBuilder &b, Location loc, Value x,
                     ArrayRef<int64_t> axes) {
  return NumelOp::create(b, loc, x, b.getDenseI64ArrayAttr(axes));
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  out.push_back(unbroadcast(b, getLoc(), g, getLhs().getType()));
  out.push_back(unbroadcast(b, getLoc(), g, getRhs().getType()));
  return success();
}

LogicalResult SubOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  out.push_back(unbroadcast(b, loc, g, getLhs().getType()));
  out.push_back(
      unbroadcast(b, loc, NegOp::create(b, loc, g), getRhs().getType()));
  return success();
}

LogicalResult MulOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  out.push_back(unbroadcast(b, loc, MulOp::create(b, loc, g, getRhs()),
                            getLhs().getType()));
  out.push_back(unbroadcast(b, loc, MulOp::create(b, loc, g, getLhs()),
                            getRhs().getType()));
  return success();
}

LogicalResult DivOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  // d(x/y)/dx = 1/y; d(x/y)/dy = -(x/y)/y.
  out.push_back(unbroadcast(b, loc, DivOp::create(b, loc, g, getRhs()),
                            getLhs().getType()));
  Value dy = NegOp::create(
      b, loc,
      DivOp::create(b, loc, MulOp::create(b, loc, g, getResult()), getRhs()));
  out.push_back(unbroadcast(b, loc, dy, getRhs().getType()));
  return success();
}

LogicalResult PowOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getLhs(), y = getRhs();
  // d(x^y)/dx = y x^(y-1); d(x^y)/dy = x^y log x.
  Value ym1 = SubOp::create(b, loc, y, scalarOf(b, loc, y, 1));
  Value dx = MulOp::create(
      b, loc, g, MulOp::create(b, loc, y, PowOp::create(b, loc, x, ym1)));
  out.push_back(unbroadcast(b, loc, dx, x.getType()));
  Value dy = MulOp::create(
      b, loc, g, MulOp::create(b, loc, getResult(), LogOp::create(b, loc, x)));
  out.push_back(unbroadcast(b, loc, dy, y.getType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

LogicalResult NegOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  out.push_back(NegOp::create(b, getLoc(), g));
  return success();
}

LogicalResult ReluOp::buildVJP(OpBuilder &b, Value g,
                               SmallVectorImpl<Value> &out) {
  // relu(x) > 0 exactly where x > 0 (NaN and -0 included), so the mask
  // reads the result, as PyTorch's threshold_backward does: the input is then
  // dead after the forward ReLU, which can overwrite it (an epilogue writing
  // into its product's output: one buffer instead of two).
  out.push_back(zeroIfNotPositive(b, getLoc(), getResult(), g));
  return success();
}

LogicalResult ExpOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  out.push_back(MulOp::create(b, getLoc(), g, getResult()));
  return success();
}

LogicalResult LogOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  out.push_back(DivOp::create(b, getLoc(), g, getInput()));
  return success();
}

LogicalResult SqrtOp::buildVJP(OpBuilder &b, Value g,
                               SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value twice = MulOp::create(b, loc, getResult(), scalarOf(b, loc, g, 2));
  out.push_back(DivOp::create(b, loc, g, twice));
  return success();
}

LogicalResult RsqrtOp::buildVJP(OpBuilder &b, Value g,
                                SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  // d(x^-1/2)/dx = -1/2 x^-3/2 = -1/2 r^3.
  Value r = getResult();
  Value r3 = MulOp::create(b, loc, MulOp::create(b, loc, r, r), r);
  out.push_back(MulOp::create(b, loc, MulOp::create(b, loc, g, r3),
                              scalarOf(b, loc, g, -0.5)));
  return success();
}

LogicalResult TanhOp::buildVJP(OpBuilder &b, Value g,
                               SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value r = getResult();
  Value d = SubOp::create(b, loc, scalarOf(b, loc, r, 1),
                          MulOp::create(b, loc, r, r));
  out.push_back(MulOp::create(b, loc, g, d));
  return success();
}

LogicalResult SigmoidOp::buildVJP(OpBuilder &b, Value g,
                                  SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value r = getResult();
  Value d = MulOp::create(b, loc, r,
                          SubOp::create(b, loc, scalarOf(b, loc, r, 1), r));
  out.push_back(MulOp::create(b, loc, g, d));
  return success();
}

LogicalResult AbsOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getInput();
  if (!isa<FloatType>(ty(x).getElementType())) {
    out.push_back(Value());
    return success();
  }
  Value zero = scalarOf(b, loc, x, 0);
  Value neg = SelectOp::create(b, loc, CompareOp::create(b, loc, "lt", x, zero),
                               NegOp::create(b, loc, g), zero);
  out.push_back(SelectOp::create(
      b, loc, CompareOp::create(b, loc, "gt", x, zero), g, neg));
  return success();
}

LogicalResult GeluOp::buildVJP(OpBuilder &b, Value g,
                               SmallVectorImpl<Value> &out) {
  // d/dx [x Phi(x)] = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
  // phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
  Location loc = getLoc();
  Value x = getInput();
  Value erf = ErfOp::create(
      b, loc,
      MulOp::create(b, loc, x, scalarOf(b, loc, x, 0.70710678118654752440)));
  Value cdf =
      MulOp::create(b, loc, AddOp::create(b, loc, erf, scalarOf(b, loc, x, 1)),
                    scalarOf(b, loc, x, 0.5));
  Value sq = MulOp::create(b, loc, x, x);
  Value pdf = MulOp::create(
      b, loc,
      ExpOp::create(b, loc,
                    MulOp::create(b, loc, sq, scalarOf(b, loc, x, -0.5))),
      scalarOf(b, loc, x, 0.39894228040143267794));
  Value d = AddOp::create(b, loc, cdf, MulOp::create(b, loc, x, pdf));
  out.push_back(MulOp::create(b, loc, g, d));
  return success();
}

LogicalResult ErfOp::buildVJP(OpBuilder &b, Value g,
                              SmallVectorImpl<Value> &out) {
  // erf'(x) = 2 / sqrt(pi) exp(-x^2).
  Location loc = getLoc();
  Value x = getInput();
  Value e =
      ExpOp::create(b, loc, NegOp::create(b, loc, MulOp::create(b, loc, x, x)));
  out.push_back(MulOp::create(
      b, loc, g,
      MulOp::create(b, loc, e, scalarOf(b, loc, x, 1.12837916709551257390))));
  return success();
}

//===----------------------------------------------------------------------===//
// Matrix product
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::buildVJP(OpBuilder &b, Value g,
                                 SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getLhs(), y = getRhs();
  int64_t xr = ty(x).getRank(), yr = ty(y).getRank();
  out.push_back(unbroadcast(b, loc,
                            MatMulOp::create(b, loc, g, swapLastTwo(b, loc, y)),
                            x.getType()));
  Value dy = MatMulOp::create(b, loc, swapLastTwo(b, loc, x), g);
  if (yr == 2 && xr > 2) { // one matrix for every batch: sum the batches
    SmallVector<int64_t> batch;
    for (int64_t d = 0; d < xr - 2; ++d)
      batch.push_back(d);
    dy =
        ReduceSumOp::create(b, loc, dy, b.getDenseI64ArrayAttr(batch), nullptr);
  }
  out.push_back(unbroadcast(b, loc, dy, y.getType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildVJP(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &out) {
  out.push_back(broadcastLike(b, getLoc(), g, getInput(), getAxes()));
  return success();
}

LogicalResult ReduceMeanOp::buildVJP(OpBuilder &b, Value g,
                                     SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value count = reductionCount(b, loc, getInput(), getAxes());
  out.push_back(broadcastLike(b, loc, DivOp::create(b, loc, g, count),
                              getInput(), getAxes()));
  return success();
}

/// Max and min: the gradient goes to every position equal to the result,
/// shared equally among ties.
template <typename OpT>
static LogicalResult extremumVJP(OpT op, OpBuilder &b, Value g,
                                 SmallVectorImpl<Value> &out) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  if (!isa<FloatType>(ty(x).getElementType())) {
    out.push_back(Value());
    return success();
  }
  Value hit = CompareOp::create(
      b, loc, "eq", x, broadcastLike(b, loc, op.getResult(), x, op.getAxes()));
  Value mask = ConvertOp::create(b, loc, ty(x), hit);
  Value ties =
      ReduceSumOp::create(b, loc, mask, b.getDenseI64ArrayAttr(op.getAxes()),
                          op.getKeepdims() ? b.getUnitAttr() : nullptr);
  Value share =
      broadcastLike(b, loc, DivOp::create(b, loc, g, ties), x, op.getAxes());
  out.push_back(MulOp::create(b, loc, mask, share));
  return success();
}

LogicalResult ReduceMaxOp::buildVJP(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &out) {
  return extremumVJP(*this, b, g, out);
}

LogicalResult ReduceMinOp::buildVJP(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &out) {
  return extremumVJP(*this, b, g, out);
}

//===----------------------------------------------------------------------===//
// Softmax-like ops and cross-entropy
//
// Rules of their own rather than the derivatives of their expansions: the
// expansion's max-shift has a derivative that is zero in exact arithmetic
// but costs a comparison mask, a tie count and three more reductions, so the
// composite's backward pass took 34 small kernels for [64, 10] logits. The
// softmax these rules rebuild is expanded after dl-autodiff like the
// forward's, and CSE merges the two (same max, shift, exp and sum).
//===----------------------------------------------------------------------===//

/// The sum of `x` along `axis`, the axis kept (size 1) for broadcasting.
static Value sumAlong(OpBuilder &b, Location loc, Value x, uint64_t axis) {
  return ReduceSumOp::create(
      b, loc, x, b.getDenseI64ArrayAttr({static_cast<int64_t>(axis)}),
      b.getUnitAttr());
}

/// dx = y * (g - sum(g * y)) along the axis.
LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, Value g,
                                  SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value y = getResult();
  Value dot = sumAlong(b, loc, MulOp::create(b, loc, g, y), getAxis());
  out.push_back(MulOp::create(b, loc, y, SubOp::create(b, loc, g, dot)));
  return success();
}

/// dx = g - softmax(x) * sum(g) along the axis.
LogicalResult LogSoftmaxOp::buildVJP(OpBuilder &b, Value g,
                                     SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value p = SoftmaxOp::create(b, loc, getInput(), getAxisAttr());
  Value total = sumAlong(b, loc, g, getAxis());
  out.push_back(SubOp::create(b, loc, g, MulOp::create(b, loc, p, total)));
  return success();
}

/// d logits = (softmax(logits) * valid - one_hot(labels)) * g / N, where
/// `valid` is 1 for a row whose label lies in [0, C) and 0 otherwise (such a
/// row's loss term is the constant 0). Every factor is elementwise or a
/// broadcast, so the whole adjoint is one kernel.
LogicalResult CrossEntropyOp::buildVJP(OpBuilder &b, Value g,
                                       SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value logits = getLogits(), labels = getLabels();
  Type labelType = ty(labels).getElementType();
  int64_t classes = ty(logits).getDimSize(1); // static: the verifier's rule
  Value p = SoftmaxOp::create(b, loc, logits, b.getI64IntegerAttr(1));
  Value oneHot = OneHotOp::create(b, loc, ty(logits), labels);
  Value inRange = SelectOp::create(
      b, loc,
      CompareOp::create(b, loc, "ge", labels,
                        scalarTensor(b, loc, labelType, 0)),
      ConvertOp::create(
          b, loc,
          RankedTensorType::get(ty(labels).getShape(),
                                ty(logits).getElementType()),
          CompareOp::create(b, loc, "lt", labels,
                            scalarTensor(b, loc, labelType, classes))),
      scalarOf(b, loc, logits, 0));
  Value valid = broadcastLike(b, loc, inRange, logits, {1});
  Value rows = NumelOp::create(b, loc, logits, b.getDenseI64ArrayAttr({0}));
  Value diff = SubOp::create(b, loc, MulOp::create(b, loc, p, valid), oneHot);
  out.push_back(MulOp::create(b, loc, diff, DivOp::create(b, loc, g, rows)));
  out.push_back(Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes, selection, conversion
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, Value g,
                                  SmallVectorImpl<Value> &out) {
  auto in = ty(getInput());
  int64_t dynamic = 0;
  for (int64_t d : in.getShape())
    dynamic += ShapedType::isDynamic(d);
  if (dynamic > 1)
    return emitOpError("cannot be differentiated: its input ")
           << in << " has more than one dynamic dimension";
  out.push_back(ReshapeOp::create(b, getLoc(), in, g));
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &out) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = i;
  out.push_back(
      TransposeOp::create(b, getLoc(), g, b.getDenseI64ArrayAttr(inverse)));
  return success();
}

LogicalResult ConcatOp::buildVJP(OpBuilder &b, Value g,
                                 SmallVectorImpl<Value> &out) {
  auto axis = static_cast<int64_t>(getAxis());
  int64_t offset = 0;
  for (Value in : getInputs()) {
    int64_t size = ty(in).getDimSize(axis);
    out.push_back(SliceOp::create(b, getLoc(), g, b.getI64IntegerAttr(axis),
                                  b.getI64IntegerAttr(offset),
                                  b.getI64IntegerAttr(offset + size)));
    offset += size;
  }
  return success();
}

LogicalResult SliceOp::buildVJP(OpBuilder &b, Value g,
                                SmallVectorImpl<Value> &out) {
  // Zeros around the adjoint: each zero block has the shape of the matching
  // slice of the input (so dynamic sizes carry over).
  Location loc = getLoc();
  Value x = getInput();
  auto axis = static_cast<int64_t>(getAxis());
  int64_t start = getStart(), end = getEnd(), size = ty(x).getDimSize(axis);
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < ty(x).getRank(); ++d)
    all.push_back(d);
  auto zeros = [&](int64_t from, int64_t to) {
    Value like =
        SliceOp::create(b, loc, x, b.getI64IntegerAttr(axis),
                        b.getI64IntegerAttr(from), b.getI64IntegerAttr(to));
    return broadcastLike(b, loc, scalarOf(b, loc, g, 0), like, all);
  };
  SmallVector<Value> parts;
  if (start > 0)
    parts.push_back(zeros(0, start));
  parts.push_back(g);
  if (end < size)
    parts.push_back(zeros(end, size));
  out.push_back(
      parts.size() == 1
          ? g
          : Value(ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(axis))));
  return success();
}

LogicalResult BroadcastToOp::buildVJP(OpBuilder &b, Value g,
                                      SmallVectorImpl<Value> &out) {
  bool keep = ty(getInput()).getRank() == ty(getLike()).getRank();
  Value sum =
      ReduceSumOp::create(b, getLoc(), g, b.getDenseI64ArrayAttr(getAxes()),
                          keep ? b.getUnitAttr() : nullptr);
  out.push_back(unbroadcast(b, getLoc(), sum, getInput().getType()));
  out.push_back(Value()); // only the shape of `like` is used
  return success();
}

LogicalResult SelectOp::buildVJP(OpBuilder &b, Value g,
                                 SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value zero = scalarOf(b, loc, g, 0);
  out.push_back(Value()); // the condition
  out.push_back(unbroadcast(b, loc,
                            SelectOp::create(b, loc, getCond(), g, zero),
                            getLhs().getType()));
  out.push_back(unbroadcast(b, loc,
                            SelectOp::create(b, loc, getCond(), zero, g),
                            getRhs().getType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

LogicalResult Conv2dOp::buildVJP(OpBuilder &b, Value g,
                                 SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  out.push_back(Conv2dInputGradOp::create(
      b, loc, getInput().getType(), g, getFilter(), getStrideAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr()));
  out.push_back(Conv2dFilterGradOp::create(
      b, loc, getFilter().getType(), getInput(), g, getStrideAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr()));
  if (getBias())
    out.push_back(ReduceSumOp::create(
        b, loc, g, b.getDenseI64ArrayAttr({0, 2, 3}), nullptr));
  return success();
}

LogicalResult EmbeddingOp::buildVJP(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &out) {
  // Scatter-add of the adjoint rows into the table, written as
  // one_hot(ids)^T @ g over the flattened indices: rows of out-of-range ids
  // are all zero and contribute nothing.
  Location loc = getLoc();
  auto ids = ty(getIndices());
  auto table = ty(getTable());
  int64_t count = 1;
  int64_t dynamic = 0;
  for (int64_t d : ids.getShape()) {
    if (ShapedType::isDynamic(d))
      ++dynamic;
    else
      count *= d;
  }
  if (dynamic > 1)
    return emitOpError("cannot be differentiated: its indices ")
           << ids << " have more than one dynamic dimension";
  int64_t n = dynamic ? ShapedType::kDynamic : count;
  Value flatIds = ReshapeOp::create(
      b, loc, RankedTensorType::get({n}, ids.getElementType()), getIndices());
  Value flatG = ReshapeOp::create(
      b, loc,
      RankedTensorType::get({n, table.getDimSize(1)}, table.getElementType()),
      g);
  Value oneHot = OneHotOp::create(
      b, loc,
      RankedTensorType::get({n, table.getDimSize(0)}, table.getElementType()),
      flatIds);
  out.push_back(MatMulOp::create(b, loc, swapLastTwo(b, loc, oneHot), flatG));
  out.push_back(Value()); // integer indices
  return success();
}

LogicalResult MaxPool2dOp::buildVJP(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &out) {
  out.push_back(Pool2dGradOp::create(b, getLoc(), "max", getInput(), g,
                                     getKernel(), getStride(), getPadding()));
  return success();
}

LogicalResult AvgPool2dOp::buildVJP(OpBuilder &b, Value g,
                                    SmallVectorImpl<Value> &out) {
  out.push_back(Pool2dGradOp::create(b, getLoc(), "avg", getInput(), g,
                                     getKernel(), getStride(), getPadding()));
  return success();
}

LogicalResult ConvertOp::buildVJP(OpBuilder &b, Value g,
                                  SmallVectorImpl<Value> &out) {
  auto in = ty(getInput());
  if (!isa<FloatType>(in.getElementType()) ||
      !isa<FloatType>(ty(g).getElementType())) {
    out.push_back(Value());
    return success();
  }
  out.push_back(ConvertOp::create(b, getLoc(), in, g));
  return success();
}

// Random numbers and counts are constants of the shape of their operand:
// no adjoint flows through them (a null adjoint is "zero, not built").
LogicalResult RandomUniformOp::buildVJP(OpBuilder &, Value,
                                        SmallVectorImpl<Value> &out) {
  out.append({Value(), Value()});
  return success();
}

LogicalResult NumelOp::buildVJP(OpBuilder &, Value,
                                SmallVectorImpl<Value> &out) {
  out.push_back(Value());
  return success();
}
