//===- FusionPlan.cpp - the fusion rule and the plan's attributes ---------===//
#include "compiler/Conversion/FusionPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

#include <set>

using namespace mlir;

namespace dlc::fusion {

linalg::LinalgOp producerOf(OpOperand &input) {
  return input.get().getDefiningOp<linalg::LinalgOp>();
}

std::optional<int64_t> plannedKernel(Operation *op) {
  if (auto n = op->getAttrOfType<IntegerAttr>(kKernelAttr))
    return n.getInt();
  return std::nullopt;
}

std::optional<int64_t> horizontalGroup(Operation *op) {
  if (auto n = op->getAttrOfType<IntegerAttr>(kHorizontalAttr))
    return n.getInt();
  return std::nullopt;
}

std::string whyNotHorizontal(ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 16> inKernel(ops.begin(), ops.end());
  bool returned = false;
  for (Operation *op : ops) {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic || generic.getNumLoops() != generic.getNumParallelLoops())
      return "not elementwise";
    if (generic.getNumLoops() == 0)
      return "a scalar (nothing to share out)";
    if (!generic.getBody()->getOps<linalg::IndexOp>().empty())
      return "its body reads the iteration indices";
    for (OpOperand &operand : op->getOpOperands()) {
      auto type = dyn_cast<RankedTensorType>(operand.get().getType());
      AffineMap map = generic.getMatchingIndexingMap(&operand);
      if (!type || !type.hasStaticShape() ||
          !(map.isIdentity() || map.getNumResults() == 0))
        return "an operand is not a static tensor read with the identity or a "
               "scalar";
    }
    for (OpResult result : op->getResults())
      for (Operation *user : result.getUsers()) {
        if (isa<func::ReturnOp>(user)) {
          returned = true;
          continue;
        }
        if (!inKernel.contains(user))
          return "its result is read in the function";
      }
  }
  return returned ? "" : "none of its results is returned";
}

std::string whyNotRecomputed(linalg::LinalgOp producer) {
  if (!isa<linalg::GenericOp>(producer) || producer.getNumReductionLoops() ||
      producer->getNumResults() != 1)
    return "not an elementwise linalg.generic with one result";
  int fullSize = 0;
  for (OpOperand *in : producer.getDpsInputOperands())
    fullSize += producer.getMatchingIndexingMap(in).isPermutation();
  if (fullSize > 1)
    return "it reads " + std::to_string(fullSize) +
           " operands of its size (each consumer would read them all)";
  // A random-number hash (splitmix64: 15 integer ops) is worth its write.
  constexpr int kMaxOps = 8;
  int ops = 0;
  for (Operation &op : producer->getRegion(0).getOps()) {
    if (isa<linalg::IndexOp, linalg::YieldOp>(op))
      continue;
    if (++ops > kMaxOps)
      return "its body has more than " + std::to_string(kMaxOps) + " ops";
    if (!isa<arith::ArithDialect>(op.getDialect()) ||
        isa<arith::DivFOp, arith::RemFOp, arith::DivSIOp, arith::DivUIOp,
            arith::RemSIOp, arith::RemUIOp, arith::CeilDivSIOp,
            arith::FloorDivSIOp>(op))
      return "its body computes " + op.getName().getStringRef().str() +
             " (recomputed in each consumer, it would cost more than a "
             "kernel's write and read)";
  }
  return "";
}

/// How many times a consumer may read each element of a producer with a
/// math function through a broadcast, recomputing it each time: about one
/// vector's worth, the cost of the consumer's own work per element.
constexpr int64_t kMaxBroadcastRecompute = 16;

FusionDecision decideFusion(OpOperand &input, bool countUsers) {
  auto consumer = cast<linalg::LinalgOp>(input.getOwner());
  linalg::LinalgOp producer = producerOf(input);
  if (!producer)
    return {false, "not computed by a kernel"};
  if (consumer.isDpsInit(&input))
    return {false,
            "the consumer accumulates into it (initial value of a reduction)"};
  if (producer.getNumReductionLoops())
    return {false, "the producer is a reduction: its result is complete only "
                   "after the whole reduction"};
  std::string producerName = producer->getName().getStringRef().str();
  std::string consumerName = consumer->getName().getStringRef().str();
  if (!isa<linalg::GenericOp>(producer))
    return {false, "the producer is a " + producerName +
                       " (data movement or a library-shaped op): a kernel "
                       "of its own"};
  if (!isa<linalg::GenericOp>(consumer))
    return {false, "the consumer is a " + consumerName +
                       ", lowered as a whole (a named op takes plain "
                       "operands)"};
  AffineMap read = consumer.getMatchingIndexingMap(&input);
  if (!read.isProjectedPermutation())
    return {false, "the consumer reads it through a window (convolution or "
                   "pooling): fused, each element would be recomputed for "
                   "every window that covers it"};
  // A contraction or reduction that reads an element for several
  // iterations would recompute the producer's body that many times (a
  // matmul's left operand once per output column).
  if (consumer.getNumReductionLoops() && !read.isPermutation())
    return {false, "the consumer is a contraction or reduction that reads "
                   "each element several times: fused, the producer would be "
                   "recomputed for every use of each element"};
  // Read through a broadcast, the producer's body runs once per element of
  // the consumer: a math function (the log of row sums under a vocabulary
  // of 50,000) only where that is a few times per element of its own.
  if (!read.isPermutation()) {
    auto math =
        llvm::find_if(producer->getRegion(0).getOps(), [](Operation &op) {
          return isa<math::MathDialect>(op.getDialect());
        });
    std::optional<int64_t> times = 1;
    for (auto [d, range] : llvm::enumerate(consumer.getStaticLoopRanges()))
      if (!read.isFunctionOfDim(d) && times)
        times = ShapedType::isDynamic(range) ? std::nullopt
                                             : std::optional(*times * range);
    if (math != producer->getRegion(0).op_end() &&
        (!times || *times > kMaxBroadcastRecompute))
      return {false, "the consumer reads each element " +
                         (times ? std::to_string(*times) + " times"
                                : std::string("a number of times known at run "
                                              "time")) +
                         " through a broadcast, and the producer computes " +
                         math->getName().getStringRef().str() +
                         ": fused, it would compute it for every read"};
  }
  // Distinct users: a consumer reading it twice (x * x) still fuses it.
  // Users that are not kernels (the function's return: a new parameter or
  // optimizer moment) read the value the fused kernel also writes out, so
  // only other kernels count.
  llvm::SmallPtrSet<Operation *, 4> kernels;
  for (Operation *user : producer->getUsers())
    if (!isa<func::ReturnOp>(user))
      kernels.insert(user);
  if (countUsers && kernels.size() > 1) {
    std::string why = whyNotRecomputed(producer);
    return {false,
            "the producer feeds " + std::to_string(kernels.size()) +
                " ops (fused, it would be computed once per consumer)" +
                (why.empty() ? "" : " and is not cheap to recompute: " + why)};
  }
  if (!linalg::areElementwiseOpsFusable(&input))
    return {false, "linalg's elementwise fusion cannot merge the two loop "
                   "nests (the producer's result map is not invertible, or "
                   "the consumer's loops are not all covered)"};
  return {true, ""};
}

namespace {
/// Whether `op` is computed in register blocks on the CPU: a contraction,
/// or a convolution (a contraction after dl-cpu-im2col; poolings, with no
/// product in their body, become plain reductions without blocks), with
/// one f32 result (register blocks are f32). Empty when it is, else why
/// not, to follow "the producer" or "the consumer".
std::string whyNotBlocked(linalg::LinalgOp op) {
  bool convolution = linalg::isaConvolutionOpInterface(op) &&
                     !op->getRegion(0).getOps<arith::MulFOp>().empty();
  if (!linalg::isaContractionOpInterface(op) && !convolution)
    return "is not a contraction or convolution";
  if (op->getNumResults() != 1 ||
      !getElementTypeOrSelf(op->getResult(0).getType()).isF32())
    return "does not write one f32 result (register blocks are f32)";
  return "";
}
} // namespace

FusionDecision decidePrologue(OpOperand &init) {
  auto consumer = dyn_cast<linalg::LinalgOp>(init.getOwner());
  linalg::LinalgOp producer = init.get().getDefiningOp<linalg::LinalgOp>();
  if (!consumer || !producer || !consumer.isDpsInit(&init))
    return {false, "not the initial value of a linalg op computed by a kernel"};
  if (std::string why = whyNotBlocked(consumer); !why.empty())
    return {false, "the consumer " + why};
  if (!init.get().hasOneUse())
    return {false, "the initial value has other readers"};
  if (isa<linalg::FillOp>(producer))
    return {true, ""};
  auto generic = dyn_cast<linalg::GenericOp>(producer.getOperation());
  auto rank = cast<ShapedType>(init.get().getType()).getRank();
  if (!generic || generic->getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0 || generic.getNumLoops() != rank ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity() ||
      !generic.getBody()->getOps<linalg::IndexOp>().empty())
    return {false, "the producer is not a fill or an elementwise op over the "
                   "output (identity output map, no linalg.index)"};
  for (OpOperand *input : generic.getDpsInputOperands())
    if (generic.getMatchingIndexingMap(input).isPermutation())
      return {false, "the producer reads an operand of the output's size"};
  return {true, ""};
}

bool isPrologueOf(Operation *op, Operation *contraction) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(contraction);
  return linalgOp &&
         llvm::any_of(linalgOp.getDpsInitsMutable(), [&](OpOperand &init) {
           return init.get().getDefiningOp() == op && decidePrologue(init).fuse;
         });
}

FusionDecision decideEpilogue(OpOperand &input) {
  auto consumer = dyn_cast<linalg::GenericOp>(input.getOwner());
  linalg::LinalgOp producer = producerOf(input);
  if (!consumer || !producer || consumer.isDpsInit(&input))
    return {false, "not an input of a linalg.generic computed by a kernel"};
  if (std::string why = whyNotBlocked(producer); !why.empty())
    return {false, "the producer " + why};
  if (consumer.getNumReductionLoops() != 0)
    return {false, "the consumer is a reduction"};
  // The consumer's loops must be the output's dimensions, in order, for
  // each output block to be one block of the consumer.
  auto rank = cast<ShapedType>(input.get().getType()).getRank();
  if (rank < 2 || consumer.getNumLoops() != rank ||
      !consumer.getMatchingIndexingMap(&input).isIdentity() ||
      !llvm::all_of(consumer.getDpsInitsMutable(), [&](OpOperand &init) {
        return consumer.getMatchingIndexingMap(&init).isIdentity();
      }))
    return {false, "the consumer does not run over the output element by "
                   "element (identity maps, the output's rank of at least 2)"};
  for (OpOperand &other : consumer->getOpOperands())
    if (other.get() == input.get() &&
        !consumer.getMatchingIndexingMap(&other).isIdentity())
      return {false, "the consumer also reads the output at other positions"};
  // Measured on the seed CNN (docs/performance.md): Adam's update of
  // fc1.weight as the epilogue of its gradient's product took 9.1 ms a
  // step against 3.7 + 1.7 ms apart. The product visits its output in
  // register blocks of 8 rows a row apart; an epilogue reading further
  // operands of the output's size (parameters, moments, a saved activation)
  // reads each of them in that order too, which the prefetchers do not
  // follow, where a pass of its own streams them. Broadcast operands (a
  // bias row, scalars) cost nothing.
  for (OpOperand *other : consumer.getDpsInputOperands())
    if (other->get() != input.get() &&
        consumer.getMatchingIndexingMap(other).isPermutation())
      return {false, "the consumer reads another operand of the output's "
                     "size: in the product's block order it would be read "
                     "8 rows at a time, slower than a pass of its own"};
  return {true, ""};
}

bool isEpilogueOf(Operation *op, Operation *contraction) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp &&
         llvm::any_of(linalgOp.getDpsInputOperands(), [&](OpOperand *input) {
           return input->get().getDefiningOp() == contraction &&
                  decideEpilogue(*input).fuse;
         });
}

std::string describeMember(Operation *op) {
  std::string out = op->getName().stripDialect().str();
  llvm::SetVector<StringRef> body;
  std::set<std::pair<unsigned, unsigned>> positions;
  op->walk([&](Operation *inner) {
    inner->getLoc()->walk([&](Location loc) {
      if (auto file = dyn_cast<FileLineColLoc>(loc))
        positions.insert({file.getLine(), file.getColumn()});
      return WalkResult::advance();
    });
    if (inner != op && !isa<linalg::YieldOp>(inner))
      body.insert(inner->getName().getStringRef());
  });
  if (!body.empty())
    out += "(" + llvm::join(body, " ") + ")";
  for (auto [line, col] : positions)
    out += " " + std::to_string(line) + ":" + std::to_string(col);
  if (op->hasAttr(kRecomputedAttr))
    out += " [recomputed]";
  return out;
}

SmallVector<NamedAttribute> planOf(Operation *op) {
  SmallVector<NamedAttribute> plan;
  for (StringRef name : {StringRef(kKernelAttr), StringRef(kMembersAttr),
                         StringRef(kHorizontalAttr)})
    if (Attribute a = op->getAttr(name))
      plan.push_back(
          NamedAttribute(StringAttr::get(op->getContext(), name), a));
  return plan;
}

void setPlan(Operation *op, ArrayRef<NamedAttribute> plan) {
  for (NamedAttribute a : plan)
    op->setAttr(a.getName(), a.getValue());
}

FailureOr<linalg::GenericOp> generalizeKeepingPlan(RewriterBase &rewriter,
                                                   linalg::LinalgOp op) {
  SmallVector<NamedAttribute> plan = planOf(op);
  FailureOr<linalg::GenericOp> generic =
      linalg::generalizeNamedOp(rewriter, op);
  if (succeeded(generic))
    setPlan(*generic, plan);
  return generic;
}

SmallVector<Attribute> membersOf(Operation *op) {
  if (auto members = op->getAttrOfType<ArrayAttr>(kMembersAttr))
    return SmallVector<Attribute>(members.begin(), members.end());
  return {StringAttr::get(op->getContext(), describeMember(op))};
}

} // namespace dlc::fusion
