//===- CPUDot.cpp - products of rows: x @ W^T without W^T -----------------===//
#include "compiler/Conversion/CPUDot.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace dlc::dot {
namespace {

constexpr llvm::StringLiteral kDotTile = "dl.dot_tile";

/// Register block: 4 x 4 accumulators and 8 row vectors, 24 of AVX-512's
/// 32 registers (AVX2's 16 hold 4 x 2 and 6 rows: see `blockColumns`).
constexpr int64_t kBlockRows = 4;
/// Reduction lengths that are worth dot products, and the cache chunk of k
/// (at most): x's and W's chunks for a block of 64 rows and 64 columns,
/// 64 x 1024 x 4 bytes each, stay in a 1 MB L2 while every register block
/// reads them.
constexpr int64_t kMinReduction = 256, kMaxChunk = 1024;
/// Columns per cache block (the unit of work of a thread) and rows.
constexpr int64_t kMaxColumnBlock = 64, kRowBlock = 64;

int64_t blockColumns(int64_t lanes) { return lanes >= 16 ? 4 : 2; }

unsigned dimOf(AffineExpr e) { return cast<AffineDimExpr>(e).getPosition(); }

/// The product's structure, whatever its sizes.
std::optional<Product> matchLoops(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 3 || op.getNumReductionLoops() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (getElementTypeOrSelf(operand.get().getType()) !=
        Float32Type::get(op->getContext()))
      return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() != 2 || !out.isProjectedPermutation())
    return std::nullopt;
  Product p;
  p.m = dimOf(out.getResult(0));
  p.n = dimOf(out.getResult(1));
  p.k = 3 - p.m - p.n;
  p.a = p.b = nullptr;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() != 2 || !map.isProjectedPermutation() ||
        dimOf(map.getResult(1)) != p.k)
      return std::nullopt;
    unsigned row = dimOf(map.getResult(0));
    if (row == p.m && !p.a)
      p.a = input;
    else if (row == p.n && !p.b)
      p.b = input;
    else
      return std::nullopt;
  }
  if (!p.a || !p.b)
    return std::nullopt;
  // On buffers: rows contiguous along k, the output's along n.
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      continue;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return std::nullopt;
  }
  return p;
}

/// Largest multiple of `step` that divides `extent` and is at most `limit`
/// (`extent` itself if none).
int64_t chunkOf(int64_t extent, int64_t step, int64_t limit) {
  for (int64_t c = std::min(extent, limit) / step * step; c >= step; c -= step)
    if (extent % c == 0)
      return c;
  return extent;
}

/// The lane sums of `vectors` (each `lanes` wide) as one vector, in a
/// fixed tree of shuffles and adds: pairs of vectors are folded into one
/// (each vector's two halves added, the results side by side) until one
/// vector holds all of them in groups, then each group's halves are added
/// until one lane per vector is left. 4 accumulators of 16 lanes: 10
/// shuffles and 5 adds instead of 4 separate reductions (16 shuffles, 16
/// adds, 4 extracts and 4 inserts).
Value sumLanes(OpBuilder &b, Location loc, ValueRange vectors, int64_t lanes) {
  int64_t count = vectors.size();
  auto type = VectorType::get({count}, b.getF32Type());
  if (!llvm::isPowerOf2_64(count) || !llvm::isPowerOf2_64(lanes) ||
      count > lanes) {
    SmallVector<Value> sums;
    for (Value v : vectors)
      sums.push_back(
          vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v));
    return vector::FromElementsOp::create(b, loc, type, sums);
  }
  // `halves(a, b, groups)`: of each of the `groups` groups of a, then of b,
  // the first halves (or the second), as one vector.
  auto halves = [&](Value x, Value y, int64_t groups, int64_t width,
                    bool second) {
    int64_t size = width / groups;
    SmallVector<int64_t> mask;
    for (int64_t source = 0; source < 2; ++source)
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t l = 0; l < size / 2; ++l)
          mask.push_back(source * width + g * size + (second ? size / 2 : 0) +
                         l);
    return vector::ShuffleOp::create(b, loc, x, y, mask);
  };
  SmallVector<Value> level(vectors.begin(), vectors.end());
  int64_t groups = 1;
  while (level.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i < level.size(); i += 2)
      next.push_back(arith::AddFOp::create(
          b, loc, halves(level[i], level[i + 1], groups, lanes, false),
          halves(level[i], level[i + 1], groups, lanes, true)));
    level = std::move(next);
    groups *= 2;
  }
  // One vector of `count` groups: halve each group until one lane is left.
  Value sums = level.front();
  for (int64_t width = lanes; width > count; width /= 2) {
    SmallVector<int64_t> first, second;
    int64_t size = width / count;
    for (int64_t g = 0; g < count; ++g)
      for (int64_t l = 0; l < size / 2; ++l) {
        first.push_back(g * size + l);
        second.push_back(g * size + size / 2 + l);
      }
    sums = arith::AddFOp::create(
        b, loc, vector::ShuffleOp::create(b, loc, sums, sums, first),
        vector::ShuffleOp::create(b, loc, sums, sums, second));
  }
  return sums;
}

scf::ForOp peel(RewriterBase &rewriter, LoopLikeOpInterface loop) {
  auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
  scf::ForOp partial;
  if (!forOp ||
      failed(scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial)))
    return {};
  return partial;
}

FailureOr<scf::SCFTilingResult>
tileOnce(RewriterBase &rewriter, linalg::LinalgOp op, ArrayRef<int64_t> sizes,
         ArrayRef<int64_t> order,
         scf::SCFTilingOptions::LoopType loops =
             scf::SCFTilingOptions::LoopType::ForOp) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  options.setInterchange(order);
  options.setLoopType(loops);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return failure();
  rewriter.eraseOp(op);
  return tiled;
}

} // namespace

std::optional<Product> match(linalg::LinalgOp op) {
  std::optional<Product> p = matchLoops(op);
  if (!p)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t k = ranges[p->k], n = ranges[p->n];
  if (ShapedType::isDynamic(k) || k < kMinReduction || k % 16 != 0 ||
      ShapedType::isDynamic(n) || n % kBlockRows != 0)
    return std::nullopt;
  return p;
}

FailureOr<Operation *> tile(RewriterBase &rewriter, linalg::LinalgOp op,
                            int64_t lanes) {
  std::optional<Product> p = match(op);
  if (!p || !op.hasPureBufferSemantics() || lanes <= 0 || 16 % lanes != 0)
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t columns = chunkOf(ranges[p->n], kBlockRows, kMaxColumnBlock);
  int64_t chunk = chunkOf(ranges[p->k], lanes, kMaxChunk);
  // Cache blocks of rows and columns, one 2-D parallel loop (threads split
  // the rows of a large batch and the columns of a large layer alike; a
  // batch of 1000 would not fit in L2 whole), then chunks of k.
  SmallVector<int64_t> sizes(3, 0);
  sizes[p->m] = kRowBlock;
  sizes[p->n] = columns;
  FailureOr<scf::SCFTilingResult> blocks =
      tileOnce(rewriter, op, sizes, {p->m, p->n, p->k},
               scf::SCFTilingOptions::LoopType::ForallOp);
  if (failed(blocks))
    return failure();
  sizes.assign(3, 0);
  sizes[p->k] = chunk;
  FailureOr<scf::SCFTilingResult> chunks =
      tileOnce(rewriter, cast<linalg::LinalgOp>(blocks->tiledOps.front()),
               sizes, {p->k, p->m, p->n});
  if (failed(chunks))
    return failure(); // (not reached: tiling a static dimension)
  // Register blocks inside: columns outer (W's rows stay in L1), rows inner.
  auto block = cast<linalg::LinalgOp>(chunks->tiledOps.front());
  int64_t nr = blockColumns(lanes);
  sizes.assign(3, 0);
  sizes[p->m] = kBlockRows;
  sizes[p->n] = nr;
  FailureOr<scf::SCFTilingResult> registers =
      tileOnce(rewriter, block, sizes, {p->n, p->m, p->k});
  if (failed(registers))
    return failure(); // unreachable in practice: the cache tiles stay loops
  registers->tiledOps.front()->setAttr(kDotTile, rewriter.getUnitAttr());
  // Rows left over (a batch not a multiple of 4, a batch of 1): one row
  // per block.
  if (scf::ForOp partial = peel(rewriter, registers->loops.back())) {
    SmallVector<linalg::LinalgOp> rest;
    partial.walk([&](linalg::LinalgOp t) { rest.push_back(t); });
    for (linalg::LinalgOp t : rest) {
      sizes.assign(3, 0);
      sizes[p->m] = 1;
      FailureOr<scf::SCFTilingResult> rows =
          tileOnce(rewriter, t, sizes, {p->m, p->n, p->k});
      if (succeeded(rows))
        rows->tiledOps.front()->setAttr(kDotTile, rewriter.getUnitAttr());
    }
  }
  auto forall = cast<scf::ForallOp>(blocks->loops.front().getOperation());
  scf::ParallelOp parallel;
  if (failed(scf::forallToParallelLoop(rewriter, forall, &parallel)))
    return forall.getOperation();
  return parallel.getOperation();
}

bool takeTileMark(Operation *op) {
  return static_cast<bool>(op->removeAttr(kDotTile));
}

LogicalResult vectorizeTile(RewriterBase &rewriter, linalg::LinalgOp tile,
                            int64_t lanes) {
  std::optional<Product> p = matchLoops(tile);
  if (!p || !tile.hasPureBufferSemantics() || tile.hasDynamicShape())
    return failure();
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  int64_t mr = ranges[p->m], nr = ranges[p->n], kc = ranges[p->k];
  if (kc % lanes != 0)
    return failure();
  AffineMap out = tile.getMatchingIndexingMap(tile.getDpsInitOperand(0));
  if (dimOf(out.getResult(0)) != p->m)
    return failure(); // (not reached: match wants C[m, n])
  Location loc = tile.getLoc();
  rewriter.setInsertionPoint(tile);
  Type f32 = rewriter.getF32Type();
  auto rowType = VectorType::get({lanes}, f32);
  Value zero = arith::ConstantOp::create(
      rewriter, loc, rowType, cast<TypedAttr>(rewriter.getZeroAttr(rowType)));
  auto index = [&](OpBuilder &b, int64_t i) -> Value {
    return arith::ConstantIndexOp::create(b, loc, i);
  };
  Value a = p->a->get(), b = p->b->get();
  Value c = tile.getDpsInitOperand(0)->get();
  SmallVector<Value> zeros(mr * nr, zero);
  auto loop = scf::ForOp::create(
      rewriter, loc, index(rewriter, 0), index(rewriter, kc),
      index(rewriter, lanes), zeros,
      [&](OpBuilder &builder, Location l, Value k, ValueRange sums) {
        SmallVector<Value> rows, cols, next;
        for (int64_t i = 0; i < mr; ++i)
          rows.push_back(vector::LoadOp::create(
              builder, l, rowType, a, ValueRange{index(builder, i), k}));
        for (int64_t j = 0; j < nr; ++j)
          cols.push_back(vector::LoadOp::create(
              builder, l, rowType, b, ValueRange{index(builder, j), k}));
        for (int64_t i = 0; i < mr; ++i)
          for (int64_t j = 0; j < nr; ++j)
            next.push_back(vector::FMAOp::create(builder, l, rows[i], cols[j],
                                                 sums[i * nr + j]));
        scf::YieldOp::create(builder, l, next);
      });
  // Each row's accumulators summed across lanes into one vector of nr
  // sums, added to C's row.
  auto outType = VectorType::get({nr}, f32);
  for (int64_t i = 0; i < mr; ++i) {
    Value row =
        sumLanes(rewriter, loc, loop.getResults().slice(i * nr, nr), lanes);
    SmallVector<Value> at = {index(rewriter, i), index(rewriter, 0)};
    Value old = vector::LoadOp::create(rewriter, loc, outType, c, at);
    Value updated = arith::AddFOp::create(rewriter, loc, old, row);
    vector::StoreOp::create(rewriter, loc, updated, c, at);
  }
  rewriter.eraseOp(tile);
  return success();
}

} // namespace dlc::dot
