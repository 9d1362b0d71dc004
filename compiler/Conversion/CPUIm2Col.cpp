//===- CPUIm2Col.cpp - convolutions as contractions over a window copy ----===//
//
// A convolution reads its input through a window (X[n, c, oh + kh, ow + kw]):
// no dimension of it is a plain matrix row, so neither LLVM nor
// dl-cpu-vectorize can keep a block of the output in registers. Copying the
// windows out first (im2col) turns the convolution, and its filter gradient,
// into a contraction whose operands are all plain projections, at the cost
// of one copy kh * kw times the input's size. Which dimensions of the copy
// come last decides what is contiguous: those of the output's, in the
// output's order, so that the contraction's vector dimension (the output's
// last) is contiguous in the copy too.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_CPUIM2COL
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// Largest window copy made (elements): beyond it the copy costs more
/// memory traffic than the vector code saves.
constexpr int64_t kMaxCopyElements = int64_t(1) << 26;

/// `out += a * b` (either operand order) over the block's arguments.
bool isMulAddBody(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

/// The elementwise consumer of a scatter written through a view (ReLU's
/// gradient after max-pooling's): the consumer moves onto the same view
/// (every operand expanded alike) and the scatter is fused into it, so the
/// scattered gradient is never written out and read back. `viewed` becomes
/// the fused op. The consumer must be the collapsed result's only user and
/// elementwise over operands of its shape (or rank-0 constants).
LogicalResult
fuseIntoElementwiseConsumer(RewriterBase &rewriter, linalg::GenericOp &viewed,
                            Value collapsed,
                            ArrayRef<ReassociationIndices> groups) {
  if (!collapsed.hasOneUse())
    return failure();
  auto consumer = dyn_cast<linalg::GenericOp>(*collapsed.getUsers().begin());
  auto type = cast<RankedTensorType>(collapsed.getType());
  if (!consumer || !consumer.hasPureTensorSemantics() ||
      consumer.getNumParallelLoops() != consumer.getNumLoops() ||
      consumer.getNumLoops() != unsigned(type.getRank()))
    return failure();
  auto viewType = cast<RankedTensorType>(viewed.getResult(0).getType());
  unsigned rank = viewType.getRank();
  MLIRContext *ctx = consumer.getContext();
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs, inits;
  Location loc = consumer.getLoc();
  rewriter.setInsertionPoint(consumer);
  for (OpOperand &operand : consumer->getOpOperands()) {
    AffineMap map = consumer.getMatchingIndexingMap(&operand);
    auto operandType = dyn_cast<RankedTensorType>(operand.get().getType());
    Value value;
    if (map.getNumResults() == 0 && operandType && operandType.getRank() == 0 &&
        consumer.isDpsInput(&operand)) {
      value = operand.get(); // a constant broadcast to every element
      maps.push_back(AffineMap::get(rank, 0, {}, ctx));
    } else if (map.isIdentity() && operandType &&
               operandType.getShape() == type.getShape()) {
      value = operand.get() == collapsed
                  ? viewed.getResult(0)
                  : Value(tensor::ExpandShapeOp::create(
                        rewriter, loc,
                        RankedTensorType::get(viewType.getShape(),
                                              operandType.getElementType()),
                        operand.get(), groups));
      maps.push_back(rewriter.getMultiDimIdentityMap(rank));
    } else {
      return failure();
    }
    (consumer.isDpsInput(&operand) ? inputs : inits).push_back(value);
  }
  SmallVector<Type> resultTypes;
  for (Value init : inits)
    resultTypes.push_back(init.getType());
  auto moved = linalg::GenericOp::create(
      rewriter, loc, resultTypes, inputs, inits, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel));
  moved->setDiscardableAttrs(consumer->getDiscardableAttrDictionary());
  rewriter.inlineRegionBefore(consumer.getRegion(), moved.getRegion(),
                              moved.getRegion().end());
  SmallVector<Value> backs;
  for (auto [result, old] :
       llvm::zip(moved.getResults(), consumer.getResults()))
    backs.push_back(tensor::CollapseShapeOp::create(
        rewriter, loc, old.getType(), result, groups));
  rewriter.replaceOp(consumer, backs);
  rewriter.eraseOp(collapsed.getDefiningOp()); // its one reader was moved

  OpOperand *link = nullptr;
  for (OpOperand *input : moved.getDpsInputOperands())
    if (input->get() == viewed.getResult(0))
      link = input;
  if (!link || !linalg::areElementwiseOpsFusable(link))
    return success(); // moved onto the view, not fused: still correct
  FailureOr<linalg::ElementwiseOpFusionResult> fused =
      linalg::fuseElementwiseOps(rewriter, link);
  if (failed(fused))
    return success();
  // Where the consumer was (its operands and the scatter's are defined
  // before it; the collapses of its results follow it).
  rewriter.moveOpBefore(fused->fusedOp, moved);
  fused->fusedOp->setDiscardableAttrs(moved->getDiscardableAttrDictionary());
  for (auto [original, replacement] : fused->replacements)
    rewriter.replaceAllUsesExcept(original, replacement, fused->fusedOp);
  if (moved->use_empty())
    rewriter.eraseOp(moved);
  if (viewed->use_empty())
    rewriter.eraseOp(viewed);
  viewed = cast<linalg::GenericOp>(fused->fusedOp);
  return success();
}

/// A window position `o * s + k` whose step `s` is the window's extent
/// (loop `k` runs over [0, s)): windows that tile the dimension.
struct DisjointWindow {
  unsigned outer, offset;
  int64_t step;
};

std::optional<DisjointWindow> disjointWindow(AffineExpr e,
                                             ArrayRef<int64_t> ranges) {
  auto add = dyn_cast<AffineBinaryOpExpr>(e);
  if (!add || add.getKind() != AffineExprKind::Add)
    return std::nullopt;
  for (auto [a, b] : {std::pair(add.getLHS(), add.getRHS()),
                      std::pair(add.getRHS(), add.getLHS())}) {
    auto mul = dyn_cast<AffineBinaryOpExpr>(a);
    auto offset = dyn_cast<AffineDimExpr>(b);
    if (!mul || !offset || mul.getKind() != AffineExprKind::Mul)
      continue;
    auto outer = dyn_cast<AffineDimExpr>(mul.getLHS());
    auto step = dyn_cast<AffineConstantExpr>(mul.getRHS());
    if (!outer || !step || outer == offset ||
        ranges[offset.getPosition()] != step.getValue() ||
        ShapedType::isDynamic(ranges[outer.getPosition()]))
      continue;
    return DisjointWindow{outer.getPosition(), offset.getPosition(),
                          step.getValue()};
  }
  return std::nullopt;
}

/// Windows that do not overlap and cover their input (stride = window,
/// H = OH * KH: a 2x2 max-pooling of even images, its gradient's scatter)
/// need no copy: the input, or the scattered-into output, viewed with each
/// windowed dimension split in two (tensor.expand_shape, [N, C, OH, KH, OW,
/// KW]) is read or written through a plain projection. Written through it,
/// every element is written exactly once: the window loops become parallel,
/// and a filled initial value becomes the constant it was filled with.
/// Products are left to the window copy below (their contraction kernels
/// want it).
LogicalResult viewDisjointWindows(RewriterBase &rewriter,
                                  linalg::GenericOp &op) {
  if (!op.hasPureTensorSemantics() || isMulAddBody(op))
    return failure();
  OpOperand *windowed = nullptr;
  for (OpOperand &operand : op->getOpOperands()) {
    if (op.getMatchingIndexingMap(&operand).isProjectedPermutation())
      continue;
    if (windowed)
      return failure();
    windowed = &operand;
  }
  if (!windowed || (op.isDpsInit(windowed) && op.getNumDpsInits() != 1))
    return failure();
  auto type = dyn_cast<RankedTensorType>(windowed->get().getType());
  if (!type)
    return failure();
  MLIRContext *ctx = op.getContext();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap map = op.getMatchingIndexingMap(windowed);
  SmallVector<AffineExpr> results;
  SmallVector<ReassociationIndices> groups;
  SmallVector<int64_t> shape;
  llvm::SmallBitVector seen(op.getNumLoops());
  auto use = [&](unsigned d) {
    if (seen.test(d))
      return false;
    seen.set(d);
    return true;
  };
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    ReassociationIndices group;
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      if (!use(dim.getPosition()))
        return failure();
      group.push_back(results.size());
      results.push_back(e);
      shape.push_back(type.getDimSize(i));
    } else {
      std::optional<DisjointWindow> w = disjointWindow(e, ranges);
      if (!w || !use(w->outer) || !use(w->offset) ||
          type.getDimSize(i) != ranges[w->outer] * w->step)
        return failure();
      group = {int64_t(results.size()), int64_t(results.size() + 1)};
      results.push_back(getAffineDimExpr(w->outer, ctx));
      results.push_back(getAffineDimExpr(w->offset, ctx));
      shape.push_back(ranges[w->outer]);
      shape.push_back(w->step);
    }
    groups.push_back(group);
  }

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto viewType = RankedTensorType::get(shape, type.getElementType());
  auto viewOf = [&](Value tensor) -> Value {
    return tensor::ExpandShapeOp::create(rewriter, loc, viewType, tensor,
                                         groups);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[windowed->getOperandNumber()] =
      AffineMap::get(op.getNumLoops(), 0, results, ctx);
  if (op.isDpsInput(windowed)) {
    Value view = viewOf(windowed->get());
    rewriter.modifyOpInPlace(op, [&] {
      windowed->set(view);
      op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    });
    return success();
  }

  // The output: a new op of the view's type, its result collapsed back.
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (seen.test(d))
      iterators[d] = utils::IteratorType::parallel;
  Value init, filledWith;
  if (auto fill = windowed->get().getDefiningOp<linalg::FillOp>();
      fill && seen.all()) {
    filledWith = fill.getInputs()[0];
    init = viewOf(fill.getOutputs()[0]);
  } else {
    init = viewOf(windowed->get());
  }
  auto viewed = linalg::GenericOp::create(rewriter, loc, TypeRange{viewType},
                                          op.getDpsInputs(), ValueRange{init},
                                          maps, iterators);
  viewed->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.inlineRegionBefore(op.getRegion(), viewed.getRegion(),
                              viewed.getRegion().end());
  if (filledWith) {
    Block &body = viewed.getRegion().front();
    rewriter.replaceAllUsesWith(body.getArgument(body.getNumArguments() - 1),
                                filledWith);
  }
  Value back = tensor::CollapseShapeOp::create(rewriter, loc, type,
                                               viewed.getResult(0), groups);
  rewriter.replaceOp(op, back);
  op = viewed;
  (void)fuseIntoElementwiseConsumer(rewriter, op, back, groups);
  return success();
}

LogicalResult materializeWindow(RewriterBase &rewriter, linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() == 0)
    return failure();
  bool contraction =
      op.getNumDpsInputs() == 2 && op.getNumDpsInits() == 1 && isMulAddBody(op);
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.getMatchingIndexingMap(&init) != out)
      return failure();
  if (!out.isProjectedPermutation())
    return failure();
  OpOperand *window = nullptr;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (op.getMatchingIndexingMap(input).isProjectedPermutation())
      continue;
    if (window)
      return failure(); // both inputs windowed: not a convolution
    window = input;
  }
  if (!window || !isa<RankedTensorType>(window->get().getType()))
    return failure();
  AffineMap map = op.getMatchingIndexingMap(window);
  MLIRContext *ctx = op.getContext();

  // The copy's dimensions. A product: the loops the window reads but the
  // output does not (input channels, kernel offsets), then the output's in
  // its order, so that both the output's trailing dimensions and the
  // reduction (c, kh, kw) are contiguous runs. Anything else (pooling): the
  // output's dimensions that the window reads as such (batch, channel)
  // first, so that the copy walks the input image by image rather than
  // sweeping all of it once per kernel offset.
  SmallVector<unsigned> dims;
  auto addOutputDims = [&](bool onlyPlain) {
    for (AffineExpr e : out.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      bool plain = llvm::is_contained(map.getResults(), e);
      if (map.isFunctionOfDim(d) && (plain || !onlyPlain) &&
          !llvm::is_contained(dims, d))
        dims.push_back(d);
    }
  };
  if (!contraction)
    addOutputDims(/*onlyPlain=*/true);
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (map.isFunctionOfDim(d) && !out.isFunctionOfDim(d))
      dims.push_back(d);
  addOutputDims(/*onlyPlain=*/false);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t elements = 1;
  for (unsigned d : dims)
    elements *= ShapedType::isDynamic(ranges[d]) ? 64 : ranges[d];
  if (elements > kMaxCopyElements)
    return failure();
  // Anything but a product (pooling) gains only if the copy is no larger
  // than the input: windows that do not overlap (stride = window).
  if (!contraction) {
    auto type = cast<RankedTensorType>(window->get().getType());
    int64_t inputElements = 1;
    for (int64_t size : type.getShape())
      inputElements *= ShapedType::isDynamic(size) ? 64 : size;
    if (elements > inputElements)
      return failure();
  }

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Range, 4> loops =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  SmallVector<OpFoldResult> sizes;
  for (unsigned d : dims)
    sizes.push_back(loops[d].size);
  Type element = getElementTypeOrSelf(window->get().getType());
  Value empty = tensor::EmptyOp::create(rewriter, loc, sizes, element);

  // copy[i...] = X[map(i...)], over the copy's own dimensions.
  SmallVector<AffineExpr> toCopyDims(op.getNumLoops(),
                                     getAffineConstantExpr(0, ctx));
  for (auto [i, d] : llvm::enumerate(dims))
    toCopyDims[d] = getAffineDimExpr(i, ctx);
  AffineMap readMap = map.replaceDimsAndSymbols(toCopyDims, {}, dims.size(),
                                                map.getNumSymbols());
  SmallVector<utils::IteratorType> parallel(dims.size(),
                                            utils::IteratorType::parallel);
  auto copy = linalg::GenericOp::create(
      rewriter, loc, TypeRange{empty.getType()}, ValueRange{window->get()},
      ValueRange{empty},
      SmallVector<AffineMap>{readMap,
                             rewriter.getMultiDimIdentityMap(dims.size())},
      parallel, [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, args[0]);
      });

  // The contraction reads the copy through a projection.
  SmallVector<AffineExpr> projection;
  for (unsigned d : dims)
    projection.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[window->getOperandNumber()] =
      AffineMap::get(op.getNumLoops(), 0, projection, ctx);
  rewriter.modifyOpInPlace(op, [&] {
    window->set(copy.getResult(0));
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  return success();
}

struct CPUIm2ColPass : dl::impl::CPUIm2ColBase<CPUIm2ColPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> convs;
    // Only ops that read or write through a window: the rewrites below
    // may erase a later elementwise op (fused into a scatter).
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() &&
          (isa<linalg::GenericOp, linalg::PoolingNchwMaxOp,
               linalg::PoolingNchwSumOp>(op) ||
           linalg::isaConvolutionOpInterface(op)) &&
          llvm::any_of(op.getIndexingMapsArray(),
                       [](AffineMap m) { return !m.isProjectedPermutation(); }))
        convs.push_back(op);
    });
    for (linalg::LinalgOp op : convs) {
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::GenericOp> g =
            dlc::fusion::generalizeKeepingPlan(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      }
      if (failed(viewDisjointWindows(rewriter, generic)))
        (void)materializeWindow(rewriter, generic);
    }
  }
};

} // namespace
