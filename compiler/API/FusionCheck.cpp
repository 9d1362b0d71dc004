//===- FusionCheck.cpp - every fused kernel against its unfused ops -------===//
//
// The planned kernels are cut out of the module, each into a function whose
// arguments are what the kernel reads from outside (tensors and captured
// scalars; constants are cloned in) and whose results are what is read
// outside it. That module is lowered to the host twice, fused and unfused,
// through the same pipeline as any program (loop order, code generation,
// LLVM), and each function runs on the same random inputs in both.
//
// Sizes the IR leaves open (a batch `?`) must agree between arguments: they
// are found by following every loop of every op to the tensor dimensions it
// indexes (union-find); a class with a static member takes its size, the
// others `dynamicSize` (37 by default: odd, so vector remainders run, and
// larger than a register block).
//
//===----------------------------------------------------------------------===//
#include "compiler/API/FusionCheck.h"
#include "compiler/API/HostEngine.h"
#include "compiler/API/MemRefDescriptor.h"
#include "compiler/Conversion/FusionPlan.h"
#include "compiler/Pipelines/Pipelines.h"

#include "dlrt/HostMemory.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>

using namespace mlir;

namespace {

/// A dense, 64-byte-aligned host buffer (generated code may use aligned
/// vector accesses).
struct Buffer {
  Buffer() = default;
  explicit Buffer(size_t bytes)
      : bytes(bytes), data(static_cast<char *>(std::aligned_alloc(
                          64, (bytes + 63) / 64 * 64 + 64))) {}
  Buffer(const Buffer &other) : Buffer(other.bytes) {
    std::memcpy(data, other.data, bytes);
  }
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer() { std::free(data); }
  size_t bytes = 0;
  char *data = nullptr;
};

/// One argument of a kernel function with concrete sizes.
struct ArgSpec {
  Type type; // the tensor type, or the scalar type
  std::vector<int64_t> shape;
  bool isTensor = false;
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

unsigned byteWidth(Type elem) {
  if (elem.isIndex())
    return 8;
  return std::max(1u, elem.getIntOrFloatBitWidth() / 8);
}

/// Sizes for `fn`'s arguments: open sizes from the loops that tie them.
SmallVector<ArgSpec> concreteArguments(func::FuncOp fn, int64_t dynamicSize) {
  DenseMap<std::pair<const void *, unsigned>, unsigned> ids;
  SmallVector<unsigned> parent;
  auto node = [&](const void *key, unsigned d) {
    auto [it, inserted] = ids.try_emplace({key, d}, parent.size());
    if (inserted)
      parent.push_back(parent.size());
    return it->second;
  };
  auto find = [&](unsigned x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  };
  auto unite = [&](unsigned a, unsigned b) { parent[find(a)] = find(b); };
  // Loops are keyed by their op and a position no tensor has.
  constexpr unsigned kLoop = 1u << 20;
  fn.walk([&](linalg::LinalgOp op) {
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<RankedTensorType>(operand.get().getType()))
        continue;
      AffineMap map = op.getMatchingIndexingMap(&operand);
      for (unsigned j = 0; j < map.getNumResults(); ++j)
        if (auto d = dyn_cast<AffineDimExpr>(map.getResult(j)))
          unite(node(operand.get().getAsOpaquePointer(), j),
                node(op.getOperation(), kLoop + d.getPosition()));
    }
    for (auto [result, init] : llvm::zip(op->getResults(), op.getDpsInits()))
      for (unsigned j = 0;
           j < cast<RankedTensorType>(result.getType()).getRank(); ++j)
        unite(node(result.getAsOpaquePointer(), j),
              node(init.getAsOpaquePointer(), j));
  });
  DenseMap<unsigned, int64_t> size;
  auto recordStatic = [&](Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type)
      return;
    for (unsigned j = 0; j < type.getRank(); ++j)
      if (!type.isDynamicDim(j))
        size[find(node(v.getAsOpaquePointer(), j))] = type.getDimSize(j);
  };
  fn.walk([&](Operation *op) {
    for (Value v : op->getOperands())
      recordStatic(v);
    for (Value v : op->getResults())
      recordStatic(v);
  });
  SmallVector<ArgSpec> specs;
  for (BlockArgument arg : fn.getArguments()) {
    ArgSpec spec;
    spec.type = arg.getType();
    if (auto type = dyn_cast<RankedTensorType>(arg.getType())) {
      spec.isTensor = true;
      for (unsigned j = 0; j < type.getRank(); ++j) {
        int64_t s = type.getDimSize(j);
        if (type.isDynamicDim(j)) {
          auto it = ids.find({arg.getAsOpaquePointer(), j});
          s = dynamicSize;
          if (it != ids.end())
            if (auto known = size.find(find(it->second)); known != size.end())
              s = known->second;
        }
        spec.shape.push_back(s);
      }
    }
    specs.push_back(spec);
  }
  return specs;
}

/// Random contents for `spec`: floats uniform in [lo, hi), integers in
/// [0, 10) (labels, indices), booleans 0/1, scalar integers and indices 2.
Buffer randomValue(const ArgSpec &spec, std::mt19937_64 &rng, double lo,
                   double hi) {
  Type elem = spec.isTensor ? cast<RankedTensorType>(spec.type).getElementType()
                            : spec.type;
  int64_t n = spec.isTensor ? spec.numElements() : 1;
  unsigned width = byteWidth(elem);
  Buffer b(std::max<size_t>(8, n * width));
  std::memset(b.data, 0, b.bytes);
  std::uniform_real_distribution<double> real(lo, hi);
  std::uniform_int_distribution<int64_t> small(0, 9);
  for (int64_t i = 0; i < n; ++i) {
    char *at = b.data + i * width;
    if (elem.isF32()) {
      float v = static_cast<float>(real(rng));
      std::memcpy(at, &v, 4);
    } else if (elem.isF64()) {
      double v = real(rng);
      std::memcpy(at, &v, 8);
    } else {
      int64_t v = !spec.isTensor      ? 2
                  : elem.isInteger(1) ? small(rng) % 2
                                      : small(rng);
      std::memcpy(at, &v, width); // little-endian: the low bytes
    }
  }
  return b;
}

/// An output as doubles, with its element type.
struct Output {
  Type elem;
  SmallVector<int64_t> shape;
  std::vector<double> values;
};

double readElement(const char *at, Type elem) {
  if (elem.isF32()) {
    float v;
    std::memcpy(&v, at, 4);
    return v;
  }
  if (elem.isF64()) {
    double v;
    std::memcpy(&v, at, 8);
    return v;
  }
  int64_t v = 0;
  std::memcpy(&v, at, byteWidth(elem));
  unsigned bits = elem.isIndex() ? 64 : elem.getIntOrFloatBitWidth();
  if (bits < 64 && !elem.isInteger(1) && (v >> (bits - 1)) & 1)
    v -= int64_t(1) << bits; // sign-extend
  return static_cast<double>(v);
}

/// Calls `name` through its packed wrapper: each tensor argument as a memref
/// descriptor (allocated, aligned, offset, sizes, strides), each scalar by
/// value; the results come back as a struct of descriptors.
llvm::Expected<std::vector<Output>> call(dlc::HostEngine &engine,
                                         func::FuncOp fn,
                                         ArrayRef<ArgSpec> specs,
                                         ArrayRef<Buffer> inputs) {
  std::vector<int64_t> fields;
  for (auto [spec, buffer] : llvm::zip(specs, inputs)) {
    if (!spec.isTensor) {
      int64_t slot = 0;
      std::memcpy(&slot, buffer.data, 8);
      fields.push_back(slot);
      continue;
    }
    dlc::appendDenseDescriptor(buffer.data, spec.shape, fields);
  }
  std::vector<size_t> offsets;
  size_t total = 0;
  for (Type t : fn.getResultTypes()) {
    offsets.push_back(total);
    total += 3 + 2 * cast<RankedTensorType>(t).getRank();
  }
  std::vector<int64_t> result(total, 0);
  std::vector<void *> args;
  for (int64_t &f : fields)
    args.push_back(&f);
  args.push_back(result.data());
  if (llvm::Error err = engine.invokePacked(fn.getSymName(), args))
    return std::move(err);
  std::vector<Output> outs;
  SmallVector<void *> toFree;
  for (auto [k, t] : llvm::enumerate(fn.getResultTypes())) {
    auto type = cast<RankedTensorType>(t);
    const int64_t *desc = result.data() + offsets[k];
    int64_t rank = type.getRank();
    Output out;
    out.elem = type.getElementType();
    out.shape.assign(desc + 3, desc + 3 + rank);
    unsigned width = byteWidth(out.elem);
    const char *base =
        reinterpret_cast<const char *>(desc[1]) + desc[2] * width;
    int64_t n = 1;
    for (int64_t d : out.shape)
      n *= d;
    std::vector<char> dense(n * width);
    dlc::copyStrided(base, width, desc + 3, desc + 3 + rank, rank,
                     dense.data());
    for (int64_t i = 0; i < n; ++i)
      out.values.push_back(readElement(dense.data() + i * width, out.elem));
    auto *allocated = reinterpret_cast<void *>(desc[0]);
    if (!llvm::is_contained(toFree, allocated))
      toFree.push_back(allocated);
    outs.push_back(std::move(out));
  }
  for (void *p : toFree)
    _mlir_memref_to_llvm_free(p); // the compiled code allocates through dlrt
  return outs;
}

/// Lowers a module in linalg on tensors to the LLVM dialect (the CPU tail
/// and the host pipeline, one thread) and JIT-compiles it.
llvm::Expected<std::unique_ptr<dlc::HostEngine>> compile(ModuleOp module) {
  dlc::registerPassesAndPipelines();
  PassManager pm(module.getContext());
  std::string error;
  if (failed(dlc::addPipeline(pm, dlc::kCPULinalgTailPipeline, error)) ||
      failed(dlc::addPipeline(pm, dlc::linalgToLLVMPipeline(1), error)))
    return llvm::createStringError(error);
  if (failed(pm.run(module)))
    return llvm::createStringError("lowering a kernel function failed");
  return dlc::HostEngine::create(module, /*optLevel=*/2, /*threads=*/1);
}

/// Tolerance for one output: both sides run the same scalar operations per
/// element; only a reduction's summation order may differ (vectorised sums
/// are reassociated), which moves a sum of R terms by at most about
/// R * eps * max|term|. R is bounded by the elements the kernel reads per
/// output element.
double tolerance(Type elem, double termsPerOutput, double scale) {
  if (!isa<FloatType>(elem))
    return 0; // integers (argmax indices, masks) must be equal
  double eps = elem.isF64() ? std::numeric_limits<double>::epsilon()
                            : std::numeric_limits<float>::epsilon();
  return 4 * std::max(1.0, termsPerOutput) * eps * (1 + scale);
}

struct Comparison {
  double worst = 0; // largest |candidate - reference|
  double limit = 0; // the tolerance at the worst element
  bool ok = true;
  int64_t elements = 0, nans = 0;
};

Comparison compare(const Output &ref, const Output &got,
                   double termsPerOutput) {
  Comparison c;
  if (ref.shape != got.shape || ref.values.size() != got.values.size()) {
    c.ok = false;
    return c;
  }
  double scale = 0;
  for (double v : ref.values)
    if (std::isfinite(v))
      scale = std::max(scale, std::fabs(v));
  double limit = tolerance(ref.elem, termsPerOutput, scale);
  c.limit = limit;
  for (size_t i = 0; i < ref.values.size(); ++i) {
    double a = ref.values[i], b = got.values[i];
    ++c.elements;
    if (std::isnan(a) || std::isnan(b)) {
      c.nans += 1;
      c.ok &= std::isnan(a) && std::isnan(b);
      continue;
    }
    if (std::isinf(a) || std::isinf(b)) {
      c.ok &= a == b;
      continue;
    }
    double d = std::fabs(a - b);
    c.worst = std::max(c.worst, d);
    c.ok &= d <= limit;
  }
  return c;
}

/// Runs `name` from both engines on two input sets (signed values in
/// [-2, 2), positive ones in [0.25, 2): logs and roots get real numbers) and
/// prints one line.
bool runAndCompare(dlc::HostEngine &reference, dlc::HostEngine &candidate,
                   func::FuncOp fn, int64_t dynamicSize, uint64_t seed,
                   const std::string &label, llvm::raw_ostream &os,
                   std::string &error) {
  SmallVector<ArgSpec> specs = concreteArguments(fn, dynamicSize);
  double inputElements = 0, outputElements = 0;
  for (const ArgSpec &s : specs)
    inputElements += s.isTensor ? s.numElements() : 0;
  Comparison total;
  bool ok = true;
  std::mt19937_64 rng(seed);
  for (auto [lo, hi] : {std::pair(-2.0, 2.0), std::pair(0.25, 2.0)}) {
    std::vector<Buffer> inputs;
    for (const ArgSpec &s : specs)
      inputs.push_back(randomValue(s, rng, lo, hi));
    // Each side gets its own copy: kernels may write into their arguments.
    std::vector<Buffer> copy(inputs.begin(), inputs.end());
    auto ref = call(reference, fn, specs, inputs);
    auto got = call(candidate, fn, specs, copy);
    if (!ref || !got) {
      error = "calling " + label + " failed: " +
              (ref ? llvm::toString(got.takeError())
                   : llvm::toString(ref.takeError()));
      if (!ref && got)
        llvm::consumeError(got.takeError());
      return false;
    }
    outputElements = 0;
    for (const Output &o : *ref)
      outputElements += o.values.size();
    double termsPerOutput = inputElements / std::max(1.0, outputElements);
    for (auto [r, g] : llvm::zip(*ref, *got)) {
      Comparison c = compare(r, g, termsPerOutput);
      ok &= c.ok;
      if (c.worst >= total.worst) {
        total.worst = c.worst;
        total.limit = c.limit;
      }
      total.elements += c.elements;
      total.nans += c.nans;
    }
  }
  os << label << ": " << fn.getNumResults() << " output"
     << (fn.getNumResults() == 1 ? "" : "s") << ", "
     << static_cast<int64_t>(outputElements)
     << " elements, max |fused - "
        "unfused| "
     << llvm::format("%.3g", total.worst) << " (tolerance "
     << llvm::format("%.3g", total.limit) << ")"
     << (total.nans ? ", " + std::to_string(total.nans) + " NaN in both" : "")
     << ": " << (ok ? "ok" : "MISMATCH") << "\n";
  return ok;
}

/// What a cut-out kernel is, for the report. A horizontal kernel's function
/// holds its member kernels, which stay `nests` ops after fusion.
struct KernelFunction {
  std::string name, label;
  unsigned nests = 1;
};

/// Cuts `members` (ops of `fn`'s body, in order) out into a function
/// `name` at the end of `b`'s block: what they read from outside becomes
/// its arguments (constants are cloned in), what is read outside them its
/// results.
void cutOut(func::FuncOp fn, ArrayRef<Operation *> members,
            const std::string &name, OpBuilder &b) {
  llvm::SmallPtrSet<Operation *, 8> memberSet(members.begin(), members.end());
  llvm::SetVector<Value> inputs;
  llvm::SetVector<Operation *> constants;
  auto read = [&](Value v) {
    Operation *def = v.getDefiningOp();
    if (def && memberSet.contains(def))
      return;
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.insert(def);
    else
      inputs.insert(v);
  };
  for (Operation *op : members) {
    for (Value v : op->getOperands())
      read(v);
    op->walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        if (!op->isAncestor(v.getParentRegion()->getParentOp()))
          read(v);
    });
  }
  SmallVector<Value> outputs;
  for (Operation *op : members)
    for (Value r : op->getResults())
      if (llvm::any_of(r.getUsers(), [&](Operation *user) {
            return !memberSet.contains(user);
          }))
        outputs.push_back(r);
  auto type = b.getFunctionType(
      llvm::to_vector(
          llvm::map_range(inputs, [](Value v) { return v.getType(); })),
      llvm::to_vector(
          llvm::map_range(outputs, [](Value v) { return v.getType(); })));
  auto f = func::FuncOp::create(b, fn.getLoc(), name, type);
  Block *entry = f.addEntryBlock();
  OpBuilder body = OpBuilder::atBlockEnd(entry);
  IRMapping map;
  for (auto [v, arg] : llvm::zip(inputs, entry->getArguments()))
    map.map(v, arg);
  for (Operation *c : constants)
    body.clone(*c, map);
  for (Operation *op : members)
    body.clone(*op, map);
  func::ReturnOp::create(body, fn.getLoc(),
                         llvm::to_vector(llvm::map_range(
                             outputs, [&](Value v) { return map.lookup(v); })));
}

/// Cuts every planned kernel of two or more ops, and every horizontal
/// kernel (its member kernels together), out of `planned` into functions at
/// the end of `into`.
std::vector<KernelFunction> outlineKernels(ModuleOp planned, ModuleOp into) {
  std::vector<KernelFunction> made;
  OpBuilder b = OpBuilder::atBlockEnd(into.getBody());
  for (func::FuncOp fn : planned.getOps<func::FuncOp>()) {
    if (fn.isExternal())
      continue;
    std::map<int64_t, SmallVector<Operation *>> kernels, horizontals;
    for (Operation &op : fn.getBody().front())
      if (isa<linalg::LinalgOp>(op))
        if (std::optional<int64_t> k = dlc::fusion::plannedKernel(&op)) {
          kernels[*k].push_back(&op);
          if (std::optional<int64_t> h = dlc::fusion::horizontalGroup(&op))
            horizontals[*h].push_back(&op);
        }
    for (auto &[k, members] : kernels) {
      if (members.size() < 2)
        continue;
      std::string name =
          (fn.getSymName() + ".kernel" + std::to_string(k)).str();
      cutOut(fn, members, name, b);
      std::string label = "@" + fn.getSymName().str() + " kernel " +
                          std::to_string(k) + " (" +
                          std::to_string(members.size()) + " ops: ";
      for (auto [i, op] : llvm::enumerate(members))
        label += (i ? ", " : "") + dlc::fusion::describeMember(op);
      made.push_back({name, label + ")"});
    }
    for (auto &[h, members] : horizontals) {
      std::set<int64_t> nests;
      for (Operation *op : members)
        nests.insert(*dlc::fusion::plannedKernel(op));
      if (nests.size() < 2)
        continue;
      std::string name =
          (fn.getSymName() + ".horizontal" + std::to_string(h)).str();
      cutOut(fn, members, name, b);
      std::string label = "@" + fn.getSymName().str() + " horizontal kernel " +
                          std::to_string(h) + " (" +
                          std::to_string(nests.size()) + " kernels of " +
                          std::to_string(members.size()) + " ops)";
      made.push_back({name, label, unsigned(nests.size())});
    }
  }
  return made;
}

/// Lowers and JIT-compiles `reference` and `candidate`; `error` on failure.
bool compileBoth(ModuleOp reference, ModuleOp candidate,
                 std::unique_ptr<dlc::HostEngine> &refEngine,
                 std::unique_ptr<dlc::HostEngine> &candEngine,
                 std::string &error) {
  for (auto [module, engine] :
       {std::pair(reference, &refEngine), std::pair(candidate, &candEngine)}) {
    auto compiled = compile(module);
    if (!compiled) {
      error = llvm::toString(compiled.takeError());
      return false;
    }
    *engine = std::move(*compiled);
  }
  return true;
}

} // namespace

dlc::FusionCheckSummary dlc::verifyFusion(ModuleOp planned,
                                          llvm::raw_ostream &os, uint64_t seed,
                                          int64_t dynamicSize) {
  FusionCheckSummary summary;
  OwningOpRef<ModuleOp> fused = ModuleOp::create(planned.getLoc());
  std::vector<KernelFunction> kernels = outlineKernels(planned, *fused);
  summary.kernels = kernels.size();
  if (kernels.empty()) {
    os << "no fused kernels (no planned kernel has two or more ops)\n";
    return summary;
  }
  // The reference: the same functions with every op a kernel of its own.
  OwningOpRef<ModuleOp> unfused = fused->clone();
  unfused->walk([](Operation *op) {
    op->removeAttr(fusion::kKernelAttr);
    op->removeAttr(fusion::kHorizontalAttr);
  });
  // Argument sizes come from the unfused bodies (the ops as planned).
  OwningOpRef<ModuleOp> shapes = unfused->clone();

  registerPassesAndPipelines();
  PassManager pm(planned.getContext());
  std::string error;
  if (failed(addPipeline(pm, kFusePlannedPipeline, error)) ||
      failed(pm.run(*fused))) {
    summary.error = "fusing the cut-out kernels failed" +
                    (error.empty() ? "" : ": " + error);
    return summary;
  }
  // The plan must have made each of them one op (one per member kernel of
  // a horizontal kernel), or a contraction with its prologue and epilogue,
  // if any (computed per output block by the CPU code generator).
  for (const KernelFunction &k : kernels) {
    auto fn = fused->lookupSymbol<func::FuncOp>(k.name);
    SmallVector<Operation *> ops;
    fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    ArrayRef<Operation *> kernel = ops;
    if (kernel.size() >= 2 && fusion::isPrologueOf(kernel[0], kernel[1]))
      kernel = kernel.drop_front();
    if (kernel.size() == 1 ||
        (kernel.size() == 2 && fusion::isEpilogueOf(kernel[1], kernel[0])))
      continue;
    if (ops.size() != k.nests) {
      os << k.label << ": fused into " << ops.size() << " ops, not " << k.nests
         << ": MISMATCH\n";
      ++summary.mismatches;
    }
  }
  std::unique_ptr<dlc::HostEngine> refEngine, fusedEngine;
  if (!compileBoth(*unfused, *fused, refEngine, fusedEngine, summary.error))
    return summary;
  for (const KernelFunction &k : kernels) {
    auto fn = shapes->lookupSymbol<func::FuncOp>(k.name);
    if (!runAndCompare(*refEngine, *fusedEngine, fn, dynamicSize, seed, k.label,
                       os, summary.error)) {
      if (!summary.error.empty())
        return summary;
      ++summary.mismatches;
    }
  }
  return summary;
}

dlc::FusionCheckSummary
dlc::compareFunctions(ModuleOp reference, ModuleOp candidate,
                      const std::string &function, llvm::raw_ostream &os,
                      uint64_t seed, int64_t dynamicSize) {
  FusionCheckSummary summary;
  summary.kernels = 1;
  OwningOpRef<ModuleOp> shapes = reference.clone();
  OwningOpRef<ModuleOp> ref = reference.clone(), cand = candidate.clone();
  auto fn = shapes->lookupSymbol<func::FuncOp>(function);
  if (!fn) {
    summary.error = "no function @" + function;
    return summary;
  }
  std::unique_ptr<dlc::HostEngine> refEngine, candEngine;
  if (!compileBoth(*ref, *cand, refEngine, candEngine, summary.error))
    return summary;
  if (!runAndCompare(*refEngine, *candEngine, fn, dynamicSize, seed,
                     "@" + function, os, summary.error) &&
      summary.error.empty())
    ++summary.mismatches;
  return summary;
}
