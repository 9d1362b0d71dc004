//===- CPUInterleave.cpp - vectors across short interleaved loops ---------===//
#include "compiler/Conversion/CPUInterleave.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace dlc::interleave {
namespace {

/// How an operand is accessed along the vector loop v and the offset loop
/// k: not along either (one scalar), along k only (a scalar per k), along v
/// only (a vector), or along both as a contiguous [v, k] block.
enum class Access { Scalar, PerOffset, Plain, Interleaved };

/// Longest unrolled offset loop (a window's width).
constexpr int64_t kMaxOffsets = 8;

unsigned dimAt(AffineMap map, unsigned result) {
  return cast<AffineDimExpr>(map.getResult(result)).getPosition();
}

std::optional<Access> classify(linalg::LinalgOp op, OpOperand &operand,
                               unsigned v, unsigned k, int64_t extent) {
  auto type = dyn_cast<MemRefType>(operand.get().getType());
  if (!type) {
    if (op.isDpsInit(&operand) ||
        !operand.get().getType().isIntOrIndexOrFloat())
      return std::nullopt;
    return Access::Scalar; // linalg.fill's value and the like
  }
  Type element = type.getElementType();
  // i1 buffers hold a byte per element, vector<Nxi1> a bit: leave them.
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() < 8 ||
      element.getIntOrFloatBitWidth() > 64)
    return std::nullopt;
  AffineMap map = op.getMatchingIndexingMap(&operand);
  if (!map.isProjectedPermutation())
    return std::nullopt;
  bool alongV = map.isFunctionOfDim(v), alongK = map.isFunctionOfDim(k);
  if (!alongV)
    return alongK ? Access::PerOffset : Access::Scalar;
  SmallVector<int64_t> strides;
  int64_t offset;
  unsigned n = map.getNumResults();
  if (failed(type.getStridesAndOffset(strides, offset)) || strides.back() != 1)
    return std::nullopt;
  if (!alongK)
    return dimAt(map, n - 1) == v ? std::optional(Access::Plain) : std::nullopt;
  if (n < 2 || dimAt(map, n - 2) != v || dimAt(map, n - 1) != k ||
      strides[n - 2] != extent)
    return std::nullopt;
  return Access::Interleaved;
}

/// A contiguous 1-D view of the [v] or [v, k] block of `memref`, whose other
/// dimensions are all 1.
Value blockView(OpBuilder &b, Location loc, Value memref, Access access,
                int64_t lanes, int64_t extent) {
  auto type = cast<MemRefType>(memref.getType());
  unsigned rank = type.getRank();
  SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
  SmallVector<int64_t> kept = {lanes};
  if (access == Access::Interleaved)
    kept.push_back(extent);
  MemRefType reduced = memref::SubViewOp::inferRankReducedResultType(
      kept, type, offsets, type.getShape(), strides);
  Value view = memref::SubViewOp::create(b, loc, reduced, memref, offsets,
                                         type.getShape(), strides);
  if (access == Access::Plain)
    return view;
  return memref::CollapseShapeOp::create(
      b, loc, view, ArrayRef<ReassociationIndices>{{0, 1}});
}

Value readVector(OpBuilder &b, Location loc, Value view) {
  auto type = cast<MemRefType>(view.getType());
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return vector::TransferReadOp::create(
      b, loc, VectorType::get(type.getShape(), type.getElementType()), view,
      ValueRange{zero}, /*padding=*/std::nullopt,
      /*inBounds=*/ArrayRef<bool>{true});
}

void writeVector(OpBuilder &b, Location loc, Value value, Value view) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  vector::TransferWriteOp::create(b, loc, value, view, ValueRange{zero},
                                  /*inBounds=*/ArrayRef<bool>{true});
}

/// Lanes k, k + extent, k + 2 * extent, ... of `block`.
Value deinterleave(OpBuilder &b, Location loc, Value block, int64_t k,
                   int64_t lanes, int64_t extent) {
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < lanes; ++i)
    mask.push_back(i * extent + k);
  return vector::ShuffleOp::create(b, loc, block, block, mask);
}

/// The inverse: lane i * extent + k of the result is lane i of parts[k].
Value interleave(OpBuilder &b, Location loc, ArrayRef<Value> parts,
                 int64_t lanes) {
  int64_t extent = parts.size();
  Value all = parts[0];
  for (int64_t k = 1; k < extent; ++k) {
    SmallVector<int64_t> concat;
    for (int64_t i = 0; i < (k + 1) * lanes; ++i)
      concat.push_back(i);
    all = vector::ShuffleOp::create(b, loc, all, parts[k], concat);
  }
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < lanes; ++i)
    for (int64_t k = 0; k < extent; ++k)
      mask.push_back(k * lanes + i);
  return vector::ShuffleOp::create(b, loc, all, all, mask);
}

} // namespace

std::optional<Plan> plan(linalg::LinalgOp op, int64_t lanes) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || !op.hasPureBufferSemantics() || op.getNumDpsInits() == 0)
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  unsigned rank = out.getNumResults();
  if (rank == 0 || !out.isProjectedPermutation())
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  auto isShort = [&](unsigned d) {
    return !ShapedType::isDynamic(ranges[d]) && ranges[d] >= 2 &&
           ranges[d] <= kMaxOffsets;
  };
  // Written in blocks (a scatter), or reduced from blocks an input holds
  // (a pooling): the offset loop is the output's last loop, or the
  // reduction loop after the output's last loop in an input.
  std::optional<std::pair<unsigned, unsigned>> loops;
  if (rank >= 2 && isShort(dimAt(out, rank - 1)) &&
      iterators[dimAt(out, rank - 1)] == utils::IteratorType::parallel) {
    loops = {dimAt(out, rank - 2), dimAt(out, rank - 1)};
  } else {
    unsigned v = dimAt(out, rank - 1);
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      unsigned n = map.getNumResults();
      if (n < 2 || !map.isProjectedPermutation() || dimAt(map, n - 2) != v)
        continue;
      unsigned k = dimAt(map, n - 1);
      if (isShort(k) && iterators[k] == utils::IteratorType::reduction)
        loops = {v, k};
    }
  }
  if (!loops)
    return std::nullopt;
  auto [v, k] = *loops;
  bool reduceOffsets = iterators[k] == utils::IteratorType::reduction;
  for (OpOperand &operand : op->getOpOperands()) {
    std::optional<Access> access = classify(op, operand, v, k, ranges[k]);
    if (!access)
      return std::nullopt;
    if (op.isDpsInit(&operand) &&
        *access != (reduceOffsets ? Access::Plain : Access::Interleaved))
      return std::nullopt;
  }
  for (Operation &inner : generic.getBody()->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      if (index.getDim() == v)
        return std::nullopt; // a vector of indices: not handled
      continue;
    }
    if (inner.hasTrait<OpTrait::ConstantLike>())
      continue;
    if (inner.getNumRegions() != 0 || !inner.hasTrait<OpTrait::Elementwise>() ||
        !inner.hasTrait<OpTrait::Vectorizable>())
      return std::nullopt;
  }
  // A whole row when it fits two registers (14 pooled pixels), else
  // vectors of one register and a remainder.
  int64_t width = ranges[v];
  if (ShapedType::isDynamic(width) || width > 2 * lanes)
    width = lanes;
  if (width < 2)
    return std::nullopt;
  return Plan{v, k, width, ranges[k]};
}

LogicalResult vectorizeTile(RewriterBase &rewriter, linalg::GenericOp tile,
                            unsigned vectorLoop, unsigned offsetLoop) {
  if (!tile.hasPureBufferSemantics())
    return failure();
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (ShapedType::isDynamic(ranges[d]) ||
        (d != vectorLoop && d != offsetLoop && ranges[d] != 1))
      return failure();
  int64_t lanes = ranges[vectorLoop], extent = ranges[offsetLoop];
  bool reduceOffsets = tile.getIteratorTypesArray()[offsetLoop] ==
                       utils::IteratorType::reduction;
  SmallVector<Access> accesses;
  for (OpOperand &operand : tile->getOpOperands()) {
    std::optional<Access> access =
        classify(tile, operand, vectorLoop, offsetLoop, extent);
    if (!access)
      return failure();
    accesses.push_back(*access);
  }

  // Which values of the body become vectors: the block arguments of
  // operands accessed along the vector loop and whatever uses them. Each op
  // that computes on vectors must be elementwise arithmetic (not the
  // affine.apply of an index offset, say).
  Block *body = tile.getBody();
  llvm::SmallPtrSet<Value, 16> vectors;
  for (auto [i, access] : llvm::enumerate(accesses))
    if (access == Access::Plain || access == Access::Interleaved)
      vectors.insert(body->getArgument(i));
  for (Operation &inner : body->without_terminator()) {
    if (llvm::none_of(inner.getOperands(),
                      [&](Value v) { return vectors.contains(v); }))
      continue;
    if (inner.getNumRegions() != 0 || !inner.hasTrait<OpTrait::Elementwise>() ||
        !inner.hasTrait<OpTrait::Vectorizable>())
      return failure();
    vectors.insert(inner.getResults().begin(), inner.getResults().end());
  }

  Location loc = tile.getLoc();
  rewriter.setInsertionPoint(tile);
  // Per operand and offset k, the value its block argument stands for.
  SmallVector<SmallVector<Value>> values(tile->getNumOperands());
  SmallVector<Value> views(tile->getNumOperands());
  for (OpOperand &operand : tile->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    Value source = operand.get();
    bool used = !body->getArgument(i).use_empty();
    Access access = accesses[i];
    if (access == Access::Plain || access == Access::Interleaved)
      views[i] = blockView(rewriter, loc, source, access, lanes, extent);
    if (!used || (reduceOffsets && tile.isDpsInit(&operand)))
      continue; // a reduction's output: read once below
    switch (access) {
    case Access::Scalar:
    case Access::PerOffset: {
      if (!isa<MemRefType>(source.getType())) {
        values[i].assign(extent, source);
        break;
      }
      AffineMap map = tile.getMatchingIndexingMap(&operand);
      for (int64_t k = 0; k < extent; ++k) {
        SmallVector<Value> indices;
        for (unsigned r = 0; r < map.getNumResults(); ++r)
          indices.push_back(arith::ConstantIndexOp::create(
              rewriter, loc, dimAt(map, r) == offsetLoop ? k : 0));
        values[i].push_back(
            memref::LoadOp::create(rewriter, loc, source, indices));
      }
      break;
    }
    case Access::Plain:
      values[i].assign(extent, readVector(rewriter, loc, views[i]));
      break;
    case Access::Interleaved: {
      Value block = readVector(rewriter, loc, views[i]);
      for (int64_t k = 0; k < extent; ++k)
        values[i].push_back(
            deinterleave(rewriter, loc, block, k, lanes, extent));
      break;
    }
    }
  }

  auto toVector = [&](Value value) -> Value {
    if (isa<VectorType>(value.getType()))
      return value;
    return vector::BroadcastOp::create(
        rewriter, loc, VectorType::get({lanes}, value.getType()), value);
  };
  unsigned firstInit = tile.getNumDpsInputs();
  unsigned inits = tile.getNumDpsInits();
  // Per output: the value of a reduction so far, or each offset's result.
  SmallVector<Value> reduced(inits);
  SmallVector<SmallVector<Value>> results(inits);
  for (unsigned o = 0; o < inits; ++o)
    if (reduceOffsets) {
      reduced[o] = readVector(rewriter, loc, views[firstInit + o]);
      if (!values[firstInit + o].empty())
        values[firstInit + o].assign(extent, reduced[o]);
    }
  for (int64_t k = 0; k < extent; ++k) {
    IRMapping map;
    for (unsigned i = 0; i < body->getNumArguments(); ++i) {
      if (reduceOffsets && i >= firstInit)
        map.map(body->getArgument(i), reduced[i - firstInit]);
      else if (!values[i].empty())
        map.map(body->getArgument(i), values[i][k]);
    }
    for (Operation &inner : body->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        map.map(index.getResult(),
                arith::ConstantIndexOp::create(
                    rewriter, loc, index.getDim() == offsetLoop ? k : 0));
        continue;
      }
      bool anyVector = llvm::any_of(inner.getOperands(), [&](Value v) {
        return isa<VectorType>(map.lookupOrDefault(v).getType());
      });
      if (!anyVector) {
        rewriter.clone(inner, map);
        continue;
      }
      OperationState state(loc, inner.getName());
      for (Value operand : inner.getOperands())
        state.addOperands(toVector(map.lookupOrDefault(operand)));
      for (Type type : inner.getResultTypes())
        state.addTypes(VectorType::get({lanes}, type));
      state.addAttributes(inner.getAttrs());
      Operation *vectorOp = rewriter.create(state);
      map.map(inner.getResults(), vectorOp->getResults());
    }
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    for (unsigned o = 0; o < inits; ++o) {
      Value result = toVector(map.lookupOrDefault(yield.getOperand(o)));
      if (reduceOffsets)
        reduced[o] = result;
      else
        results[o].push_back(result);
    }
  }
  for (unsigned o = 0; o < inits; ++o) {
    Value value = reduceOffsets ? reduced[o]
                                : interleave(rewriter, loc, results[o], lanes);
    writeVector(rewriter, loc, value, views[firstInit + o]);
  }
  rewriter.eraseOp(tile);
  return success();
}

} // namespace dlc::interleave
