//===- CPUVectorizeContractions.cpp - register-tiled matmul kernels -------===//
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
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::dl {
#define GEN_PASS_DEF_CPUVECTORIZECONTRACTIONS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kFullTile = "dl.full_tile";

/// How one contraction is tiled: per loop of the op, the tile size (the
/// vector shape of a full tile) and the order of the tile loops.
struct TilePlan {
  SmallVector<int64_t> sizes;
  SmallVector<int64_t> order;
};

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
  unsigned m = cast<AffineDimExpr>(out.getResult(rank - 2)).getPosition();
  // B's rows must be contiguous along n (A is read as scalars).
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isFunctionOfDim(n) &&
        map.getResult(map.getNumResults() - 1) != out.getResult(rank - 1))
      return std::nullopt;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto extent = [&](unsigned d) {
    return ShapedType::isDynamic(ranges[d]) ? int64_t(64) : ranges[d];
  };
  int64_t nr = 2 * lanes;
  if (!ShapedType::isDynamic(ranges[n]) && ranges[n] % nr != 0 &&
      ranges[n] % lanes == 0)
    nr = lanes;
  if (extent(n) < nr)
    return std::nullopt; // too narrow for a vector: scalar loops
  int64_t mr = lanes >= 16 ? 8 : 4;
  if (!ShapedType::isDynamic(ranges[m]) && ranges[m] < mr)
    mr = ranges[m];

  TilePlan plan;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    plan.sizes.push_back(d == m ? mr : d == n ? nr : 1);
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::parallel && d != m && d != n)
      plan.order.push_back(d);
  // The larger output dimension outermost: the panel of the operand it
  // indexes is then reused, from cache, by every block of the inner loop.
  if (extent(n) >= extent(m))
    plan.order.append({n, m});
  else
    plan.order.append({m, n});
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::reduction)
      plan.order.push_back(d);
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
  // linalg op and becomes scalar loops.
  partial.walk([](linalg::LinalgOp op) { op->removeAttr(kFullTile); });
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
  vector::TransferWriteOp write;
  for (Operation &op : *body) {
    if (auto w = dyn_cast<vector::TransferWriteOp>(op)) {
      if (write)
        return; // several blocks written: leave it
      write = w;
    }
  }
  if (!write || !loop.isDefinedOutsideOfLoop(write.getBase()) ||
      !llvm::all_of(write.getIndices(), [&](Value v) {
        return loop.isDefinedOutsideOfLoop(v);
      }))
    return;
  vector::TransferReadOp read;
  bool otherWrites = false;
  loop.getBody()->walk([&](Operation *op) {
    if (auto r = dyn_cast<vector::TransferReadOp>(op);
        r && r->getBlock() == body && r.getBase() == write.getBase() &&
        r.getIndices() == write.getIndices() &&
        r.getVectorType() == write.getVectorType() &&
        r.getPermutationMap() == write.getPermutationMap())
      read = r;
    else if (op != write.getOperation() && !isMemoryEffectFree(op) &&
             !isa<vector::TransferReadOp, memref::LoadOp>(op))
      otherWrites = true;
  });
  if (!read || otherWrites || !read->isBeforeInBlock(write) ||
      !loop.isDefinedOutsideOfLoop(read.getPadding()))
    return;
  for (Operation *user : write.getBase().getUsers())
    if (user != read && user != write && loop->isAncestor(user))
      return; // another access to the block inside the loop
  rewriter.moveOpBefore(read, loop);
  FailureOr<LoopLikeOpInterface> carried =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, ValueRange{read.getResult()},
              /*replaceInitOperandUsesInLoop=*/true,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                return SmallVector<Value>{write.getValueToStore()};
              });
  if (failed(carried))
    return;
  Operation *newLoop = carried->getOperation();
  rewriter.moveOpAfter(write, newLoop);
  rewriter.modifyOpInPlace(write, [&] {
    write.getValueToStoreMutable().assign(
        newLoop->getResult(newLoop->getNumResults() - 1));
  });
}

struct CPUVectorizeContractionsPass
    : dl::impl::CPUVectorizeContractionsBase<CPUVectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth <= 0)
      return;
    func::FuncOp fn = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    SmallVector<linalg::LinalgOp> contractions;
    fn.walk([&](linalg::LinalgOp op) { contractions.push_back(op); });
    bool changed = false;
    for (linalg::LinalgOp op : contractions) {
      std::optional<TilePlan> plan = planContraction(op, vectorWidth);
      if (!plan)
        continue;
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(ctx, plan->sizes));
      options.setInterchange(plan->order);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled) || tiled->tiledOps.size() != 1)
        continue; // left as it was: scalar loops
      tiled->tiledOps.front()->setAttr(kFullTile, rewriter.getUnitAttr());
      rewriter.eraseOp(op);
      for (LoopLikeOpInterface loop : tiled->loops)
        if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
          (void)peelPartialTile(rewriter, forOp);
      changed = true;
    }
    if (!changed)
      return;

    // Full tiles: static views after folding the peeled bounds.
    if (failed(applyPatternsGreedily(fn, canonicalizationPatterns(ctx))))
      return signalPassFailure();
    SmallVector<linalg::LinalgOp> tiles;
    fn.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kFullTile))
        tiles.push_back(op);
    });
    for (linalg::LinalgOp tile : tiles) {
      tile->removeAttr(kFullTile);
      if (tile.hasDynamicShape())
        continue;
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

    RewritePatternSet lowering(ctx);
    vector::populateVectorContractLoweringPatterns(
        lowering, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(lowering);
    vector::populateVectorTransferPermutationMapLoweringPatterns(lowering);
    vector::populateVectorTransposeLoweringPatterns(
        lowering, vector::VectorTransposeLowering::EltWise);
    vector::populateVectorBroadcastLoweringPatterns(lowering);
    vector::populateVectorShapeCastLoweringPatterns(lowering);
    vector::populateVectorTransferLoweringPatterns(lowering,
                                                   /*maxTransferRank=*/1);
    if (failed(applyPatternsGreedily(fn, std::move(lowering))))
      return signalPassFailure();
  }

  static FrozenRewritePatternSet canonicalizationPatterns(MLIRContext *ctx) {
    RewritePatternSet patterns(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    return FrozenRewritePatternSet(std::move(patterns));
  }
};

} // namespace
