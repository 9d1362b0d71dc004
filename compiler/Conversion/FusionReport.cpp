//===- FusionReport.cpp - which ops became one kernel, and why not more ---===//
//
// A printing analysis of linalg on tensors after fusion: every linalg op is
// one kernel (one loop nest on the CPU, one launch on the GPU). For each
// kernel: its iteration space, the source positions of the DL expressions it
// computes (the locations of the op and of every op in its body, which
// lowering and fusion keep), the scalar operations of its body; and for each
// input computed by another kernel, why the two were not fused.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>

namespace mlir::dl {
#define GEN_PASS_DEF_FUSIONREPORT
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// `line:col` of every source position in `loc` (fused and call-site
/// locations hold several).
void collectPositions(Location loc,
                      std::set<std::pair<unsigned, unsigned>> &out) {
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner))
      out.insert({file.getLine(), file.getColumn()});
    return WalkResult::advance();
  });
}

bool isElementwise(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops() &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(); });
}

std::string describe(linalg::LinalgOp op) {
  std::string kind = op->getName().stripDialect().str();
  if (isa<linalg::FillOp>(op))
    return kind;
  std::string out =
      kind + " [" + std::to_string(op.getNumParallelLoops()) + " parallel";
  if (unsigned r = op.getNumReductionLoops())
    out += ", " + std::to_string(r) + " reduction";
  return out + "]";
}

/// Why `producer` was not fused into `consumer` (which reads it, possibly
/// through shape-only ops listed in `through`).
std::string whyNotFused(linalg::LinalgOp producer, linalg::LinalgOp consumer,
                        ArrayRef<std::string> through, unsigned users) {
  if (isa<linalg::FillOp>(producer))
    return "the consumer accumulates into it (initial value of a reduction)";
  if (isa<linalg::TransposeOp>(producer))
    return "a transposed copy, made so that the consumer reads it "
           "contiguously (dl-cpu-loop-order)";
  if (!through.empty())
    return "a " + llvm::join(through, ", ") +
           " lies between them (data movement, not fused by "
           "linalg-fuse-elementwise-ops)";
  if (producer.getNumReductionLoops())
    return "the producer is a reduction: its result is complete only after "
           "the whole reduction";
  if (!isElementwise(consumer))
    return "the consumer is a contraction, convolution or reduction: an "
           "elementwise producer is not fused into it (it would be recomputed "
           "for every use of each element)";
  if (users > 1)
    return "the producer feeds " + std::to_string(users) +
           " kernels (fusing would compute it once per consumer)";
  if (!isElementwise(producer))
    return "the producer is not elementwise";
  return "not fused by linalg-fuse-elementwise-ops (an indexing map that is "
         "not a projected permutation?)";
}

struct FusionReportPass : dl::impl::FusionReportBase<FusionReportPass> {
  void runOnOperation() override {
    llvm::raw_ostream &os = llvm::outs();
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      std::map<Operation *, unsigned> number;
      SmallVector<linalg::LinalgOp> kernels;
      fn.walk([&](linalg::LinalgOp op) {
        number[op] = kernels.size() + 1;
        kernels.push_back(op);
      });
      os << "@" << fn.getSymName() << ": " << kernels.size() << " kernel"
         << (kernels.size() == 1 ? "" : "s") << "\n";
      for (linalg::LinalgOp op : kernels) {
        os << "  #" << number[op] << " " << describe(op) << "\n";
        std::set<std::pair<unsigned, unsigned>> positions;
        collectPositions(op->getLoc(), positions);
        llvm::SetVector<StringRef> scalar;
        op->walk([&](Operation *inner) {
          collectPositions(inner->getLoc(), positions);
          if (inner != op && !isa<linalg::YieldOp>(inner))
            scalar.insert(inner->getName().getStringRef());
        });
        os << "     source:";
        for (auto [line, col] : positions)
          os << " " << line << ":" << col;
        os << "\n";
        if (!scalar.empty())
          os << "     body: " << llvm::join(scalar, " ") << "\n";
        for (OpOperand *input : op.getDpsInputOperands()) {
          // Walk back through shape-only ops to the kernel that computed it.
          Value v = input->get();
          SmallVector<std::string> through;
          Operation *def = v.getDefiningOp();
          while (def && !isa<linalg::LinalgOp>(def) && def->getNumOperands() &&
                 isa<tensor::TensorDialect>(def->getDialect())) {
            through.push_back(def->getName().getStringRef().str());
            def = def->getOperand(0).getDefiningOp();
          }
          auto producer = dyn_cast_or_null<linalg::LinalgOp>(def);
          if (!producer || !number.count(producer))
            continue;
          unsigned users = 0;
          for (Operation *user : producer->getUsers())
            users += isa<linalg::LinalgOp>(user) ? 1 : 0;
          os << "     <- #" << number[producer] << ": "
             << whyNotFused(producer, op, through, std::max(users, 1u)) << "\n";
        }
        for (OpOperand &init : op.getDpsInitsMutable())
          if (auto fill = init.get().getDefiningOp<linalg::FillOp>())
            os << "     <- #" << number[fill]
               << " (initial value): " << whyNotFused(fill, op, {}, 1) << "\n";
      }
    }
  }
};

} // namespace
