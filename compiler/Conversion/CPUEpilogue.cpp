//===- CPUEpilogue.cpp - epilogues computed per register block ------------===//
#include "compiler/Conversion/CPUEpilogue.h"
#include "compiler/Conversion/BufferAccess.h"
#include "compiler/Conversion/FusionPlan.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using dlc::buffers::rootOf;

namespace {

/// `a` and `b` are the same view of the same buffer.
bool sameView(Value a, Value b) {
  if (a == b)
    return true;
  auto ca = a.getDefiningOp<memref::CollapseShapeOp>();
  auto cb = b.getDefiningOp<memref::CollapseShapeOp>();
  return ca && cb && ca.getSrc() == cb.getSrc() &&
         ca.getReassociationIndices() == cb.getReassociationIndices();
}

/// The planned kernel of `contraction`, a product on buffers with one
/// output, whose prologue and epilogue can be looked for.
std::optional<int64_t> plannedProduct(linalg::LinalgOp contraction) {
  if (!contraction.hasPureBufferSemantics() ||
      contraction.getNumDpsInits() != 1)
    return std::nullopt;
  return dlc::fusion::plannedKernel(contraction);
}

/// The closest linalg op of planned kernel `kernel` after `from` (or before
/// it), with the ops passed on the way in `between`; null if there is none.
Operation *nearestOfKernel(Operation *from, int64_t kernel, bool after,
                           SmallVectorImpl<Operation *> &between) {
  for (Operation *op = after ? from->getNextNode() : from->getPrevNode(); op;
       op = after ? op->getNextNode() : op->getPrevNode()) {
    if (isa<linalg::LinalgOp>(op) && dlc::fusion::plannedKernel(op) == kernel)
      return op;
    between.push_back(op);
  }
  return nullptr;
}

} // namespace

linalg::GenericOp dlc::epilogue::takeEpilogue(RewriterBase &rewriter,
                                              linalg::LinalgOp contraction) {
  std::optional<int64_t> kernel = plannedProduct(contraction);
  if (!kernel)
    return {};
  Value out = contraction.getDpsInitOperand(0)->get();
  SmallVector<Operation *> between;
  auto epilogue = dyn_cast_or_null<linalg::GenericOp>(
      nearestOfKernel(contraction, *kernel, /*after=*/true, between));
  if (!epilogue || !epilogue.hasPureBufferSemantics() ||
      epilogue.getNumReductionLoops() != 0 ||
      epilogue.getNumLoops() != cast<MemRefType>(out.getType()).getRank())
    return {};

  // It reads the output block by block with the identity and touches the
  // output's buffer nowhere else; its outputs are dense.
  Value outRoot = rootOf(out);
  bool readsOutput = false;
  llvm::SmallPtrSet<Value, 8> touched, written;
  for (OpOperand &operand : epilogue->getOpOperands()) {
    AffineMap map = epilogue.getMatchingIndexingMap(&operand);
    if (epilogue.isDpsInit(&operand) && !map.isIdentity())
      return {};
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    Value root = rootOf(operand.get());
    touched.insert(root);
    if (epilogue.isDpsInit(&operand))
      written.insert(root);
    if (root != outRoot)
      continue;
    if (operand.get() != out || !map.isIdentity())
      return {};
    readsOutput |= epilogue.isDpsInput(&operand);
  }
  if (!readsOutput)
    return {};
  // Blocks of the output become final while the contraction still reads its
  // operands: the epilogue must not write them.
  for (OpOperand *input : contraction.getDpsInputOperands())
    if (written.contains(rootOf(input->get())))
      return {};

  // The ops in between run after the epilogue once it moves: those it uses
  // (allocations, index arithmetic) move before the contraction; the others
  // must not touch its buffers.
  llvm::SmallPtrSet<Operation *, 8> needed;
  auto need = [&](Operation *user) {
    llvm::SetVector<Value> used(user->operand_begin(), user->operand_end());
    getUsedValuesDefinedAbove(user->getRegions(), used);
    for (Value v : used)
      if (Operation *def = v.getDefiningOp())
        needed.insert(def);
  };
  need(epilogue);
  SmallVector<Operation *> hoisted;
  for (Operation *op : llvm::reverse(between)) {
    if (needed.contains(op)) {
      if (op->getNumRegions() != 0 ||
          !(isMemoryEffectFree(op) || isa<memref::AllocOp>(op)))
        return {};
      hoisted.push_back(op);
      need(op);
      continue;
    }
    if (isMemoryEffectFree(op))
      continue;
    // Reading what the epilogue only reads is no conflict (Adam's
    // coefficients are shared by every parameter's update).
    llvm::SmallPtrSet<Value, 8> reads, writes;
    if (!dlc::buffers::accesses(op, reads, writes))
      return {}; // effects we cannot see through
    for (Value w : writes)
      if (touched.contains(w))
        return {};
    for (Value r : reads)
      if (written.contains(r))
        return {};
  }
  for (Operation *op : llvm::reverse(hoisted))
    rewriter.moveOpBefore(op, contraction);
  rewriter.moveOpAfter(epilogue, contraction);
  return epilogue;
}

linalg::LinalgOp dlc::epilogue::takePrologue(RewriterBase &rewriter,
                                             linalg::LinalgOp contraction) {
  std::optional<int64_t> kernel = plannedProduct(contraction);
  if (!kernel)
    return {};
  Value out = contraction.getDpsInitOperand(0)->get();
  Value outRoot = rootOf(out);
  SmallVector<Operation *> between;
  auto prologue = dyn_cast_or_null<linalg::LinalgOp>(
      nearestOfKernel(contraction, *kernel, /*after=*/false, between));
  if (!prologue || !prologue.hasPureBufferSemantics() ||
      prologue.getNumDpsInits() != 1 || prologue.getNumReductionLoops() != 0 ||
      prologue.getNumLoops() != cast<MemRefType>(out.getType()).getRank() ||
      !sameView(prologue.getDpsInitOperand(0)->get(), out) ||
      !prologue.getMatchingIndexingMap(prologue.getDpsInitOperand(0))
           .isIdentity())
    return {};
  llvm::SmallPtrSet<Value, 8> reads;
  for (OpOperand *input : prologue.getDpsInputOperands()) {
    if (!isa<MemRefType>(input->get().getType()))
      continue;
    Value root = rootOf(input->get());
    if (root == outRoot)
      return {};
    reads.insert(root);
  }
  for (Operation *op : between) {
    if (isMemoryEffectFree(op))
      continue;
    llvm::SmallPtrSet<Value, 8> opReads, opWrites;
    if (!dlc::buffers::accesses(op, opReads, opWrites) ||
        opReads.contains(outRoot) || opWrites.contains(outRoot) ||
        llvm::any_of(opWrites, [&](Value w) { return reads.contains(w); }))
      return {};
  }
  rewriter.moveOpBefore(prologue, contraction);
  return prologue;
}

linalg::LinalgOp
dlc::epilogue::collapsePrologueLikeOutput(RewriterBase &rewriter,
                                          linalg::LinalgOp prologue,
                                          linalg::LinalgOp contraction) {
  Value out = contraction.getDpsInitOperand(0)->get();
  if (prologue.getDpsInitOperand(0)->get() == out)
    return prologue;
  if (auto fill = dyn_cast<linalg::FillOp>(prologue.getOperation())) {
    rewriter.setInsertionPoint(contraction);
    auto collapsed = linalg::FillOp::create(rewriter, fill.getLoc(),
                                            fill.getInputs()[0], out);
    fusion::setPlan(collapsed, fusion::planOf(fill));
    rewriter.eraseOp(fill);
    return cast<linalg::LinalgOp>(collapsed.getOperation());
  }
  auto generic = dyn_cast<linalg::GenericOp>(prologue.getOperation());
  if (!generic)
    return {};
  linalg::GenericOp collapsed =
      collapseLikeOutput(rewriter, generic, contraction);
  if (!collapsed)
    return {};
  rewriter.moveOpBefore(collapsed, contraction);
  return cast<linalg::LinalgOp>(collapsed.getOperation());
}

linalg::GenericOp
dlc::epilogue::collapseLikeOutput(RewriterBase &rewriter,
                                  linalg::GenericOp epilogue,
                                  linalg::LinalgOp contraction) {
  auto collapse = contraction.getDpsInitOperand(0)
                      ->get()
                      .getDefiningOp<memref::CollapseShapeOp>();
  if (!collapse)
    return epilogue;
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  if (!linalg::areDimSequencesPreserved(epilogue.getIndexingMapsArray(),
                                        groups))
    return {};
  // The collapsed views go before the contraction (the epilogue's tiles
  // will use them inside its loops), the collapsed op stays after it.
  SmallVector<NamedAttribute> plan = fusion::planOf(epilogue);
  rewriter.setInsertionPoint(contraction);
  FailureOr<linalg::CollapseResult> collapsed = linalg::collapseOpIterationDims(
      cast<linalg::LinalgOp>(epilogue.getOperation()), groups, rewriter);
  if (failed(collapsed))
    return {};
  auto generic =
      dyn_cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
  if (!generic) {
    rewriter.eraseOp(collapsed->collapsedOp);
    return {};
  }
  fusion::setPlan(generic, plan);
  rewriter.moveOpAfter(generic, contraction);
  rewriter.eraseOp(epilogue);
  return generic;
}

FailureOr<linalg::LinalgOp>
dlc::epilogue::tileIntoBlocks(RewriterBase &rewriter, linalg::LinalgOp epilogue,
                              linalg::LinalgOp contraction,
                              ArrayRef<int64_t> sizes, ArrayRef<int64_t> order,
                              ArrayRef<LoopLikeOpInterface> loops,
                              bool beforeReduction) {
  OpOperand *outOperand = contraction.getDpsInitOperand(0);
  AffineMap outMap = contraction.getMatchingIndexingMap(outOperand);
  // An epilogue reads the output, a prologue writes it, with the identity.
  auto onOutput = [&](OpOperand *operand) {
    return sameView(operand->get(), outOperand->get()) &&
           epilogue.getMatchingIndexingMap(operand).isIdentity();
  };
  if (loops.size() != order.size() ||
      epilogue.getNumLoops() != outMap.getNumResults() ||
      (beforeReduction
           ? !(epilogue.getNumDpsInits() == 1 &&
               onOutput(epilogue.getDpsInitOperand(0)))
           : llvm::none_of(epilogue.getDpsInputOperands(), onOutput)))
    return failure();
  // The block loops (loops[i] tiles loop order[i] of the contraction), then
  // the reductions: the epilogue goes right after the first of those, the
  // prologue right before it.
  SmallVector<utils::IteratorType> iterators =
      contraction.getIteratorTypesArray();
  size_t firstReduction =
      llvm::find_if(order,
                    [&](int64_t d) {
                      return iterators[d] == utils::IteratorType::reduction;
                    }) -
      order.begin();
  if (firstReduction == 0 || firstReduction == order.size())
    return failure();
  SmallVector<scf::ForOp> blockLoops;
  for (AffineExpr e : outMap.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(e);
    if (!dim)
      return failure();
    size_t at = llvm::find(order, dim.getPosition()) - order.begin();
    if (at >= firstReduction)
      return failure();
    auto loop =
        dyn_cast<scf::ForOp>(LoopLikeOpInterface(loops[at]).getOperation());
    if (!loop ||
        getConstantIntValue(loop.getStep()) != sizes[dim.getPosition()])
      return failure();
    blockLoops.push_back(loop);
  }

  // Offsets and sizes of the block, one per output dimension (= epilogue
  // loop): min(tile, ub - iv) where the tile may not divide the extent, which
  // peeling folds to the tile in the loops of full tiles.
  MLIRContext *ctx = rewriter.getContext();
  Location loc = epilogue.getLoc();
  Operation *reduction =
      LoopLikeOpInterface(loops[firstReduction]).getOperation();
  if (beforeReduction)
    rewriter.setInsertionPoint(reduction);
  else
    rewriter.setInsertionPointAfter(reduction);
  SmallVector<OpFoldResult> offsets, tileSizes;
  for (scf::ForOp loop : blockLoops) {
    int64_t tile = *getConstantIntValue(loop.getStep());
    offsets.push_back(loop.getInductionVar());
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
    if (tile == 1 || (lb && ub && (*ub - *lb) % tile == 0)) {
      tileSizes.push_back(rewriter.getIndexAttr(tile));
      continue;
    }
    AffineMap bounded =
        AffineMap::get(1, 1,
                       {getAffineConstantExpr(tile, ctx),
                        getAffineSymbolExpr(0, ctx) - getAffineDimExpr(0, ctx)},
                       ctx);
    tileSizes.push_back(affine::makeComposedFoldedAffineMin(
        rewriter, loc, bounded,
        {OpFoldResult(loop.getInductionVar()),
         OpFoldResult(loop.getUpperBound())}));
  }
  FailureOr<TilingResult> tiled =
      cast<TilingInterface>(epilogue.getOperation())
          .getTiledImplementation(rewriter, offsets, tileSizes);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return failure();
  rewriter.eraseOp(epilogue);
  return cast<linalg::LinalgOp>(tiled->tiledOps.front());
}
