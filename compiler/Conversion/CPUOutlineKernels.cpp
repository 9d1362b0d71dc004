//===- CPUOutlineKernels.cpp - one LLVM function per loop nest ------------===//
//
// A training step is one function holding every kernel of the forward pass,
// the backward pass and the optimizer: for a 64-layer MLP, thousands of loop
// nests. LLVM's function passes grow faster than linearly with function
// size, so compiling the step took 73 s at 64 layers against 24 s at 32.
// Moving each top-level loop nest into a private function of its own, which
// LLVM must not inline back (`noinline`), keeps every function small: the
// cost becomes the sum over kernels, linear in the model's size. A call per
// kernel costs nothing next to the loop it runs. Identical kernels (the
// forward pass appears in forward, loss, the training step and the accuracy)
// are kept once.
//
//===----------------------------------------------------------------------===//
#include "compiler/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

#include <map>
#include <set>

namespace mlir::dl {
#define GEN_PASS_DEF_CPUOUTLINEKERNELS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;

namespace {

/// On a kernel call with `profile`: the source positions of the loop nest
/// it replaced.
constexpr llvm::StringLiteral kSourceAttr = "dl.source";

struct CPUOutlineKernelsPass
    : dl::impl::CPUOutlineKernelsBase<CPUOutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : functions) {
      if (fn.isExternal() || !fn.getBody().hasOneBlock())
        continue;
      SmallVector<Operation *> nests;
      for (Operation &op : fn.getBody().front())
        if (isa<scf::ForOp, scf::ParallelOp>(op))
          nests.push_back(&op);
      unsigned k = 0;
      for (Operation *nest : nests) {
        if (nest->getNumResults() != 0)
          continue;
        // Wrap the nest in a region of its own, with the constants it uses
        // inside (so that LLVM still sees them as constants), and outline it.
        rewriter.setInsertionPoint(nest);
        auto region =
            scf::ExecuteRegionOp::create(rewriter, nest->getLoc(), TypeRange());
        Block *block = rewriter.createBlock(&region.getRegion());
        rewriter.setInsertionPointToEnd(block);
        auto yield = scf::YieldOp::create(rewriter, nest->getLoc());
        nest->moveBefore(yield);
        SetVector<Value> above;
        getUsedValuesDefinedAbove(region.getRegion(), above);
        rewriter.setInsertionPointToStart(block);
        for (Value v : above) {
          Operation *def = v.getDefiningOp();
          if (!def || !matchPattern(v, m_Constant()))
            continue;
          Value copy = rewriter.clone(*def)->getResult(0);
          replaceAllUsesInRegionWith(v, copy, region.getRegion());
        }
        std::string name = (fn.getSymName() + ".kernel" + Twine(k++)).str();
        FailureOr<func::FuncOp> outlined = outlineSingleBlockRegion(
            rewriter, nest->getLoc(), region.getRegion(), name);
        if (failed(outlined)) {
          region.emitError("internal error: cannot outline a loop nest");
          return signalPassFailure();
        }
        outlined->setPrivate();
        (*outlined)->setAttr(
            "passthrough",
            rewriter.getArrayAttr({rewriter.getStringAttr("noinline")}));
        // The region now holds the call: splice it into the host function.
        Block &call = region.getRegion().front();
        // The profile names each call by the positions of its own kernel:
        // after deduplication the callee may be an identical kernel from
        // elsewhere (a loss's fill shares the forward pass's).
        if (profile)
          call.front().setAttr(
              kSourceAttr, rewriter.getStringAttr(sourcePositions(*outlined)));
        rewriter.eraseOp(call.getTerminator());
        rewriter.inlineBlockBefore(&call, region);
        rewriter.eraseOp(region);
        kernels.push_back(*outlined);
      }
    }
    deduplicate(module);
    if (profile)
      instrument(module);
  }

  /// "17:23 18:12": the source positions a kernel computes (at most four).
  static std::string sourcePositions(func::FuncOp kernel) {
    std::set<std::pair<unsigned, unsigned>> seen;
    kernel.walk([&](Operation *op) {
      op->getLoc()->walk([&](Location l) {
        if (auto f = dyn_cast<FileLineColLoc>(l))
          seen.insert({f.getLine(), f.getColumn()});
        return WalkResult::advance();
      });
    });
    std::string text;
    unsigned shown = 0;
    for (auto [line, col] : seen) {
      if (shown++ == 4) {
        text += " +" + std::to_string(seen.size() - 4);
        break;
      }
      text += (text.empty() ? "" : " ") + std::to_string(line) + ":" +
              std::to_string(col);
    }
    return text;
  }

  /// Brackets every kernel call with the runtime's profile clock.
  void instrument(ModuleOp module) {
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToStart(module.getBody());
    Location loc = module.getLoc();
    MLIRContext *ctx = module.getContext();
    Type i64 = builder.getI64Type();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    auto clock = func::FuncOp::create(builder, loc, "dlrt_profile_clock",
                                      builder.getFunctionType({}, {i64}));
    auto record = func::FuncOp::create(builder, loc, "dlrt_profile_kernel",
                                       builder.getFunctionType({ptr, i64}, {}));
    clock.setPrivate();
    record.setPrivate();
    SymbolTable symbols(module);
    unsigned names = 0;
    for (func::FuncOp fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal() || fn->hasAttr("passthrough"))
        continue; // only host functions call kernels
      SmallVector<func::CallOp> calls;
      for (auto call : fn.getOps<func::CallOp>())
        if (auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
            kernel && kernel->hasAttr("passthrough"))
          calls.push_back(call);
      unsigned site = 0;
      for (func::CallOp call : calls) {
        auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
        bool vectorized = false;
        kernel.walk([&](Operation *op) {
          vectorized |= isa<vector::VectorDialect>(op->getDialect());
        });
        auto source = call->getAttrOfType<StringAttr>(kSourceAttr);
        std::string name =
            (fn.getSymName() + " #" + Twine(site++) + " " +
             kernel.getSymName() + " @" +
             (source ? source.getValue().str() : sourcePositions(kernel)) +
             (vectorized ? " [vector]" : ""))
                .str();
        call->removeAttr(kSourceAttr);
        builder.setInsertionPoint(call);
        Value start =
            func::CallOp::create(builder, call.getLoc(), clock).getResult(0);
        builder.setInsertionPointAfter(call);
        Value text = LLVM::createGlobalString(
            call.getLoc(), builder, ("dl_profile_name" + Twine(names++)).str(),
            StringRef(name.c_str(), name.size() + 1), LLVM::Linkage::Internal);
        func::CallOp::create(builder, call.getLoc(), record,
                             ValueRange{text, start});
      }
    }
  }

  /// The forward pass's kernels exist once per entry point (forward, loss,
  /// the training step, the accuracy): identical kernels are compiled once.
  void deduplicate(ModuleOp module) {
    // Bucket by a cheap signature, compare bodies within a bucket.
    std::map<std::string, SmallVector<func::FuncOp>> buckets;
    for (func::FuncOp k : kernels) {
      std::string signature;
      llvm::raw_string_ostream os(signature);
      os << k.getFunctionType();
      k.walk([&](Operation *op) { os << ' ' << op->getName(); });
      buckets[signature].push_back(k);
    }
    // Calls are redirected in one walk at the end: redirecting each
    // duplicate separately walked the whole module per duplicate, quadratic
    // in the model's size (9 s for a 32-layer MLP).
    DenseMap<StringAttr, FlatSymbolRefAttr> redirect;
    SmallVector<func::FuncOp> duplicates;
    for (auto &[signature, group] : buckets) {
      SmallVector<func::FuncOp> kept;
      for (func::FuncOp k : group) {
        func::FuncOp same;
        for (func::FuncOp c : kept)
          if (OperationEquivalence::isRegionEquivalentTo(
                  &c.getBody(), &k.getBody(),
                  OperationEquivalence::IgnoreLocations)) {
            same = c;
            break;
          }
        if (!same) {
          kept.push_back(k);
          continue;
        }
        redirect[k.getSymNameAttr()] = FlatSymbolRefAttr::get(same);
        duplicates.push_back(k);
      }
    }
    module.walk([&](func::CallOp call) {
      auto it = redirect.find(call.getCalleeAttr().getAttr());
      if (it != redirect.end())
        call.setCalleeAttr(it->second);
    });
    for (func::FuncOp k : duplicates)
      k.erase();
  }

  SmallVector<func::FuncOp> kernels;
};

} // namespace
