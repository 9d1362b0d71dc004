//===- FusionReport.cpp - which ops became one kernel, and why not more ---===//
//
// A printing analysis of linalg on tensors after fusion: every linalg op is
// one kernel (one loop nest on the CPU, one launch on the GPU). For each
// kernel: its iteration space, the source positions of the DL expressions it
// computes (the locations of the op and of every op in its body, which
// lowering and fusion keep), the scalar operations of its body, the ops it
// was fused from (`dl.members`, recorded by dl-fuse-planned); and for each
// input computed by another kernel, why the two were not fused (the
// planner's rule, dlc::fusion::decideFusion, or the pass that made one of
// them after fusion).
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/FusionPlan.h"
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

/// Why the producer of `input` was not fused into its consumer (which reads
/// it, possibly through shape-only ops listed in `through`).
std::string whyNotFused(OpOperand &input, linalg::LinalgOp producer,
                        ArrayRef<std::string> through, bool planned) {
  if (isa<linalg::FillOp>(producer))
    return "the consumer accumulates into it (initial value of a reduction)";
  if (isa<linalg::TransposeOp>(producer))
    return "a transposed copy, made so that the consumer reads it "
           "contiguously (dl-cpu-loop-order)";
  std::optional<int64_t> a = dlc::fusion::plannedKernel(producer),
                         b = dlc::fusion::plannedKernel(input.getOwner());
  if (isa<linalg::TransposeOp>(input.getOwner()) && planned && !b)
    return "the consumer is a transposed copy for the next kernel's loop "
           "order, made after fusion (dl-cpu-loop-order)";
  if (!through.empty())
    return "a " + llvm::join(through, ", ") +
           " lies between them (data movement: fusion merges loop nests over "
           "the same tensors)";
  dlc::fusion::FusionDecision decision = dlc::fusion::decideFusion(input);
  std::string made = planned && !a
                         ? "the producer was made after fusion (a window copy, "
                           "dl-cpu-im2col)"
                         : "";
  if (!decision.fuse)
    return made.empty() ? decision.reason : made + "; " + decision.reason;
  if (a && b)
    return "the fusion plan keeps them apart (dl.kernel " + std::to_string(*a) +
           " and " + std::to_string(*b) + ")";
  if (!planned)
    return "fusable, but this IR has no fusion plan (dl-plan-fusion)";
  return made.empty() ? "the consumer was made after fusion" : made;
}

struct FusionReportPass : dl::impl::FusionReportBase<FusionReportPass> {
  void runOnOperation() override {
    llvm::raw_ostream &os = llvm::outs();
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      // An op in the same planned kernel as an earlier one is that
      // kernel's epilogue (dl-fuse-planned allows nothing else).
      // The loop nests of a horizontal kernel share its number too.
      std::map<Operation *, unsigned> number;
      std::map<int64_t, unsigned> numberOfPlanned, numberOfHorizontal;
      std::map<int64_t, unsigned> nestsOfHorizontal;
      SmallVector<linalg::LinalgOp> ops;
      unsigned count = 0;
      bool planned = false; // by dl-plan-fusion (else: any linalg IR)
      fn.walk([&](linalg::LinalgOp op) {
        std::optional<int64_t> k = dlc::fusion::plannedKernel(op);
        std::optional<int64_t> h = dlc::fusion::horizontalGroup(op);
        planned |= k.has_value();
        if (h && numberOfHorizontal.count(*h)) {
          number[op] = numberOfHorizontal[*h];
        } else if (k && numberOfPlanned.count(*k)) {
          number[op] = numberOfPlanned[*k];
        } else {
          number[op] = ++count;
          if (k)
            numberOfPlanned[*k] = count;
          if (h)
            numberOfHorizontal[*h] = count;
        }
        if (h)
          ++nestsOfHorizontal[*h];
        ops.push_back(op);
      });
      os << "@" << fn.getSymName() << ": " << count << " kernel"
         << (count == 1 ? "" : "s") << "\n";
      std::set<unsigned> printed;
      for (linalg::LinalgOp op : ops) {
        bool first = printed.insert(number[op]).second;
        std::optional<int64_t> h = dlc::fusion::horizontalGroup(op);
        // The prologue comes first: the product after it is no epilogue.
        auto prologueOf = [&](Operation *product) -> Operation * {
          for (OpOperand &init :
               cast<linalg::LinalgOp>(product).getDpsInitsMutable())
            if (Operation *p = init.get().getDefiningOp();
                p && number.count(p) && number[p] == number[product] &&
                dlc::fusion::isPrologueOf(p, product))
              return p;
          return nullptr;
        };
        bool prologue = first && op->getNumResults() == 1 &&
                        op->getResult(0).hasOneUse() &&
                        number.count(*op->getUsers().begin()) &&
                        number[*op->getUsers().begin()] == number[op] &&
                        dlc::fusion::isPrologueOf(op, *op->getUsers().begin());
        bool product = !first && !h && prologueOf(op);
        bool epilogue = !first && !h && !product;
        if (prologue)
          os << "  #" << number[op] << " prologue " << describe(op) << "\n";
        else if (product)
          os << "  #" << number[op] << " + product " << describe(op) << "\n";
        else if (epilogue)
          os << "  #" << number[op] << " + epilogue " << describe(op) << "\n";
        else if (!first)
          os << "  #" << number[op] << " + horizontal " << describe(op) << "\n";
        else
          os << "  #" << number[op] << " " << describe(op) << "\n";
        if (first && h) {
          unsigned more = nestsOfHorizontal[*h] - 1;
          os << "     horizontal: runs with " << more
             << " more independent loop nest" << (more == 1 ? "" : "s") << " (#"
             << number[op]
             << " + horizontal) as one kernel, one parallel loop over chunks "
                "of all their elements (dl-merge-horizontal)\n";
        }
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
        if (auto members =
                op->getAttrOfType<ArrayAttr>(dlc::fusion::kMembersAttr)) {
          os << "     fused from " << members.size() << " ops:\n";
          for (Attribute m : members)
            os << "       " << cast<StringAttr>(m).getValue() << "\n";
        }
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
          if (epilogue && number[producer] == number[op] && through.empty()) {
            os << "     <- #" << number[producer]
               << ": the contraction's epilogue, applied to each register "
                  "block of its output as soon as the block is complete "
                  "(dl-cpu-vectorize)\n";
            continue;
          }
          os << "     <- #" << number[producer] << ": "
             << whyNotFused(*input, producer, through, planned) << "\n";
        }
        if (Operation *p = product ? prologueOf(op) : nullptr)
          os << "     <- #" << number[p]
             << " (initial value): its prologue, written into each register "
                "block of the output right before the block's reduction "
                "(dl-cpu-vectorize)\n";
        for (OpOperand &init : op.getDpsInitsMutable())
          if (auto fill = init.get().getDefiningOp<linalg::FillOp>();
              fill && !product)
            os << "     <- #" << number[fill]
               << " (initial value): " << whyNotFused(init, fill, {}, planned)
               << "\n";
      }
    }
  }
};

} // namespace
