//===- DLNNOps.cpp - reductions, shape and neural-network ops -------------===//
//
// Shape rules for the ops of DLReductionOps.td, DLShapeOps.td and
// DLNNOps.td. Each inferReturnTypes validates its attributes (reporting
// through the location when one is given), so the same rule serves the
// parser, builders and the verifier.
//
//===----------------------------------------------------------------------===//
#include "dialects/DL/IR/DLOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::dl;

namespace {

/// Emits at `loc` if present; always returns failure.
LogicalResult fail(std::optional<Location> loc, const Twine &message) {
  return emitOptionalError(loc, message);
}

std::string str(ArrayRef<int64_t> values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i)
      s += ", ";
    s += ShapedType::isDynamic(values[i]) ? "?" : std::to_string(values[i]);
  }
  return s + "]";
}

LogicalResult inferReduce(std::optional<Location> loc, Value input,
                          ArrayRef<int64_t> axes, bool keepdims,
                          SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type)
    return failure();
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= type.getRank())
      return fail(loc, "reduction axis " + Twine(axes[i]) +
                           " is out of range for rank " +
                           Twine(type.getRank()));
    if (i && axes[i] <= axes[i - 1])
      return fail(loc, "reduction axes " + str(axes) +
                           " must be sorted and distinct");
  }
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool reduced = llvm::is_contained(axes, d);
    if (!reduced)
      shape.push_back(type.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult checkPairs(std::optional<Location> loc, StringRef name,
                         ArrayRef<int64_t> values, int64_t min) {
  if (values.size() != 2)
    return fail(loc, name + " must have 2 values, got " + str(values));
  for (int64_t v : values)
    if (v < min)
      return fail(loc, name + " " + str(values) + " must be >= " + Twine(min));
  return success();
}

/// Output size of one spatial axis, or failure if the window does not fit.
FailureOr<int64_t> windowOutput(std::optional<Location> loc, int64_t size,
                                int64_t kernel, int64_t stride, int64_t pad,
                                int64_t dilation) {
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t padded = size + 2 * pad;
  if (padded < span) {
    (void)fail(loc, "window of " + Twine(span) + " does not fit in " +
                        Twine(size) + " (padded to " + Twine(padded) + ")");
    return failure();
  }
  return (padded - span) / stride + 1;
}

} // namespace

#define DL_REDUCE_IMPL(OpT)                                                    \
  LogicalResult OpT::inferReturnTypes(                                         \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &inferred) {                                       \
    if (!adaptor.getAxesAttr())                                                \
      return fail(loc, "reduction needs axes");                                \
    return inferReduce(loc, adaptor.getInput(), adaptor.getAxes(),             \
                       adaptor.getKeepdims(), inferred);                       \
  }                                                                            \
  LogicalResult OpT::verify() {                                                \
    SmallVector<Type> inferred;                                                \
    return inferReduce(getLoc(), getInput(), getAxes(), getKeepdims(),         \
                       inferred);                                              \
  }

DL_REDUCE_IMPL(ReduceSumOp)
DL_REDUCE_IMPL(ReduceMeanOp)
DL_REDUCE_IMPL(ReduceMaxOp)
DL_REDUCE_IMPL(ReduceMinOp)
#undef DL_REDUCE_IMPL

//===----------------------------------------------------------------------===//
// ReshapeOp, TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  int64_t dynamic = 0, outCount = 1, inCount = 1;
  for (int64_t d : out.getShape()) {
    if (ShapedType::isDynamic(d))
      ++dynamic;
    else if (d == 0)
      return emitOpError("result sizes must be positive, got ")
             << str(out.getShape());
    else
      outCount *= d;
  }
  if (dynamic > 1)
    return emitOpError("at most one result dimension can be dynamic, got ")
           << str(out.getShape());
  if (in.hasStaticShape() && out.hasStaticShape()) {
    inCount = in.getNumElements();
    if (inCount != outCount)
      return emitOpError("cannot reshape ")
             << str(in.getShape()) << " (" << inCount << " elements) into "
             << str(out.getShape()) << " (" << outCount << " elements)";
  }
  if (in.hasStaticShape() && dynamic == 1 && in.getNumElements() % outCount)
    return emitOpError("cannot reshape ")
           << str(in.getShape()) << " into " << str(out.getShape())
           << ": the element count is not a multiple of " << outCount;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) == reshape(x): reshapes keep row-major order.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

static LogicalResult inferTranspose(std::optional<Location> loc, Value input,
                                    ArrayRef<int64_t> perm,
                                    SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type)
    return failure();
  if (static_cast<int64_t>(perm.size()) != type.getRank())
    return fail(loc, "permutation " + str(perm) + " does not have rank " +
                         Twine(type.getRank()));
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= type.getRank() || seen[p])
      return fail(loc, "invalid permutation " + str(perm));
    seen[p] = true;
    shape.push_back(type.getDimSize(p));
  }
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  if (!adaptor.getPermutationAttr())
    return fail(loc, "transpose needs a permutation");
  return inferTranspose(loc, adaptor.getInput(), adaptor.getPermutation(),
                        inferred);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i] != static_cast<int64_t>(i))
        return false;
    return true;
  };
  if (isIdentity(perm))
    return getInput();
  // transpose(transpose(x, p), q) == transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> p = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t q : perm)
      composed.push_back(p[q]);
    if (isIdentity(composed))
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

namespace {
/// A 2-D transpose of a 2-D matrix product whose operands include a 2-D
/// transpose: (a @ b)^T = b^T @ a^T, where one of the new transposes folds
/// away. The weight gradient of `x @ W^T` is emitted as (x^T @ g)^T: this
/// makes it g^T @ x, transposing the small [out, batch] matrix instead of
/// the input and the [in, out] result.
struct TransposeOfMatMul : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  static bool isSwap2D(TransposeOp t) {
    ArrayRef<int64_t> p = t.getPermutation();
    return p.size() == 2 && p[0] == 1 && p[1] == 0;
  }
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto mm = op.getInput().getDefiningOp<MatMulOp>();
    if (!isSwap2D(op) || !mm || !mm->hasOneUse())
      return failure();
    Value a = mm.getLhs(), b = mm.getRhs();
    auto rank = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getRank();
    };
    auto transposed = [&](Value v) {
      auto t = v.getDefiningOp<TransposeOp>();
      return t && isSwap2D(t);
    };
    if (rank(a) != 2 || rank(b) != 2 || !(transposed(a) || transposed(b)))
      return failure();
    auto swap = rewriter.getDenseI64ArrayAttr({1, 0});
    Location loc = op.getLoc();
    Value bt = TransposeOp::create(rewriter, loc, b, swap);
    Value at = TransposeOp::create(rewriter, loc, a, swap);
    rewriter.replaceOpWithNewOp<MatMulOp>(op, bt, at);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<TransposeOfMatMul>(context);
}

LogicalResult TransposeOp::verify() {
  SmallVector<Type> inferred;
  return inferTranspose(getLoc(), getInput(), getPermutation(), inferred);
}

static LogicalResult inferSlice(std::optional<Location> loc, Value input,
                                int64_t axis, int64_t start, int64_t end,
                                SmallVectorImpl<Type> &inferred) {
  auto t = dyn_cast<RankedTensorType>(input.getType());
  if (!t)
    return failure();
  if (axis < 0 || axis >= t.getRank())
    return fail(loc, "slice axis " + Twine(axis) +
                         " is out of range for rank " + Twine(t.getRank()));
  if (t.isDynamicDim(axis))
    return fail(loc, "slice needs a static size along axis " + Twine(axis));
  if (start < 0 || end <= start || end > t.getDimSize(axis))
    return fail(loc, "slice [" + Twine(start) + ", " + Twine(end) +
                         ") is empty or outside [0, " +
                         Twine(t.getDimSize(axis)) + ")");
  SmallVector<int64_t> shape(t.getShape());
  shape[axis] = end - start;
  inferred.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  if (!adaptor.getAxisAttr() || !adaptor.getStartAttr() ||
      !adaptor.getEndAttr())
    return fail(loc, "slice needs axis, start and end");
  return inferSlice(loc, adaptor.getInput(),
                    static_cast<int64_t>(adaptor.getAxis()),
                    static_cast<int64_t>(adaptor.getStart()),
                    static_cast<int64_t>(adaptor.getEnd()), inferred);
}

LogicalResult SliceOp::verify() {
  SmallVector<Type> inferred;
  return inferSlice(getLoc(), getInput(), static_cast<int64_t>(getAxis()),
                    static_cast<int64_t>(getStart()),
                    static_cast<int64_t>(getEnd()), inferred);
}

static LogicalResult inferConcat(std::optional<Location> loc, ValueRange inputs,
                                 int64_t axis,
                                 SmallVectorImpl<Type> &inferred) {
  if (inputs.empty())
    return fail(loc, "concat needs at least one input");
  auto first = dyn_cast<RankedTensorType>(inputs[0].getType());
  if (!first)
    return failure();
  if (axis < 0 || axis >= first.getRank())
    return fail(loc, "concat axis " + Twine(axis) +
                         " is out of range for rank " + Twine(first.getRank()));
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : inputs) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return fail(loc, "concat inputs must share element type and rank");
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == axis)
        continue;
      if (!ShapedType::isDynamic(t.getDimSize(d)) &&
          !ShapedType::isDynamic(shape[d]) && t.getDimSize(d) != shape[d])
        return fail(loc, "concat inputs differ in dimension " + Twine(d) +
                             ": " + str(first.getShape()) + " vs " +
                             str(t.getShape()));
    }
    if (t.isDynamicDim(axis))
      return fail(loc, "concat needs static sizes along axis " + Twine(axis));
    shape[axis] += t.getDimSize(axis);
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (!adaptor.getAxisAttr())
    return fail(loc, "concat needs an axis");
  return inferConcat(loc, adaptor.getInputs(),
                     static_cast<int64_t>(adaptor.getAxis()), inferred);
}

LogicalResult ConcatOp::verify() {
  SmallVector<Type> inferred;
  return inferConcat(getLoc(), getInputs(), static_cast<int64_t>(getAxis()),
                     inferred);
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr,
                                            OpaqueProperties, RegionRange,
                                            SmallVectorImpl<Type> &inferred) {
  auto table = dyn_cast<RankedTensorType>(operands[0].getType());
  auto ids = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!table || !ids)
    return failure();
  if (table.getRank() != 2)
    return fail(loc,
                "embedding table must be [V, D], got " + str(table.getShape()));
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto in = getInput().getType(), like = getLike().getType(), out = getType();
  if (out.getShape() != like.getShape() ||
      out.getElementType() != in.getElementType())
    return emitOpError("result must have the shape of `like` and the element "
                       "type of the input");
  ArrayRef<int64_t> axes = getAxes();
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || axes[i] >= like.getRank() ||
        (i && axes[i] <= axes[i - 1]))
      return emitOpError("axes must be sorted, distinct and within rank ")
             << like.getRank();
  bool keep = in.getRank() == like.getRank();
  if (!keep &&
      in.getRank() + static_cast<int64_t>(axes.size()) != like.getRank())
    return emitOpError("input rank must be the result's minus the axes, or "
                       "equal with size-1 axes");
  return success();
}

//===----------------------------------------------------------------------===//
// Conv2dOp
//===----------------------------------------------------------------------===//

static LogicalResult inferConv(std::optional<Location> loc, Value input,
                               Value filter, Value bias,
                               ArrayRef<int64_t> stride,
                               ArrayRef<int64_t> padding,
                               ArrayRef<int64_t> dilation, int64_t groups,
                               SmallVectorImpl<Type> &inferred) {
  auto x = dyn_cast<RankedTensorType>(input.getType());
  auto w = dyn_cast<RankedTensorType>(filter.getType());
  if (!x || !w)
    return failure();
  if (x.getRank() != 4 || w.getRank() != 4)
    return fail(loc, "conv2d expects a rank-4 input [N, C, H, W] and filter "
                     "[F, C/groups, KH, KW], got " +
                         str(x.getShape()) + " and " + str(w.getShape()));
  if (x.getElementType() != w.getElementType())
    return fail(loc, "conv2d input and filter element types differ");
  if (failed(checkPairs(loc, "stride", stride, 1)) ||
      failed(checkPairs(loc, "padding", padding, 0)) ||
      failed(checkPairs(loc, "dilation", dilation, 1)))
    return failure();
  if (groups < 1)
    return fail(loc, "groups must be >= 1");
  if (!w.hasStaticShape() || x.isDynamicDim(2) || x.isDynamicDim(3) ||
      x.isDynamicDim(1))
    return fail(loc, "conv2d needs static channel, spatial and filter sizes, "
                     "got " +
                         str(x.getShape()) + " and " + str(w.getShape()));
  int64_t c = x.getDimSize(1), f = w.getDimSize(0), cg = w.getDimSize(1);
  if (c != cg * groups)
    return fail(loc, "conv2d input has " + Twine(c) +
                         " channels but the filter expects " + Twine(cg) +
                         " x " + Twine(groups) + " groups");
  if (f % groups)
    return fail(loc, "conv2d output channels " + Twine(f) +
                         " are not divisible by groups " + Twine(groups));
  if (bias) {
    auto b = dyn_cast<RankedTensorType>(bias.getType());
    if (!b || b.getRank() != 1 || b.getDimSize(0) != f ||
        b.getElementType() != x.getElementType())
      return fail(loc, "conv2d bias must be [" + Twine(f) + "]");
  }
  SmallVector<int64_t> shape = {x.getDimSize(0), f};
  for (int i = 0; i < 2; ++i) {
    auto out = windowOutput(loc, x.getDimSize(2 + i), w.getDimSize(2 + i),
                            stride[i], padding[i], dilation[i]);
    if (failed(out))
      return failure();
    shape.push_back(*out);
  }
  inferred.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (!adaptor.getStrideAttr() || !adaptor.getPaddingAttr() ||
      !adaptor.getDilationAttr() || !adaptor.getGroupsAttr())
    return fail(loc, "conv2d needs stride, padding, dilation and groups");
  return inferConv(loc, adaptor.getInput(), adaptor.getFilter(),
                   adaptor.getBias(), adaptor.getStride(), adaptor.getPadding(),
                   adaptor.getDilation(), adaptor.getGroups(), inferred);
}

LogicalResult Conv2dOp::verify() {
  SmallVector<Type> inferred;
  return inferConv(getLoc(), getInput(), getFilter(), getBias(), getStride(),
                   getPadding(), getDilation(), getGroups(), inferred);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

static LogicalResult inferPool(std::optional<Location> loc, Value input,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> stride,
                               ArrayRef<int64_t> padding,
                               SmallVectorImpl<Type> &inferred) {
  auto x = dyn_cast<RankedTensorType>(input.getType());
  if (!x)
    return failure();
  if (x.getRank() != 4)
    return fail(loc, "pooling expects a rank-4 input [N, C, H, W], got " +
                         str(x.getShape()));
  if (failed(checkPairs(loc, "kernel", kernel, 1)) ||
      failed(checkPairs(loc, "stride", stride, 1)) ||
      failed(checkPairs(loc, "padding", padding, 0)))
    return failure();
  for (int i = 0; i < 2; ++i)
    if (2 * padding[i] > kernel[i])
      return fail(loc, "padding " + str(padding) +
                           " must be at most half the kernel " + str(kernel));
  if (x.isDynamicDim(2) || x.isDynamicDim(3))
    return fail(loc,
                "pooling needs static spatial sizes, got " + str(x.getShape()));
  SmallVector<int64_t> shape = {x.getDimSize(0), x.getDimSize(1)};
  for (int i = 0; i < 2; ++i) {
    auto out = windowOutput(loc, x.getDimSize(2 + i), kernel[i], stride[i],
                            padding[i], 1);
    if (failed(out))
      return failure();
    shape.push_back(*out);
  }
  inferred.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

#define DL_POOL_IMPL(OpT)                                                      \
  LogicalResult OpT::inferReturnTypes(                                         \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &inferred) {                                       \
    if (!adaptor.getKernelAttr() || !adaptor.getStrideAttr() ||                \
        !adaptor.getPaddingAttr())                                             \
      return fail(loc, "pooling needs kernel, stride and padding");            \
    return inferPool(loc, adaptor.getInput(), adaptor.getKernel(),             \
                     adaptor.getStride(), adaptor.getPadding(), inferred);     \
  }                                                                            \
  LogicalResult OpT::verify() {                                                \
    SmallVector<Type> inferred;                                                \
    return inferPool(getLoc(), getInput(), getKernel(), getStride(),           \
                     getPadding(), inferred);                                  \
  }

DL_POOL_IMPL(MaxPool2dOp)
DL_POOL_IMPL(AvgPool2dOp)
#undef DL_POOL_IMPL

//===----------------------------------------------------------------------===//
// Softmax-like, one_hot, cross_entropy
//===----------------------------------------------------------------------===//

template <typename OpT> static LogicalResult verifyAxis(OpT op) {
  int64_t rank = op.getType().getRank();
  auto axis = static_cast<int64_t>(op.getAxis());
  if (axis < 0 || axis >= rank)
    return op.emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() { return verifyAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifyAxis(*this); }

LogicalResult OneHotOp::verify() {
  auto labels = getLabels().getType();
  auto out = getType();
  if (out.getRank() != labels.getRank() + 1)
    return emitOpError("result rank must be the labels' rank plus one");
  for (int64_t d = 0; d < labels.getRank(); ++d)
    if (!ShapedType::isDynamic(labels.getDimSize(d)) &&
        !ShapedType::isDynamic(out.getDimSize(d)) &&
        labels.getDimSize(d) != out.getDimSize(d))
      return emitOpError("result shape ")
             << str(out.getShape()) << " does not extend the labels' shape "
             << str(labels.getShape());
  if (out.isDynamicDim(out.getRank() - 1) || out.getShape().back() < 1)
    return emitOpError("the number of classes (last result dimension) must "
                       "be static and positive");
  return success();
}

static LogicalResult inferCrossEntropy(std::optional<Location> loc,
                                       Value logits, Value labels,
                                       SmallVectorImpl<Type> &inferred) {
  auto l = dyn_cast<RankedTensorType>(logits.getType());
  auto y = dyn_cast<RankedTensorType>(labels.getType());
  if (!l || !y)
    return failure();
  if (l.getRank() != 2 || y.getRank() != 1)
    return fail(loc, "cross_entropy expects logits [N, C] and labels [N], "
                     "got " +
                         str(l.getShape()) + " and " + str(y.getShape()));
  int64_t n1 = l.getDimSize(0), n2 = y.getDimSize(0);
  if (!ShapedType::isDynamic(n1) && !ShapedType::isDynamic(n2) && n1 != n2)
    return fail(loc, "cross_entropy: " + Twine(n1) + " rows of logits but " +
                         Twine(n2) + " labels");
  if (l.isDynamicDim(1))
    return fail(loc, "cross_entropy needs a static number of classes");
  inferred.push_back(RankedTensorType::get({}, l.getElementType()));
  return success();
}

LogicalResult
CrossEntropyOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &inferred) {
  return inferCrossEntropy(loc, adaptor.getLogits(), adaptor.getLabels(),
                           inferred);
}

LogicalResult CrossEntropyOp::verify() {
  SmallVector<Type> inferred;
  return inferCrossEntropy(getLoc(), getLogits(), getLabels(), inferred);
}
