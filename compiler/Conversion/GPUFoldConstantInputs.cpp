//===- GPUFoldConstantInputs.cpp - splat constant inputs as scalars -------===//
//
// A linalg.generic reading a splat constant tensor (a layer norm's epsilon,
// attention's scale, a mean's 1/n, -inf as a maximum's start, all
// `arith.constant dense<v> : tensor<f32>` or a broadcast splat) reads the
// same value at every iteration. Bufferized, such a constant is a global:
// on the GPU a device copy made (4 bytes, from pageable host memory) and
// freed at every call, a kernel argument and a load per iteration; a
// broadcast of it is a kernel reading it rather than a fill of a constant.
// Here the block argument becomes an `arith.constant` scalar and the input
// goes, the op otherwise unchanged (its fusion plan's attributes kept).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"

namespace mlir::dl {
#define GEN_PASS_DEF_GPUFOLDCONSTANTINPUTS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// Replaces `generic`'s splat constant inputs by scalar constants; whether
/// any was.
bool foldConstantInputs(linalg::GenericOp generic) {
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  Block *body = generic.getBlock();
  bool folded = false;
  for (int64_t i = generic.getNumDpsInputs() - 1; i >= 0; --i) {
    OpOperand *input = generic.getDpsInputOperand(i);
    DenseElementsAttr value;
    if (!isa<RankedTensorType>(input->get().getType()) ||
        !matchPattern(input->get(), m_Constant(&value)) || !value.isSplat())
      continue;
    OpBuilder b(generic);
    Value scalar = arith::ConstantOp::create(b, generic.getLoc(),
                                             value.getSplatValue<TypedAttr>());
    BlockArgument arg = generic.getMatchingBlockArgument(input);
    arg.replaceAllUsesWith(scalar);
    maps.erase(maps.begin() + input->getOperandNumber());
    body->eraseArgument(arg.getArgNumber());
    generic.getInputsMutable().erase(i);
    folded = true;
  }
  if (folded)
    generic.setIndexingMapsAttr(OpBuilder(generic).getAffineMapArrayAttr(maps));
  return folded;
}

struct GPUFoldConstantInputsPass
    : dl::impl::GPUFoldConstantInputsBase<GPUFoldConstantInputsPass> {
  void runOnOperation() override {
    getOperation()->walk([](linalg::GenericOp generic) {
      if (generic.hasPureTensorSemantics())
        foldConstantInputs(generic);
    });
  }
};

} // namespace
