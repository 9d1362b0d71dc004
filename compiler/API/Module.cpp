//===- Module.cpp - calling JIT-compiled DL functions ---------------------===//
//
// Calling convention (what convert-func-to-llvm produces, through the
// HostEngine's packed wrappers `_mlir_<name>(void **)`): every memref
// argument expands to (allocated, aligned, offset, sizes[rank],
// strides[rank]); parameters come first, in declaration order, then the
// function's arguments; the result is one such descriptor, written through
// the last pointer. The result buffer is owned by the caller (ownership-based
// deallocation guarantees it), so we copy it into a Tensor and free it.
//
//===----------------------------------------------------------------------===//
#include "compiler/API/MemRefDescriptor.h"
#include "compiler/API/ModuleImpl.h"

#include "dlrt/Cuda.h"
#include "dlrt/HostMemory.h"
#include "dlrt/Random.h"
#include "dlrt/Safetensors.h"

#include "llvm/Support/Error.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

using namespace dl;

Module::Module(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Module::Module(Module &&) noexcept = default;
Module &Module::operator=(Module &&) noexcept = default;
Module::~Module() = default;

const std::vector<FunctionInfo> &Module::functions() const {
  return impl->functions;
}

const FunctionInfo *Module::function(const std::string &name) const {
  for (const FunctionInfo &f : impl->functions)
    if (f.name == name)
      return &f;
  return nullptr;
}

namespace {

/// Checks `t` against a declared type, binding symbols.
dlrt::Status checkArgument(const std::string &fn, const ArgumentInfo &want,
                           const Tensor &t,
                           std::map<std::string, int64_t> &bound) {
  auto mismatch = [&](const std::string &why) {
    return dlrt::Status::error("'" + fn + "': argument '" + want.name +
                               "' expects " + want.typeString + ", got " +
                               t.typeString() + ": " + why);
  };
  if (t.empty())
    return dlrt::Status::error("'" + fn + "': argument '" + want.name +
                               "' is an empty (unallocated) tensor");
  if (t.dtype() != want.dtype)
    return mismatch("element types differ");
  if (t.rank() != static_cast<int64_t>(want.dims.size()))
    return mismatch("rank " + std::to_string(t.rank()) + " is not " +
                    std::to_string(want.dims.size()));
  for (size_t d = 0; d < want.dims.size(); ++d) {
    int64_t got = t.dim(d);
    if (want.dims[d] >= 0) {
      if (got != want.dims[d])
        return mismatch("dimension " + std::to_string(d) + " is " +
                        std::to_string(got) + ", not " +
                        std::to_string(want.dims[d]));
      continue;
    }
    auto [it, inserted] = bound.try_emplace(want.symbols[d], got);
    if (!inserted && it->second != got)
      return mismatch("'" + want.symbols[d] + "' is already bound to " +
                      std::to_string(it->second) + " but dimension " +
                      std::to_string(d) + " is " + std::to_string(got));
  }
  return dlrt::Status();
}

} // namespace

dlrt::Expected<Tensor> Module::call(const std::string &name,
                                    const std::vector<Tensor> &inputs) {
  const FunctionInfo *fn = function(name);
  if (fn && fn->results.size() != 1)
    return dlrt::Status::error("'" + name + "' returns " +
                               std::to_string(fn->results.size()) +
                               " tensors; use callAll");
  auto all = callAll(name, inputs);
  if (!all)
    return all.status();
  return std::move((*all)[0]);
}

dlrt::Expected<std::vector<Tensor>>
Module::callAll(const std::string &name, const std::vector<Tensor> &inputs) {
  return invoke(name, inputs, 0);
}

Module::Impl::~Impl() {
  for (DeviceMirror &m : mirrors)
    dlrt::cuda::release(m.device);
}

dlrt::Expected<void *> Module::Impl::onDevice(const Tensor &t) {
  for (DeviceMirror &m : mirrors)
    if (m.host.rawData() == t.rawData())
      return m.device;
  dlrt::Expected<void *> device = dlrt::cuda::allocate(t.byteSize());
  if (!device)
    return device.status();
  if (dlrt::Status s =
          dlrt::cuda::copyToDevice(*device, t.rawData(), t.byteSize());
      !s) {
    dlrt::cuda::release(*device);
    return s;
  }
  mirrors.push_back(DeviceMirror{t, *device, false});
  return *device;
}

void Module::Impl::markDeviceNewer(const Tensor &t) {
  for (DeviceMirror &m : mirrors)
    if (m.host.rawData() == t.rawData())
      m.deviceNewer = true;
}

dlrt::Status Module::Impl::pullToHost(Tensor &slot) {
  for (DeviceMirror &m : mirrors) {
    if (m.host.rawData() != slot.rawData() || !m.deviceNewer)
      continue;
    Tensor fresh(slot.dtype(), slot.shape());
    if (fresh.empty())
      return dlrt::Status::error("out of memory copying " + slot.typeString() +
                                 " from the GPU");
    if (dlrt::Status s =
            dlrt::cuda::copyToHost(fresh.rawData(), m.device, slot.byteSize());
        !s)
      return s;
    slot = fresh;
    m.host = fresh;
    m.deviceNewer = false;
  }
  return dlrt::Status();
}

void Module::Impl::collectMirrors() {
  llvm::erase_if(mirrors, [](DeviceMirror &m) {
    if (m.host.isShared())
      return false;
    dlrt::cuda::release(m.device);
    return true;
  });
}

namespace {

/// Appends a memref descriptor for `t`'s dense data at `data`.
void pushDescriptorAt(const void *data, const Tensor &t,
                      std::vector<int64_t> &fields) {
  dlc::appendDenseDescriptor(data, t.shape(), fields);
}

} // namespace

dlrt::Expected<std::vector<Tensor>>
Module::invoke(const std::string &name, const std::vector<Tensor> &inputs,
               size_t residentInputs) {
  const FunctionInfo *fn = function(name);
  if (!fn)
    return dlrt::Status::error("no function named '" + name + "'");
  if (inputs.size() != fn->arguments.size())
    return dlrt::Status::error(
        "'" + name + "' expects " + std::to_string(fn->arguments.size()) +
        " input(s), got " + std::to_string(inputs.size()));
  std::map<std::string, int64_t> bound;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (dlrt::Status s =
            checkArgument(name, fn->arguments[i], inputs[i], bound);
        !s)
      return s;

  // On the GPU, every argument is a device buffer: parameters and resident
  // state through their mirrors, other inputs in buffers for this call.
  Impl &m = *impl;
  std::vector<void *> passed, transient;
  auto releaseTransient = [&] {
    for (void *p : transient)
      dlrt::cuda::release(p);
  };
  if (m.gpu) {
    m.collectMirrors();
    for (const Tensor &p : m.params) {
      dlrt::Expected<void *> d = m.onDevice(p);
      if (!d)
        return d.status();
      passed.push_back(*d);
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      dlrt::Expected<void *> d =
          i < residentInputs ? m.onDevice(inputs[i])
                             : dlrt::cuda::allocate(inputs[i].byteSize());
      if (!d) {
        releaseTransient();
        return d.status();
      }
      passed.push_back(*d);
      if (i < residentInputs)
        continue;
      transient.push_back(*d);
      if (dlrt::Status s = dlrt::cuda::copyToDevice(*d, inputs[i].rawData(),
                                                    inputs[i].byteSize());
          !s) {
        releaseTransient();
        return s;
      }
    }
  } else {
    for (const Tensor &p : m.params)
      passed.push_back(const_cast<void *>(p.rawData()));
    for (const Tensor &t : inputs)
      passed.push_back(const_cast<void *>(t.rawData()));
  }

  std::vector<int64_t> fields;
  for (size_t i = 0; i < m.params.size(); ++i)
    pushDescriptorAt(passed[i], m.params[i], fields);
  for (size_t i = 0; i < inputs.size(); ++i)
    pushDescriptorAt(passed[m.params.size() + i], inputs[i], fields);
  // Several results come back as a struct of descriptors; every field is 8
  // bytes, so they lie one after another.
  std::vector<size_t> offsets;
  size_t total = 0;
  for (const ArgumentInfo &r : fn->results) {
    offsets.push_back(total);
    total += 3 + 2 * r.dims.size();
  }
  std::vector<int64_t> result(total, 0);
  std::vector<void *> args;
  args.reserve(fields.size() + 1);
  for (int64_t &f : fields)
    args.push_back(&f);
  args.push_back(result.data());
  if (llvm::Error err = m.engine->invokePacked(name, args)) {
    releaseTransient();
    return dlrt::Status::error("cannot call '" + name +
                               "': " + llvm::toString(std::move(err)));
  }
  if (m.gpu) {
    dlrt::Status s = dlrt::cuda::synchronize();
    if (!s) {
      releaseTransient();
      return dlrt::Status::error("'" + name +
                                 "' failed on the GPU: " + s.message());
    }
  }

  std::vector<Tensor> outs;
  std::vector<char *> toFree;
  std::string failure;
  for (size_t k = 0; k < fn->results.size(); ++k) {
    const int64_t *desc = result.data() + offsets[k];
    int64_t rank = static_cast<int64_t>(fn->results[k].dims.size());
    char *allocated = reinterpret_cast<char *>(desc[0]);
    const char *aligned = reinterpret_cast<const char *>(desc[1]);
    // The result is ours to free unless it is caller memory passed through
    // (or another result sharing its buffer).
    bool borrowed = llvm::is_contained(passed, allocated) ||
                    llvm::is_contained(toFree, allocated);
    if (!borrowed)
      toFree.push_back(allocated);
    Tensor out(fn->results[k].dtype, dlrt::Shape(desc + 3, desc + 3 + rank));
    if (out.empty()) {
      failure =
          "'" + name + "': cannot allocate the result " + out.typeString();
      continue;
    }
    size_t elemSize = dlrt::dtypeSize(fn->results[k].dtype);
    const char *base = aligned + desc[2] * elemSize;
    if (m.gpu) {
      // Results are dense (identity layouts): one copy.
      if (dlrt::Status s =
              dlrt::cuda::copyToHost(out.rawData(), base, out.byteSize());
          !s)
        failure = s.message();
    } else {
      dlc::copyStrided(base, elemSize, desc + 3, desc + 3 + rank, rank,
                       static_cast<char *>(out.rawData()));
    }
    outs.push_back(std::move(out));
  }
  for (char *f : toFree) {
    if (m.gpu)
      dlrt::cuda::release(f);
    else
      _mlir_memref_to_llvm_free(f); // compiled code allocates through dlrt
  }
  releaseTransient();
  if (!failure.empty())
    return dlrt::Status::error(failure);
  return outs;
}

dlrt::Expected<TrainStep> Module::trainStep() {
  if (impl->trainFunction.empty())
    return dlrt::Status::error(
        "no training step was compiled: set CompilerOptions::trainFunction");
  const FunctionInfo *fn = function(impl->trainFunction + ".step");
  if (!fn)
    return dlrt::Status::error("internal error: no '" + impl->trainFunction +
                               ".step' function");
  TrainStep step;
  step.module = this;
  step.function = fn->name;
  step.config = impl->optimizer;
  // The state arguments come first, then the coefficients.
  size_t buffers = 0;
  while (buffers < fn->arguments.size() &&
         fn->arguments[buffers].name != "coefficient")
    ++buffers;
  size_t perParam = impl->optimizer.kind != OptimizerConfig::Kind::SGD ? 2
                    : impl->optimizer.momentum != 0                    ? 1
                                                                       : 0;
  const char *adamNames[] = {".exp_avg", ".exp_avg_sq"};
  for (size_t k = 0; k < buffers; ++k) {
    const ArgumentInfo &info = fn->arguments[k];
    dlrt::Shape shape(info.dims.begin(), info.dims.end());
    step.buffers.emplace_back(info.dtype, shape);
    size_t kind = perParam ? k / (buffers / perParam) : 0;
    step.names.push_back(
        info.name + (perParam == 2 ? adamNames[kind] : ".momentum_buffer"));
  }
  return step;
}

dlrt::Status TrainStep::restore(int64_t steps, std::vector<Tensor> state) {
  if (steps < 0)
    return dlrt::Status::error("a step count cannot be negative");
  if (state.size() != buffers.size())
    return dlrt::Status::error(
        "the optimizer has " + std::to_string(buffers.size()) +
        " state tensors, got " + std::to_string(state.size()));
  for (size_t k = 0; k < state.size(); ++k)
    if (state[k].dtype() != buffers[k].dtype() ||
        state[k].shape() != buffers[k].shape())
      return dlrt::Status::error("optimizer state '" + names[k] + "' is " +
                                 buffers[k].typeString() + ", got " +
                                 state[k].typeString());
  buffers = std::move(state);
  t = steps;
  return dlrt::Status();
}

double LRSchedule::at(double lr, int64_t t) const {
  if (t < warmupSteps)
    return lr * double(t + 1) / double(warmupSteps);
  switch (kind) {
  case Kind::Constant:
    return lr;
  case Kind::Step:
    return lr * std::pow(gamma, double(t / std::max<int64_t>(stepSize, 1)));
  case Kind::Cosine: {
    if (t >= totalSteps)
      return minLr;
    double progress = double(t) / double(std::max<int64_t>(totalSteps, 1));
    return minLr + (lr - minLr) * (1 + std::cos(M_PI * progress)) / 2;
  }
  }
  return lr;
}

const std::vector<Tensor> &TrainStep::state() const {
  // Copies back from the GPU; a failed copy leaves the last host values.
  for (Tensor &b : buffers)
    (void)module->impl->pullToHost(b);
  return buffers;
}

dlrt::Status TrainStep::save(const std::string &path) const {
  for (Tensor &p : module->impl->params)
    if (dlrt::Status s = module->impl->pullToHost(p); !s)
      return s;
  for (Tensor &b : buffers)
    if (dlrt::Status s = module->impl->pullToHost(b); !s)
      return s;
  dlrt::TensorMap map;
  for (size_t i = 0; i < module->impl->paramSpecs.size(); ++i)
    map[module->impl->paramSpecs[i].name] = module->impl->params[i];
  for (size_t k = 0; k < buffers.size(); ++k)
    map["optimizer." + names[k]] = buffers[k];
  Tensor step(DType::I64, {}), seed(DType::I64, {});
  step.data<int64_t>()[0] = t;
  seed.data<int64_t>()[0] = static_cast<int64_t>(rngSeed);
  map["training.step"] = step;
  map["training.seed"] = seed;
  return dlrt::writeSafetensors(path, map);
}

dlrt::Status TrainStep::resume(const std::string &path) {
  dlrt::Expected<dlrt::TensorMap> loaded = dlrt::readSafetensors(path);
  if (!loaded)
    return loaded.status();
  auto scalar = [&](const char *name) -> dlrt::Expected<int64_t> {
    auto it = loaded->find(name);
    if (it == loaded->end())
      return dlrt::Status::error(path + ": missing '" + name +
                                 "' (not a training checkpoint written by "
                                 "--save?)");
    if (it->second.dtype() != DType::I64 || it->second.rank() != 0)
      return dlrt::Status::error(path + ": '" + name +
                                 "' must be an int64 scalar, got " +
                                 it->second.typeString());
    return it->second.data<int64_t>()[0];
  };
  auto steps = scalar("training.step");
  if (!steps)
    return steps.status();
  auto seed = scalar("training.seed");
  if (!seed)
    return seed.status();
  for (const auto &[key, value] : *loaded)
    if (llvm::StringRef(key).starts_with("optimizer.") &&
        !llvm::is_contained(names, key.substr(10)))
      return dlrt::Status::error(path + ": holds optimizer state '" + key +
                                 "' that this optimizer does not keep "
                                 "(saved with another optimizer?)");
  std::vector<Tensor> state;
  for (const std::string &n : names) {
    auto it = loaded->find("optimizer." + n);
    if (it == loaded->end())
      return dlrt::Status::error(path +
                                 ": missing optimizer state 'optimizer." + n +
                                 "' (saved with another optimizer?)");
    state.push_back(it->second);
  }
  // Check everything before changing anything.
  TrainStep probe = *this;
  if (dlrt::Status s = probe.restore(*steps, state); !s)
    return dlrt::Status::error(path + ": " + s.message());
  if (dlrt::Status s = module->loadParameters(path); !s)
    return s;
  buffers = std::move(probe.buffers);
  t = *steps;
  rngSeed = static_cast<uint64_t>(*seed);
  return dlrt::Status();
}

dlrt::Expected<double> TrainStep::run(const std::vector<Tensor> &inputs) {
  const FunctionInfo *fn = module->function(function);
  // Coefficients in double, cast once, as torch.optim computes them.
  double lr = learningRate();
  std::vector<double> coefficients = {lr};
  if (config.kind != OptimizerConfig::Kind::SGD) {
    double step = double(t + 1);
    double bc1 = 1 - std::pow(config.beta1, step);
    double bc2 = 1 - std::pow(config.beta2, step);
    coefficients.push_back(lr / bc1);
    coefficients.push_back(std::sqrt(bc2));
  }
  // The step writes parameters, buffers and state in place: first make sure
  // no copy a caller kept (Tensor copies share storage) sees the writes. On
  // the GPU the writes go to the device copies, pulled back when read.
  bool gpu = module->impl->gpu;
  for (Tensor &p : module->impl->params)
    if (!gpu && p.isShared())
      p = p.clone();
  for (Tensor &b : buffers)
    if (!gpu && b.isShared())
      b = b.clone();
  std::vector<Tensor> args(buffers);
  DType dtype = fn->result.dtype;
  for (double c : coefficients) {
    Tensor s(dtype, {});
    if (dtype == DType::F64)
      s.data<double>()[0] = c;
    else
      s.data<float>()[0] = static_cast<float>(c);
    args.push_back(s);
  }
  args.insert(args.end(), inputs.begin(), inputs.end());
  Tensor key(DType::I64, {});
  key.data<int64_t>()[0] =
      static_cast<int64_t>(dlrt::stepKey(rngSeed, static_cast<uint64_t>(t)));
  args.push_back(key);
  // callAll checks the inputs against the step's declared arguments.
  auto results = module->invoke(function, args, buffers.size());
  if (!results)
    return results.status();
  if (gpu) {
    for (const Tensor &p : module->impl->params)
      module->impl->markDeviceNewer(p);
    for (const Tensor &b : buffers)
      module->impl->markDeviceNewer(b);
  }
  double loss = dtype == DType::F64 ? (*results)[0].data<double>()[0]
                                    : (*results)[0].data<float>()[0];
  ++t;
  return loss;
}

std::vector<std::string> Module::parameterNames() const {
  std::vector<std::string> names;
  for (const ParamSpec &p : impl->paramSpecs)
    names.push_back(p.name);
  return names;
}

const Tensor *Module::parameter(const std::string &name) const {
  for (size_t i = 0; i < impl->paramSpecs.size(); ++i)
    if (impl->paramSpecs[i].name == name) {
      // A failed copy from the GPU leaves the last host values.
      (void)impl->pullToHost(impl->params[i]);
      return &impl->params[i];
    }
  return nullptr;
}

static dlrt::Status checkParameter(const ParamSpec &spec, const Tensor &value) {
  if (value.dtype() != spec.dtype || value.shape() != spec.shape)
    return dlrt::Status::error("parameter '" + spec.name + "' is declared " +
                               dlrt::dtypeName(spec.dtype) +
                               dlrt::shapeString(spec.shape) +
                               " but the value is " + value.typeString());
  return dlrt::Status();
}

dlrt::Status Module::setParameter(const std::string &name,
                                  const Tensor &value) {
  for (size_t i = 0; i < impl->paramSpecs.size(); ++i) {
    if (impl->paramSpecs[i].name != name)
      continue;
    if (dlrt::Status s = checkParameter(impl->paramSpecs[i], value); !s)
      return s;
    // Copy: the module must not alias memory the caller may change.
    Tensor copy(value.dtype(), value.shape());
    if (copy.empty())
      return dlrt::Status::error("out of memory copying parameter '" + name +
                                 "'");
    std::memcpy(copy.rawData(), value.rawData(), value.byteSize());
    impl->params[i] = copy;
    return dlrt::Status();
  }
  return dlrt::Status::error("no parameter named '" + name + "'");
}

void Module::initParameters(uint64_t seed) {
  for (size_t i = 0; i < impl->paramSpecs.size(); ++i) {
    const ParamSpec &spec = impl->paramSpecs[i];
    Tensor t(spec.dtype, spec.shape);
    if (t.empty()) // out of memory: keep the previous values
      continue;
    uint64_t stream = dlrt::streamOf(spec.name);
    // Fans as torch.nn.init computes them: dims 0 and 1 times the receptive
    // field (the product of the remaining dims).
    double receptive = 1, fanIn = 1, fanOut = 1;
    if (spec.shape.size() >= 2) {
      for (size_t d = 2; d < spec.shape.size(); ++d)
        receptive *= double(spec.shape[d]);
      fanIn = double(spec.shape[1]) * receptive;
      fanOut = double(spec.shape[0]) * receptive;
    }
    double arg = spec.args.empty() ? -1 : spec.args[0];
    if (spec.init == "kaiming_uniform" || spec.init == "kaiming_normal") {
      double a = arg < 0 ? 0 : arg; // negative slope of the nonlinearity
      double gain = std::sqrt(2.0 / (1 + a * a));
      if (spec.init == "kaiming_uniform") {
        double bound = gain * std::sqrt(3.0 / fanIn);
        dlrt::fillUniform(t, -bound, bound, seed, stream);
      } else {
        dlrt::fillNormal(t, 0, gain / std::sqrt(fanIn), seed, stream);
      }
    } else if (spec.init == "xavier_uniform" || spec.init == "xavier_normal") {
      double gain = arg < 0 ? 1 : arg;
      if (spec.init == "xavier_uniform") {
        double bound = gain * std::sqrt(6.0 / (fanIn + fanOut));
        dlrt::fillUniform(t, -bound, bound, seed, stream);
      } else {
        dlrt::fillNormal(t, 0, gain * std::sqrt(2.0 / (fanIn + fanOut)), seed,
                         stream);
      }
    } else if (spec.init == "ones")
      dlrt::fillConstant(t, 1.0);
    else if (spec.init == "uniform")
      dlrt::fillUniform(t, spec.args[0], spec.args[1], seed, stream);
    else if (spec.init == "normal")
      dlrt::fillNormal(t, spec.args[0], spec.args[1], seed, stream);
    impl->params[i] = t; // zeros: already zero-filled
  }
}

dlrt::Status Module::loadParameters(const std::string &path) {
  dlrt::Expected<dlrt::TensorMap> loaded = dlrt::readSafetensors(path);
  if (!loaded)
    return loaded.status();
  std::vector<Tensor> values;
  for (const ParamSpec &spec : impl->paramSpecs) {
    auto it = loaded->find(spec.name);
    if (it == loaded->end())
      return dlrt::Status::error(path + ": missing parameter '" + spec.name +
                                 "'");
    if (dlrt::Status s = checkParameter(spec, it->second); !s)
      return dlrt::Status::error(path + ": " + s.message());
    values.push_back(it->second);
  }
  impl->params = std::move(values);
  return dlrt::Status();
}

dlrt::Status Module::saveParameters(const std::string &path) const {
  for (Tensor &p : impl->params)
    if (dlrt::Status s = impl->pullToHost(p); !s)
      return s;
  dlrt::TensorMap map;
  for (size_t i = 0; i < impl->paramSpecs.size(); ++i)
    map[impl->paramSpecs[i].name] = impl->params[i];
  return dlrt::writeSafetensors(path, map);
}

std::string CompileResult::errors() const {
  std::string text;
  for (const Diagnostic &d : diagnostics)
    text += d.rendered;
  return text;
}
