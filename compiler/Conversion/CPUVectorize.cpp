//===- CPUVectorize.cpp - register-tiled matmul kernels -------===//
//
// Scalar loop nests leave a matmul bound by memory: the innermost AXPY loop
// of dl-cpu-loop-order loads and stores a row of C for every multiply-add,
// and nothing is reused from registers. A BLAS-like inner kernel instead
// keeps an mr x nr block of C in vector registers across the whole
// reduction, loading per step one row of B (nr lanes) and mr scalars of A
// (broadcast): mr * nr / lanes FMAs per nr / lanes + mr loads. This pass
// builds that kernel from upstream pieces: TilingInterface tiling (register
// blocks), loop peeling (full tiles static even with a dynamic batch),
// linalg::vectorize (vector.contract per tile), LICM and transfer hoisting
// (accumulators as loop-carried vectors) and the outer-product lowering of
// vector.contract (one FMA per row of the block).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/CPUDot.h"
#include "compiler/Conversion/CPUEpilogue.h"
#include "compiler/Conversion/CPUInterleave.h"
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::dl {
#define GEN_PASS_DEF_CPUVECTORIZE
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kFullTile = "dl.full_tile";
/// On a full tile vectorised by dlc::interleave: its [vector, offset] loops.
constexpr llvm::StringLiteral kInterleaveTile = "dl.interleave";

/// How one contraction is tiled: per loop of the op, the tile size (the
/// vector shape of a full tile) and the order of the tile loops.
struct TilePlan {
  SmallVector<int64_t> sizes;
  SmallVector<int64_t> order;
  bool vectorize = true; // false: cache blocking only (scalar tiles)
  /// Tiles vectorised across an interleaved offset loop (CPUInterleave.h).
  std::optional<std::pair<unsigned, unsigned>> interleave;
};

/// Windows read or written in (ow, kw) blocks: one vector along the
/// vector loop per tile, the offset loop whole (unrolled in the tile),
/// every other loop one step at a time, reductions inside the parallel
/// loops in their order (the argmax's first maximum stays first).
std::optional<TilePlan> planInterleaved(linalg::LinalgOp op, int64_t lanes) {
  std::optional<dlc::interleave::Plan> p = dlc::interleave::plan(op, lanes);
  if (!p)
    return std::nullopt;
  TilePlan plan;
  plan.interleave = {p->vectorLoop, p->offsetLoop};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    plan.sizes.push_back(d == p->vectorLoop   ? p->lanes
                         : d == p->offsetLoop ? p->extent
                                              : 1);
  for (utils::IteratorType type :
       {utils::IteratorType::parallel, utils::IteratorType::reduction}) {
    for (unsigned d = 0; d < op.getNumLoops(); ++d)
      if (iterators[d] == type && d != p->vectorLoop && d != p->offsetLoop)
        plan.order.push_back(d);
    if (type == utils::IteratorType::parallel)
      plan.order.push_back(p->vectorLoop);
  }
  plan.order.push_back(p->offsetLoop);
  return plan;
}

bool unitInnerStride(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

std::optional<TilePlan> planContraction(linalg::LinalgOp op, int64_t lanes) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 2 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (getElementTypeOrSelf(operand.get().getType()) !=
            Float32Type::get(op->getContext()) ||
        !unitInnerStride(operand.get()))
      return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  unsigned rank = out.getNumResults();
  if (rank < 2)
    return std::nullopt; // a matrix-vector product: no block of C
  unsigned n = cast<AffineDimExpr>(out.getResult(rank - 1)).getPosition();
  // B's rows must be contiguous along n (A is read as scalars).
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isFunctionOfDim(n) &&
        map.getResult(map.getNumResults() - 1) != out.getResult(rank - 1))
      return std::nullopt;
  }
  // m: an output dimension that the operand without n (A) indexes and the
  // one with n (B) does not, the innermost such: a convolution's output
  // channel, a matmul's row.
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  std::optional<unsigned> m;
  for (unsigned r = 0; r + 1 < rank; ++r) {
    unsigned d = cast<AffineDimExpr>(out.getResult(r)).getPosition();
    bool inA = false, inB = false;
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      if (map.isFunctionOfDim(n))
        inB |= map.isFunctionOfDim(d);
      else
        inA |= map.isFunctionOfDim(d);
    }
    if (inA && !inB)
      m = d;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto extent = [&](unsigned d) {
    return ShapedType::isDynamic(ranges[d]) ? int64_t(64) : ranges[d];
  };
  // nr: two registers, or the whole row when it fits in two (a 28-pixel
  // image row, a 9-tap filter), or one register when that divides the row.
  int64_t nr = 2 * lanes;
  if (!ShapedType::isDynamic(ranges[n]) && ranges[n] % nr != 0) {
    if (ranges[n] <= 2 * lanes)
      nr = ranges[n];
    else if (ranges[n] % lanes == 0)
      nr = lanes;
  }
  if (nr < 4)
    return std::nullopt; // too narrow for a vector: scalar loops
  int64_t mr = m ? (lanes >= 16 ? 8 : 4) : 1;
  if (m && !ShapedType::isDynamic(ranges[*m]) && ranges[*m] < mr)
    mr = ranges[*m];
  if (!m)
    m = n; // no row blocking: the loop order below just lists n once

  TilePlan plan;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    plan.sizes.push_back(d == n ? nr : d == *m ? mr : 1);
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::parallel && d != *m && d != n)
      plan.order.push_back(d);
  // The larger output dimension outermost: the panel of the operand it
  // indexes is then reused, from cache, by every block of the inner loop.
  if (*m == n)
    plan.order.push_back(n);
  else if (extent(n) >= extent(*m))
    plan.order.append({n, *m});
  else
    plan.order.append({*m, n});
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::reduction)
      plan.order.push_back(d);
  return plan;
}

/// Reductions into an output block (pooling over a window copy, argmax):
/// the output's last dimension in vectors, everything else one step at a
/// time with the reduction innermost, the block carried in registers.
std::optional<TilePlan> planReduction(linalg::LinalgOp op, int64_t lanes) {
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0 ||
      !linalg::allIndexingsAreProjectedPermutation(op))
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() == 0)
    return std::nullopt;
  unsigned n =
      cast<AffineDimExpr>(out.getResult(out.getNumResults() - 1)).getPosition();
  for (OpOperand &operand : op->getOpOperands()) {
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (!isa<MemRefType>(operand.get().getType()) || !element.isIntOrFloat() ||
        element.getIntOrFloatBitWidth() < 8)
      return std::nullopt;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (op.isDpsInit(&operand) && map != out)
      return std::nullopt;
    if (map.isFunctionOfDim(n) && (map.getResult(map.getNumResults() - 1) !=
                                       out.getResult(out.getNumResults() - 1) ||
                                   !unitInnerStride(operand.get())))
      return std::nullopt;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t nr = 2 * lanes;
  if (!ShapedType::isDynamic(ranges[n]) && ranges[n] < nr) {
    if (ranges[n] < lanes / 2)
      return std::nullopt;
    nr = ranges[n];
  }
  TilePlan plan;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    plan.sizes.push_back(d == n ? nr : 1);
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::parallel && d != n)
      plan.order.push_back(d);
  plan.order.push_back(n);
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::reduction)
      plan.order.push_back(d);
  return plan;
}

/// Sums into few outputs (a convolution's bias gradient: 64 sums over batch
/// and pixels): the output's last dimension is not contiguous in the input,
/// but the innermost reduction is. That loop is cut into vectors whose sum
/// is added to the (register-carried) accumulator once per vector, in a
/// tree (reassociated: a fixed order, so still deterministic).
std::optional<TilePlan> planInnerSum(linalg::LinalgOp op, int64_t lanes,
                                     bool checkExtent = true) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !linalg::allIndexingsAreProjectedPermutation(op))
    return std::nullopt;
  unsigned last = op.getNumLoops() - 1;
  if (op.getIteratorTypesArray()[last] != utils::IteratorType::reduction)
    return std::nullopt;
  OpOperand *input = op.getDpsInputOperand(0);
  AffineMap in = op.getMatchingIndexingMap(input);
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.isFunctionOfDim(last) || in.getNumResults() == 0 ||
      in.getResult(in.getNumResults() - 1) !=
          getAffineDimExpr(last, op.getContext()) ||
      !unitInnerStride(input->get()) ||
      getElementTypeOrSelf(input->get().getType()) !=
          Float32Type::get(op.getContext()))
    return std::nullopt;
  // The body must be `out + in` (either order).
  Block *body = cast<linalg::GenericOp>(op.getOperation()).getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (body->getOperations().size() != 2 || !add ||
      !((add.getLhs() == body->getArgument(0) &&
         add.getRhs() == body->getArgument(1)) ||
        (add.getLhs() == body->getArgument(1) &&
         add.getRhs() == body->getArgument(0))))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t width = 2 * lanes;
  if (!ShapedType::isDynamic(ranges[last]) && ranges[last] % width != 0 &&
      ranges[last] % lanes == 0)
    width = lanes;
  if (checkExtent && !ShapedType::isDynamic(ranges[last]) &&
      ranges[last] < width)
    return std::nullopt;
  TilePlan plan;
  for (unsigned d = 0; d <= last; ++d) {
    plan.sizes.push_back(d == last ? width : 1);
    plan.order.push_back(d);
  }
  return plan;
}

/// Elementwise ops (relu, its gradient, bias adds, the optimizer update,
/// fills, copies): LLVM's loop vectorizer, given a 4-deep nest with short
/// static inner loops (28 x 28 images), vectorised across channels with
/// gathers and scatters, slower than scalar code. Here the contiguous dims
/// are collapsed into one loop first and that loop is cut into vectors.
bool vectorizableElementwise(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
      op.getNumDpsInits() == 0 || !linalg::isElementwise(op))
    return false;
  unsigned last = op.getNumLoops() - 1;
  // Every output (an optimizer update also writes its moments) dense.
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isIdentity())
      return false;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType())) {
      if (operand.get().getType().isIntOrIndexOrFloat())
        continue; // a scalar (linalg.fill's value)
      return false;
    }
    Type element = getElementTypeOrSelf(operand.get().getType());
    // i1 buffers hold a byte per element, vector<Nxi1> a bit: leave them.
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() < 8 ||
        element.getIntOrFloatBitWidth() > 64)
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(last))
      continue; // broadcast along the vector: one scalar
    if (map.getResult(map.getNumResults() - 1) !=
            getAffineDimExpr(last, op->getContext()) ||
        !unitInnerStride(operand.get()))
      return false; // strided along the vector (a transpose): leave it
  }
  return true;
}

/// Collapses every run of consecutive loops of one iterator type that all
/// operands hold contiguously (identity layouts) into one loop: the 28 x 28
/// of an image, the (c, kh, kw) of a filter; a fill into one loop.
linalg::LinalgOp collapseContiguousGroups(RewriterBase &rewriter,
                                          linalg::LinalgOp op) {
  // A fill of a dense buffer: one fill of its 1-D view (the pooling's
  // [N, 64, 14, 14] accumulators were written 14 lanes at a time).
  if (auto fill = dyn_cast<linalg::FillOp>(op.getOperation())) {
    Value out = fill.getOutputs()[0];
    auto type = dyn_cast<MemRefType>(out.getType());
    if (!type || type.getRank() < 2 || !type.getLayout().isIdentity())
      return op;
    ReassociationIndices all;
    for (int64_t d = 0; d < type.getRank(); ++d)
      all.push_back(d);
    rewriter.setInsertionPoint(fill);
    Value flat = memref::CollapseShapeOp::create(
        rewriter, fill.getLoc(), out, ArrayRef<ReassociationIndices>{all});
    auto flatFill = linalg::FillOp::create(rewriter, fill.getLoc(),
                                           fill.getInputs()[0], flat);
    dlc::fusion::setPlan(flatFill, dlc::fusion::planOf(fill));
    rewriter.eraseOp(fill);
    return cast<linalg::LinalgOp>(flatFill.getOperation());
  }
  unsigned n = op.getNumLoops();
  for (OpOperand &operand : op->getOpOperands())
    if (auto type = dyn_cast<MemRefType>(operand.get().getType());
        type && !type.getLayout().isIdentity())
      return op;
  if (!isa<linalg::GenericOp, linalg::CopyOp>(op.getOperation()))
    return op;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<ReassociationIndices> groups;
  bool any = false;
  for (unsigned d = 0; d < n;) {
    ReassociationIndices group = {int64_t(d)};
    while (d + group.size() < n &&
           iterators[d + group.size()] == iterators[d]) {
      ReassociationIndices longer = group;
      longer.push_back(d + group.size());
      if (!linalg::areDimSequencesPreserved(maps, {longer}))
        break;
      group = longer;
    }
    any |= group.size() > 1;
    d += group.size();
    groups.push_back(group);
  }
  if (!any)
    return op;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, groups, rewriter);
  if (failed(collapsed))
    return op;
  rewriter.eraseOp(op);
  return collapsed->collapsedOp;
}

/// Tiling puts the reductions innermost anyway; listing the parallel loops
/// first (in their order) makes an image's rows and columns adjacent again
/// (dl-cpu-loop-order moved the column innermost), so that they collapse
/// into one long, vector-friendly loop.
linalg::LinalgOp parallelLoopsFirst(RewriterBase &rewriter,
                                    linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic)
    return op;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (iterators[d] == utils::IteratorType::parallel)
      order.push_back(d);
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (iterators[d] != utils::IteratorType::parallel)
      order.push_back(d);
  if (llvm::is_sorted(order))
    return op;
  FailureOr<linalg::GenericOp> swapped =
      linalg::interchangeGenericOp(rewriter, generic, order);
  return succeeded(swapped) ? cast<linalg::LinalgOp>(swapped->getOperation())
                            : op;
}

/// One vector along the last loop: the whole extent when it fits two
/// registers, else two registers' worth with the rest peeled.
TilePlan planElementwise(linalg::LinalgOp op, int64_t lanes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = op.getNumLoops();
  TilePlan plan;
  for (unsigned d = 0; d + 1 < n; ++d) {
    plan.sizes.push_back(1);
    plan.order.push_back(d);
  }
  int64_t inner = ranges[n - 1];
  plan.sizes.push_back(
      !ShapedType::isDynamic(inner) && inner <= 2 * lanes ? inner : 2 * lanes);
  plan.order.push_back(n - 1);
  return plan;
}

/// A full tile iterates once over most of its loops (the batch, an image
/// row, every reduction but one): those loops are dropped (operands become
/// rank-reduced views) so that the vectorizer sees the 2-D block and the
/// one-step reduction of a matmul, vector<mr x 1> * vector<1 x nr>, which
/// lowers to outer products, instead of a 4-D contraction with unit
/// dimensions that lowers element by element.
/// vector.contract takes its operands in the order of the body's mulf:
/// make that A (block argument 0) times B.
void putAFirstInProduct(RewriterBase &rewriter, Block *body) {
  for (auto mul : body->getOps<arith::MulFOp>())
    if (mul.getLhs() == body->getArgument(1) &&
        mul.getRhs() == body->getArgument(0))
      rewriter.modifyOpInPlace(mul, [&] {
        mul->setOperands({body->getArgument(0), body->getArgument(1)});
      });
}

linalg::LinalgOp dropUnitLoops(RewriterBase &rewriter, linalg::LinalgOp tile) {
  // (Upstream's linalg::dropUnitDims handles tensors only.)
  auto generic = dyn_cast<linalg::GenericOp>(tile.getOperation());
  if (!generic || !linalg::allIndexingsAreProjectedPermutation(tile))
    return tile;
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = tile.getIteratorTypesArray();
  // A contraction keeps its (unit) reduction loop: vector.contract and its
  // outer-product lowering. Anything else loses it too and becomes an
  // elementwise read-modify-write of the block, which the vectorizer takes
  // whatever the combiner (an argmax's compare and selects).
  std::optional<unsigned> keep;
  if (linalg::isaContractionOpInterface(tile))
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (iterators[d] == utils::IteratorType::reduction)
        keep = d;
  llvm::SmallBitVector dropped(ranges.size());
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (ranges[d] == 1 && d != keep)
      dropped.set(d);
  if (dropped.all())
    return tile;
  // The outer-product lowering wants A (the operand without the output's
  // last dimension) first: swap the inputs of `out + b * a` if needed.
  AffineMap outMap = tile.getMatchingIndexingMap(tile.getDpsInitOperand(0));
  bool swap = false;
  if (tile.getNumDpsInputs() == 2 && outMap.getNumResults() > 0) {
    AffineExpr last = outMap.getResult(outMap.getNumResults() - 1);
    auto uses = [&](unsigned i) {
      return tile.getMatchingIndexingMap(tile.getDpsInputOperand(i))
          .isFunctionOfDim(cast<AffineDimExpr>(last).getPosition());
    };
    swap = uses(0) && !uses(1) && linalg::isaContractionOpInterface(tile);
  }
  if (dropped.none() && !swap) {
    putAFirstInProduct(rewriter, generic.getBody());
    return tile;
  }

  Location loc = tile.getLoc();
  MLIRContext *ctx = tile.getContext();
  rewriter.setInsertionPoint(tile);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : tile->getOpOperands()) {
    AffineMap map = tile.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return tile;
    // Operand dimensions indexed by a dropped loop have size 1: a
    // rank-reducing view without them.
    SmallVector<int64_t> keptShape;
    SmallVector<AffineExpr> keptResults;
    for (auto [r, e] : llvm::enumerate(map.getResults())) {
      if (dropped.test(cast<AffineDimExpr>(e).getPosition()))
        continue;
      keptShape.push_back(type.getDimSize(r));
      keptResults.push_back(e);
    }
    Value view = operand.get();
    if (keptShape.size() != size_t(type.getRank())) {
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes,
          strides(type.getRank(), rewriter.getIndexAttr(1));
      for (int64_t size : type.getShape())
        sizes.push_back(rewriter.getIndexAttr(size));
      auto reduced = memref::SubViewOp::inferRankReducedResultType(
          keptShape, type, offsets, sizes, strides);
      view = memref::SubViewOp::create(rewriter, loc, cast<MemRefType>(reduced),
                                       operand.get(), offsets, sizes, strides);
    }
    operands.push_back(view);
    maps.push_back(compressDims(
        AffineMap::get(map.getNumDims(), 0, keptResults, ctx), dropped));
  }
  SmallVector<utils::IteratorType> keptIterators;
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (!dropped.test(d))
      keptIterators.push_back(iterators[d]);
  if (swap) {
    std::swap(operands[0], operands[1]);
    std::swap(maps[0], maps[1]);
  }
  unsigned numInputs = tile.getNumDpsInputs();
  auto result = linalg::GenericOp::create(
      rewriter, loc, TypeRange{},
      ArrayRef<Value>(operands).take_front(numInputs),
      ArrayRef<Value>(operands).drop_front(numInputs), maps, keptIterators);
  rewriter.inlineRegionBefore(generic.getRegion(), result.getRegion(),
                              result.getRegion().begin());
  if (swap) {
    Block *body = result.getBody();
    BlockArgument a = body->getArgument(0), b = body->getArgument(1);
    BlockArgument newA = body->addArgument(b.getType(), b.getLoc());
    BlockArgument newB = body->addArgument(a.getType(), a.getLoc());
    BlockArgument out = body->getArgument(2);
    BlockArgument newOut = body->addArgument(out.getType(), out.getLoc());
    rewriter.replaceAllUsesWith(b, newA);
    rewriter.replaceAllUsesWith(a, newB);
    rewriter.replaceAllUsesWith(out, newOut);
    body->eraseArguments(0, 3);
  }
  putAFirstInProduct(rewriter, result.getBody());
  // linalg.index of a dropped loop is 0; the others are renumbered.
  SmallVector<linalg::IndexOp> indices(
      result.getBody()->getOps<linalg::IndexOp>());
  for (linalg::IndexOp index : indices) {
    uint64_t d = index.getDim();
    rewriter.setInsertionPoint(index);
    if (dropped.test(d)) {
      rewriter.replaceOpWithNewOp<arith::ConstantIndexOp>(index, 0);
      continue;
    }
    uint64_t kept = 0;
    for (uint64_t e = 0; e < d; ++e)
      kept += dropped.test(e) ? 0 : 1;
    rewriter.replaceOpWithNewOp<linalg::IndexOp>(index, kept);
  }
  rewriter.eraseOp(tile);
  return result;
}

/// Transposes (W^T for x @ W^T, 1.6 M elements in the seed CNN): one side
/// of the copy is always strided; LLVM vectorised the row loop with
/// scatters (microcoded: slower than scalar code). 16 x 16 blocks, each read
/// as 16 row vectors, transposed in registers (vector.transpose: shuffles)
/// and written as 16 row vectors; partial blocks stay scalar loops.
std::optional<TilePlan> planTranspose(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 2 ||
      op.getNumReductionLoops() != 0)
    return std::nullopt;
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  unsigned n = op.getNumLoops();
  if (!in.isPermutation() || !out.isIdentity() || in.isIdentity() ||
      in.getResult(n - 1) == getAffineDimExpr(n - 1, op.getContext()))
    return std::nullopt; // not a transpose of the innermost dimension
  unsigned inLast = cast<AffineDimExpr>(in.getResult(n - 1)).getPosition();
  for (OpOperand &operand : op->getOpOperands())
    if (!unitInnerStride(operand.get()) ||
        getElementTypeOrSelf(operand.get().getType()).getIntOrFloatBitWidth() !=
            32)
      return std::nullopt;
  TilePlan plan;
  for (unsigned d = 0; d < n; ++d) {
    plan.sizes.push_back(d == n - 1 || d == inLast ? 16 : 1);
    plan.order.push_back(d);
  }
  return plan;
}

/// Splits off the last, partial tile of `loop` when its step may not divide
/// its extent; the full-tile loop keeps the op.
LogicalResult peelPartialTile(RewriterBase &rewriter, scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (step && *step == 1)
    return success();
  if (lb && ub && step && (*ub - *lb) % *step == 0)
    return success();
  scf::ForOp partial;
  if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial)))
    return success(); // nothing to peel (already divisible)
  // The partial tile's copy of the op has a dynamic shape: it stays a
  // linalg op and becomes scalar loops. Interleaved tiles are vectors of
  // any static length: a static remainder is vectorised too.
  partial.walk([](linalg::LinalgOp op) {
    if (!op->hasAttr(kInterleaveTile))
      op->removeAttr(kFullTile);
  });
  return success();
}

/// Turns the read-modify-write of one loop-invariant vector block in the
/// body of `loop` into a loop-carried value: read once before the loop,
/// written once after it. Upstream's hoistRedundantVectorTransfers does not
/// apply because it must assume that the reads of A and B may alias C; they
/// cannot here (a linalg contraction on buffers whose output aliased an input
/// would have been wrong as loops already, and bufferization gives every
/// accumulator its own allocation).
void hoistAccumulator(RewriterBase &rewriter, scf::ForOp loop) {
  Block *body = loop.getBody();
  SmallVector<vector::TransferWriteOp> writes(
      body->getOps<vector::TransferWriteOp>());
  if (writes.empty())
    return;
  SmallVector<vector::TransferReadOp> reads;
  for (vector::TransferWriteOp write : writes) {
    if (!loop.isDefinedOutsideOfLoop(write.getBase()) ||
        !llvm::all_of(write.getIndices(),
                      [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      return;
    vector::TransferReadOp read;
    for (auto r : body->getOps<vector::TransferReadOp>())
      if (r.getBase() == write.getBase() &&
          r.getIndices() == write.getIndices() &&
          r.getVectorType() == write.getVectorType() &&
          r.getPermutationMap() == write.getPermutationMap())
        read = r;
    if (!read || !read->isBeforeInBlock(write) ||
        !loop.isDefinedOutsideOfLoop(read.getPadding()))
      return;
    for (Operation *user : write.getBase().getUsers())
      if (user != read && user != write && loop->isAncestor(user))
        return; // another access to the block inside the loop
    reads.push_back(read);
  }
  bool otherWrites = false;
  body->walk([&](Operation *op) {
    // A loop's effects are its body's, visited on their own. Not so for ops
    // with effects of their own besides their body's: a linalg op on buffers
    // (the peeled remainder of a sum, which adds into the same output
    // inside this loop) writes its operands.
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
        !isa<MemoryEffectOpInterface>(op))
      return;
    if (!isMemoryEffectFree(op) &&
        !isa<vector::TransferReadOp, vector::TransferWriteOp, memref::LoadOp>(
            op))
      otherWrites = true;
  });
  if (otherWrites || llvm::any_of(body->getOps<vector::TransferWriteOp>(),
                                  [&](vector::TransferWriteOp w) {
                                    return !llvm::is_contained(writes, w);
                                  }))
    return;
  SmallVector<Value> initial;
  for (vector::TransferReadOp read : reads) {
    rewriter.moveOpBefore(read, loop);
    initial.push_back(read.getResult());
  }
  FailureOr<LoopLikeOpInterface> carried =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, initial, /*replaceInitOperandUsesInLoop=*/true,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                SmallVector<Value> yielded;
                for (vector::TransferWriteOp write : writes)
                  yielded.push_back(write.getValueToStore());
                return yielded;
              });
  if (failed(carried))
    return;
  Operation *newLoop = carried->getOperation();
  unsigned first = newLoop->getNumResults() - writes.size();
  Operation *after = newLoop;
  for (unsigned i = 0; i < writes.size(); ++i) {
    vector::TransferWriteOp write = writes[i];
    rewriter.moveOpAfter(write, after);
    after = write;
    Value carriedValue = newLoop->getResult(first + i);
    rewriter.modifyOpInPlace(
        write, [&] { write.getValueToStoreMutable().assign(carriedValue); });
  }
}

struct CPUVectorizePass : dl::impl::CPUVectorizeBase<CPUVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth <= 0)
      return;
    func::FuncOp fn = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    SmallVector<linalg::LinalgOp> ops;
    fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    // Epilogues become part of their contraction's loop nest; the op
    // itself is gone (or replaced) by the time the walk reaches it.
    llvm::SmallPtrSet<Operation *, 8> taken;
    // Prologues come before their contraction: taken (and moved next to
    // it) before the walk reaches them. The dot-product kernels start each
    // row from C as a whole (their prologue stays a pass of its own).
    llvm::DenseMap<Operation *, linalg::LinalgOp> prologues;
    for (linalg::LinalgOp op : ops)
      if (op.hasPureBufferSemantics() &&
          linalg::isaContractionOpInterface(op) && !dlc::dot::match(op))
        if (linalg::LinalgOp prologue =
                dlc::epilogue::takePrologue(rewriter, op)) {
          prologues[op] = prologue;
          taken.insert(prologue);
        }
    bool changed = false;
    // A prologue that cannot go into its contraction's blocks: vectorised
    // as the elementwise op it is, where it is.
    auto alone = [&](linalg::LinalgOp op) {
      if (!vectorizableElementwise(op))
        return;
      op = collapseContiguousGroups(rewriter, op);
      changed |= succeeded(
          tileForVectors(rewriter, op, planElementwise(op, vectorWidth)));
    };
    for (linalg::LinalgOp op : ops) {
      if (taken.contains(op))
        continue;
      std::optional<TilePlan> plan;
      linalg::GenericOp epilogue;
      linalg::LinalgOp prologue = prologues.lookup(op);
      // Sums (linalg.reduce) take the generic paths below.
      if (isa<linalg::ReduceOp>(op.getOperation()) &&
          op.hasPureBufferSemantics()) {
        rewriter.setInsertionPoint(op);
        if (FailureOr<linalg::GenericOp> g =
                linalg::generalizeNamedOp(rewriter, op);
            succeeded(g))
          op = cast<linalg::LinalgOp>(g->getOperation());
      }
      if (op.hasPureBufferSemantics() && dlc::dot::match(op)) {
        // Its epilogue (if planned) stays a loop nest of its own, after
        // all of the product: the product's tiles end per chunk of k.
        FailureOr<Operation *> outer =
            dlc::dot::tile(rewriter, op, vectorWidth);
        if (succeeded(outer)) {
          changed = true;
          if (auto loop = dyn_cast<scf::ForOp>(*outer))
            toParallel(rewriter, loop);
        }
        continue;
      }
      if (op.hasPureBufferSemantics() &&
          linalg::isaContractionOpInterface(op)) {
        epilogue = dlc::epilogue::takeEpilogue(rewriter, op);
        op = parallelLoopsFirst(rewriter, op);
        op = collapseContiguousGroups(rewriter, op);
        plan = planContraction(op, vectorWidth);
        if (epilogue && plan) {
          Operation *original = epilogue;
          epilogue = dlc::epilogue::collapseLikeOutput(rewriter, epilogue, op);
          if (epilogue)
            taken.insert(original);
        } else {
          epilogue = {};
        }
        if (prologue && plan) {
          linalg::LinalgOp collapsed =
              dlc::epilogue::collapsePrologueLikeOutput(rewriter, prologue, op);
          if (!collapsed)
            alone(prologue);
          prologue = collapsed;
        } else if (prologue) {
          alone(prologue);
          prologue = {};
        }
      } else if ((plan = planInterleaved(op, vectorWidth))) {
      } else if (planReduction(op, vectorWidth)) {
        op = parallelLoopsFirst(rewriter, op);
        op = collapseContiguousGroups(rewriter, op);
        plan = planReduction(op, vectorWidth);
      } else if (isa<linalg::GenericOp>(op.getOperation()) &&
                 planInnerSum(op, vectorWidth, /*checkExtent=*/false)) {
        op = parallelLoopsFirst(rewriter, op);
        op = collapseContiguousGroups(rewriter, op);
        if (isa<linalg::GenericOp>(op.getOperation()))
          plan = planInnerSum(op, vectorWidth);
      } else if (vectorizableElementwise(op)) {
        op = collapseContiguousGroups(rewriter, op);
        plan = planElementwise(op, vectorWidth);
      } else {
        plan = planTranspose(op);
      }
      if (!plan)
        continue;
      changed |=
          succeeded(tileForVectors(rewriter, op, *plan, epilogue, &prologue));
      if (prologue) // still an op of its own, before the contraction
        alone(prologue);
    }
    if (!changed)
      return;

    // Full tiles: static views after folding the peeled bounds.
    if (failed(applyPatternsGreedily(fn, canonical)))
      return signalPassFailure();
    SmallVector<linalg::LinalgOp> tiles, dotTiles;
    fn.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kFullTile))
        tiles.push_back(op);
      if (dlc::dot::takeTileMark(op))
        dotTiles.push_back(op);
    });
    for (linalg::LinalgOp tile : dotTiles) {
      (void)memref::foldMemRefCast(tile);
      (void)dlc::dot::vectorizeTile(rewriter, tile, vectorWidth);
    }
    for (linalg::LinalgOp tile : tiles) {
      tile->removeAttr(kFullTile);
      // Named ops (a transpose) keep the casts to dynamic shapes that
      // canonicalization put between them and their static views.
      (void)memref::foldMemRefCast(tile);
      auto loops = tile->getAttrOfType<DenseI64ArrayAttr>(kInterleaveTile);
      tile->removeAttr(kInterleaveTile);
      if (tile.hasDynamicShape())
        continue;
      if (loops) {
        (void)dlc::interleave::vectorizeTile(
            rewriter, cast<linalg::GenericOp>(tile.getOperation()), loops[0],
            loops[1]);
        continue;
      }
      tile = dropUnitLoops(rewriter, tile);
      rewriter.setInsertionPoint(tile);
      if (failed(linalg::vectorize(rewriter, tile, {}, {}, false, false, false,
                                   /*createNamedContraction=*/true)))
        continue;
      rewriter.eraseOp(tile);
    }

    // broadcast + mulf + multi_reduction -> vector.contract.
    RewritePatternSet toContract(ctx);
    vector::populateVectorReductionToContractPatterns(toContract);
    vector::populateVectorTransferPermutationMapLoweringPatterns(toContract);
    vector::TransferReadOp::getCanonicalizationPatterns(toContract, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(toContract, ctx);
    if (failed(applyPatternsGreedily(fn, std::move(toContract))))
      return signalPassFailure();

    // Accumulators in registers across the reduction loop.
    fn.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
    SmallVector<scf::ForOp> loops;
    fn.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // inner first
    for (scf::ForOp loop : loops)
      hoistAccumulator(rewriter, loop);
    // A prologue's block is written right before the block is read as the
    // accumulator and written again after the reduction: forward the
    // written vector to the read and drop the first write (upstream's
    // store-to-load forwarding and dead transfer elimination, once CSE has
    // made the two views of the block one value). The block then starts in
    // registers from the bias or the zeros.
    if (!prologues.empty()) {
      DominanceInfo dominance(fn);
      eliminateCommonSubExpressions(rewriter, dominance, fn);
      vector::transferOpflowOpt(rewriter, fn);
    }
    fn.walk([&](scf::ForOp loop) { prefetchNextBlock(rewriter, loop); });

    RewritePatternSet lowering(ctx);
    vector::populateVectorContractLoweringPatterns(
        lowering, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(lowering);
    vector::populateVectorTransferPermutationMapLoweringPatterns(lowering);
    vector::populateVectorTransposeLoweringPatterns(
        lowering, vectorWidth >= 16
                      ? vector::VectorTransposeLowering::Shuffle16x16
                      : vector::VectorTransposeLowering::EltWise);
    vector::populateVectorBroadcastLoweringPatterns(lowering);
    vector::populateVectorShapeCastLoweringPatterns(lowering);
    vector::populateVectorMultiReductionLoweringPatterns(
        lowering, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorTransferLoweringPatterns(lowering,
                                                   /*maxTransferRank=*/1);
    if (failed(applyPatternsGreedily(fn, std::move(lowering))))
      return signalPassFailure();
    // The sums of vectors from planInnerSum: a tree, not 32 ordered adds.
    fn.walk([&](vector::ReductionOp r) {
      r.setFastmathAttr(arith::FastMathFlagsAttr::get(
          ctx, r.getFastmath() | arith::FastMathFlags::reassoc));
    });
    SmallVector<scf::ForOp> sums;
    fn.walk([&](scf::ForOp loop) { sums.push_back(loop); });
    for (scf::ForOp loop : sums)
      sumInLanes(rewriter, loop);
  }

  /// A loop that adds each vector it reads to a scalar accumulator, summed
  /// across lanes every step (planInnerSum's register-carried sum, the
  /// accumulator a 0-d vector):
  ///   %s = vector.extract %acc[] ; %r = vector.reduction <add>, %v, %s
  ///   scf.yield (vector.broadcast %r)
  /// adds the vectors lane by lane instead and sums the lanes once, after
  /// the loop. The conv bias gradient (12.8 MB into 64 sums) streamed at
  /// 7.5 GB/s on one core with a cross-lane tree per vector. A fixed order
  /// still: the same on any thread count.
  static void sumInLanes(RewriterBase &rewriter, scf::ForOp loop) {
    if (loop.getNumRegionIterArgs() != 1)
      return;
    BlockArgument acc = loop.getRegionIterArgs()[0];
    auto accType = dyn_cast<VectorType>(acc.getType());
    if (!accType || accType.getRank() != 0 || !acc.hasOneUse())
      return;
    auto extract = dyn_cast<vector::ExtractOp>(*acc.getUsers().begin());
    if (!extract || !extract.getResult().hasOneUse())
      return;
    auto sum = dyn_cast<vector::ReductionOp>(*extract->getUsers().begin());
    if (!sum || sum.getKind() != vector::CombiningKind::ADD ||
        sum.getAcc() != extract.getResult() || !sum.getResult().hasOneUse() ||
        !isa<FloatType>(sum.getType()))
      return;
    auto back = dyn_cast<vector::BroadcastOp>(*sum->getUsers().begin());
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    if (!back || back.getType() != accType || !back->hasOneUse() ||
        *back->getUsers().begin() != yield.getOperation())
      return;
    Value v = sum.getVector();
    auto lanes = cast<VectorType>(v.getType());
    Location loc = loop.getLoc();
    // The loop, now carrying one partial sum per lane.
    rewriter.setInsertionPoint(loop);
    Value zeros = arith::ConstantOp::create(rewriter, loc, lanes,
                                            rewriter.getZeroAttr(lanes));
    auto lanesLoop = scf::ForOp::create(rewriter, loc, loop.getLowerBound(),
                                        loop.getUpperBound(), loop.getStep(),
                                        ValueRange{zeros});
    if (lanesLoop.getBody()->mightHaveTerminator())
      rewriter.eraseOp(lanesLoop.getBody()->getTerminator());
    IRMapping map;
    map.map(loop.getInductionVar(), lanesLoop.getInductionVar());
    rewriter.setInsertionPointToStart(lanesLoop.getBody());
    Value partial = lanesLoop.getRegionIterArgs()[0];
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (&op == extract.getOperation() || &op == back.getOperation())
        continue;
      if (&op == sum.getOperation()) {
        partial = arith::AddFOp::create(rewriter, loc, partial,
                                        map.lookupOrDefault(v));
        continue;
      }
      rewriter.clone(op, map);
    }
    scf::YieldOp::create(rewriter, loc, partial);
    // The lanes summed once, onto the incoming accumulator.
    rewriter.setInsertionPointAfter(lanesLoop);
    Value init = vector::ExtractOp::create(rewriter, loc, loop.getInitArgs()[0],
                                           ArrayRef<int64_t>{});
    Value total = vector::ReductionOp::create(
        rewriter, loc, vector::CombiningKind::ADD, lanesLoop.getResult(0), init,
        arith::FastMathFlags::reassoc);
    Value result = vector::BroadcastOp::create(rewriter, loc, accType, total);
    rewriter.replaceOp(loop, result);
  }

  /// In a reduction loop carrying register blocks (vector iter_args), each
  /// row of B read along n is also prefetched one block further along n
  /// (clamped to the last block). The block loop inside the loop over n
  /// reuses B's panel from cache, but the next panel's rows lie a whole row
  /// of B apart (50 KB for fc1's W), which the hardware prefetchers do not
  /// follow: the first block of each panel waited on memory for every row.
  /// fc1's input gradient (g @ W, 64 x 128 x 12544) went from 72-75 to
  /// 86-90 GFLOP/s on one thread, its weight gradient from 67-70 to 76-91.
  static void prefetchNextBlock(RewriterBase &rewriter, scf::ForOp loop) {
    if (loop.getInitArgs().empty() ||
        !llvm::all_of(loop.getInitArgs().getTypes(),
                      [](Type t) { return isa<VectorType>(t); }))
      return;
    SmallVector<vector::TransferReadOp> reads(
        loop.getBody()->getOps<vector::TransferReadOp>());
    for (vector::TransferReadOp read : reads) {
      auto view = read.getBase().getDefiningOp<memref::SubViewOp>();
      if (!view)
        continue;
      auto baseType = dyn_cast<MemRefType>(view.getSource().getType());
      if (!baseType || !baseType.getLayout().isIdentity() ||
          ShapedType::isDynamic(baseType.getShape().back()) ||
          baseType.getElementTypeBitWidth() % 8 != 0)
        continue;
      SmallVector<OpFoldResult> offsets = view.getMixedOffsets();
      auto n = dyn_cast<Value>(offsets.back());
      int64_t width = read.getVectorType().getShape().back();
      int64_t extent = baseType.getShape().back();
      if (!n ||
          !llvm::is_contained(offsets, OpFoldResult(loop.getInductionVar())) ||
          !loop.isDefinedOutsideOfLoop(n) || extent < 2 * width)
        continue;
      Location loc = read.getLoc();
      rewriter.setInsertionPoint(read);
      SmallVector<Value> indices;
      for (OpFoldResult o : offsets)
        indices.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, o));
      Value next = arith::AddIOp::create(
          rewriter, loc, n,
          arith::ConstantIndexOp::create(rewriter, loc, width));
      Value last =
          arith::ConstantIndexOp::create(rewriter, loc, extent - width);
      Value at = arith::MinSIOp::create(rewriter, loc, next, last);
      int64_t perLine = 64 / (baseType.getElementTypeBitWidth() / 8);
      for (int64_t e = 0; e < width; e += perLine) {
        indices.back() =
            e == 0 ? at
                   : arith::AddIOp::create(
                         rewriter, loc, at,
                         arith::ConstantIndexOp::create(rewriter, loc, e));
        memref::PrefetchOp::create(rewriter, loc, view.getSource(), indices,
                                   /*isWrite=*/false, /*localityHint=*/3,
                                   /*isDataCache=*/true);
      }
    }
  }

  /// Tiles `op` by `plan` (with its epilogue's tile after each block's
  /// reduction and its prologue's before it, if it has them), peels partial
  /// tiles and marks the full ones. A prologue put into the blocks is reset
  /// to null.
  static LogicalResult tileForVectors(RewriterBase &rewriter,
                                      linalg::LinalgOp op, const TilePlan &plan,
                                      linalg::GenericOp epilogue = {},
                                      linalg::LinalgOp *prologue = nullptr) {
    MLIRContext *ctx = op->getContext();
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(ctx, plan.sizes));
    options.setInterchange(plan.order);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return failure(); // left as it was: scalar loops
    if (plan.vectorize)
      tiled->tiledOps.front()->setAttr(kFullTile, rewriter.getUnitAttr());
    if (plan.interleave)
      tiled->tiledOps.front()->setAttr(
          kInterleaveTile,
          rewriter.getDenseI64ArrayAttr(
              {plan.interleave->first, plan.interleave->second}));
    if (epilogue) {
      // Its tiles are vectors on the same terms as any elementwise op
      // (no i1 buffers, no strided reads along the vector), else loops.
      bool vectorize = plan.vectorize && vectorizableElementwise(epilogue);
      FailureOr<linalg::LinalgOp> tile = dlc::epilogue::tileIntoBlocks(
          rewriter, epilogue, op, plan.sizes, plan.order, tiled->loops);
      if (succeeded(tile) && vectorize)
        (*tile)->setAttr(kFullTile, rewriter.getUnitAttr());
    }
    if (prologue && *prologue) {
      bool vectorize = plan.vectorize && vectorizableElementwise(*prologue);
      FailureOr<linalg::LinalgOp> tile = dlc::epilogue::tileIntoBlocks(
          rewriter, *prologue, op, plan.sizes, plan.order, tiled->loops,
          /*beforeReduction=*/true);
      if (succeeded(tile)) {
        *prologue = {}; // taken into the blocks
        if (vectorize)
          (*tile)->setAttr(kFullTile, rewriter.getUnitAttr());
      }
    }
    rewriter.eraseOp(op);
    if (plan.vectorize)
      for (LoopLikeOpInterface loop : tiled->loops)
        if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
          (void)peelPartialTile(rewriter, forOp);
    // The outermost tile loop runs over an output dimension: with threads,
    // it becomes the OpenMP work-sharing loop (convert-scf-to-openmp); with
    // one, scf-to-cf makes it a plain loop again.
    if (!tiled->loops.empty())
      if (auto outer =
              dyn_cast<scf::ForOp>(tiled->loops.front().getOperation()))
        toParallel(rewriter, outer);
    return success();
  }

  static void toParallel(RewriterBase &rewriter, scf::ForOp loop) {
    if (loop.getNumResults() != 0 || !loop.getInitArgs().empty())
      return;
    rewriter.setInsertionPoint(loop);
    auto parallel = scf::ParallelOp::create(
        rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
        ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
    Block *body = loop.getBody();
    rewriter.replaceAllUsesWith(loop.getInductionVar(),
                                parallel.getInductionVars()[0]);
    rewriter.eraseOp(body->getTerminator());
    Block *target = parallel.getBody();
    target->getOperations().splice(target->getTerminator()->getIterator(),
                                   body->getOperations());
    rewriter.eraseOp(loop);
  }

  /// Every dialect's and op's canonicalization patterns, collected once per
  /// pass instance rather than once per function.
  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet patterns(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    canonical = FrozenRewritePatternSet(std::move(patterns));
    return success();
  }

  FrozenRewritePatternSet canonical;
};

} // namespace
