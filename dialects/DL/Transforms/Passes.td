//===- Passes.td - transformations of the dl dialect -------*- tablegen -*-===//

#ifndef DL_TRANSFORMS_PASSES_TD
#define DL_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DLDecompose : Pass<"dl-decompose"> {
  let summary = "Expand composite dl ops into primitive dl ops";
  let description = [{
    `dl.softmax`, `dl.log_softmax` and `dl.cross_entropy` are kept whole by
    the front end (so analyses and autodiff see them as units) and are
    expanded here, before lowering, into the numerically stable forms:

    - softmax(x) = e / sum(e), e = exp(x - max(x))
    - log_softmax(x) = z - log(sum(exp(z))), z = x - max(x)
    - cross_entropy(l, y) = -mean(sum(one_hot(y) * log_softmax(l), 1))
    - batch_norm, evaluation mode: (x - rm) * rsqrt(rv + eps) * w + b;
      training mode: the batch mean and biased variance over every axis but
      1 normalise x, and the running statistics come back as
      (1 - momentum) r + momentum s (unbiased variance, n / (n - 1) from
      dl.numel)
    - dropout: the input without a key; with one,
      x * convert(random_uniform(key, stream) >= p) * 1 / (1 - p)

    The pipelines run it twice: with `keep-differentiable` before
    `dl-autodiff`, which leaves the composites that have a derivative rule of
    their own (softmax, log_softmax, cross_entropy: a few kernels where the
    expansion's derivative takes dozens), and plainly after it. The
    derivatives of batch norm and dropout are those of their primitives: the
    mask is a forward value, so the backward pass multiplies by the same
    mask.

    Every op created carries the location of the op it expands.

    Before:
    ```mlir
    %p = dl.softmax %x axis 1 : tensor<?x10xf32>
    ```
    After:
    ```mlir
    %m = dl.reduce_max %x along [1] keepdims : tensor<?x10xf32>
    %z = dl.sub %x, %m : tensor<?x10xf32>, tensor<?x1xf32>
    %e = dl.exp %z : tensor<?x10xf32>
    %s = dl.reduce_sum %e along [1] keepdims : tensor<?x10xf32>
    %p = dl.div %e, %s : tensor<?x10xf32>, tensor<?x1xf32>
    ```
  }];
  let options = [
    Option<"keepDifferentiable", "keep-differentiable", "bool",
           /*default=*/"false",
           "Leave the composites that have a derivative rule of their own "
           "(softmax, log_softmax, cross_entropy) for a run after dl-autodiff">,
  ];
}

def DLTrainingMode : Pass<"dl-training-mode", "ModuleOp"> {
  let summary = "Copy each trained function into training mode";
  let description = [{
    MLIRGen emits every function in evaluation mode (batch norm with running
    statistics, dropout as the identity). For every function with a
    `dl.train` attribute this pass adds a private copy `@<name>.train`, moves
    the attribute to it, and in the copy:

    - appends an argument `tensor<i64> {dl.rng}`, the random key of the step,
      and gives every `dl.dropout` that key and its own `stream` (0, 1, ... in
      program order), so the masks of two sites differ and the backward pass
      sees the very mask the forward pass used;
    - sets `training` on every `dl.batch_norm` and, where its running
      statistics are parameters (arguments tagged `dl.param`), returns their
      new values as extra results; a module applied twice chains its updates
      like PyTorch's;
    - returns every argument tagged `dl.buffer = "step_count"` plus one;
    - records, in `dl.updates`, which argument each extra result replaces.

    Run after inlining (so the copy holds every op it calls) and before
    `dl-decompose`. The original keeps evaluation mode for `forward`, metrics
    and the test loss.

    Before:
    ```mlir
    func.func @loss(%rm: tensor<8xf32> {dl.param = "bn.running_mean", dl.buffer = "running"}, ...)
        -> tensor<f32> attributes {dl.train = {...}} {
      %y, %m, %v = dl.batch_norm %x, %w, %b, %rm, %rv <{...}> : ...
    ```
    After (plus @loss unchanged, without the attribute):
    ```mlir
    func.func private @loss.train(..., %key: tensor<i64> {dl.rng})
        -> (tensor<f32>, tensor<8xf32>, tensor<8xf32>)
        attributes {dl.train = {...}, dl.updates = array<i64: 0, 1>} {
      %y, %m, %v = dl.batch_norm %x, %w, %b, %rm, %rv <{..., training}> : ...
      return %loss, %m, %v : ...
    ```
  }];
}

def DLAutodiff : Pass<"dl-autodiff", "ModuleOp"> {
  let summary = "Generate reverse-mode gradient functions";
  let description = [{
    For every `func.func` with the unit attribute `dl.differentiate` that
    returns one rank-0 float tensor, adds `@<name>.grad`: same arguments,
    returning the value and then the gradient with respect to every float
    argument tagged `dl.param`, in order.

    The forward ops are cloned once; the backward pass walks them in reverse,
    asking each op's `VJPOpInterface` for its operands' adjoints (forward
    values are reused, not recomputed) and summing adjoints where a value
    fans out. Activity analysis: only values that depend on a parameter are
    differentiated, so data and integer labels get no adjoint. Every backward
    op carries the location of the forward op it comes from. Ops without a
    derivative rule are all reported, with their locations, before the pass
    fails. Run after `dl-decompose` and inlining; canonicalise afterwards to
    drop adjoints nothing needs.

    Before:
    ```mlir
    func.func @f(%w: tensor<3xf32> {dl.param = "w"}, %x: tensor<3xf32>)
        -> tensor<f32> attributes {dl.differentiate} {
      %0 = dl.mul %w, %x : tensor<3xf32>, tensor<3xf32>
      %1 = dl.reduce_sum %0 along [0] : tensor<3xf32>
      return %1 : tensor<f32>
    }
    ```
    After (plus @f unchanged):
    ```mlir
    func.func @f.grad(%w: tensor<3xf32> {dl.param = "w"}, %x: tensor<3xf32>)
        -> (tensor<f32>, tensor<3xf32>) {
      %0 = dl.mul %w, %x : tensor<3xf32>, tensor<3xf32>
      %1 = dl.reduce_sum %0 along [0] : tensor<3xf32>
      %one = dl.constant dense<1.0> : tensor<f32>
      %g = dl.broadcast_to %one, %0 axes [0] : tensor<f32>, tensor<3xf32> -> tensor<3xf32>
      %dw = dl.mul %g, %x : tensor<3xf32>, tensor<3xf32>
      return %1, %dw : tensor<f32>, tensor<3xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def DLMaterializeOptimizer : Pass<"dl-materialize-optimizer", "ModuleOp"> {
  let summary = "Compile a training step: gradient and optimizer update";
  let description = [{
    For every function with a `dl.train` dictionary attribute (a scalar
    loss), adds `@<name>.step` with arguments (parameters..., optimizer
    state..., coefficients..., data...) returning (loss, updated
    parameters..., updated state...), and marks those results `dl.in_place`
    (`dl-update-in-place` later writes them into their arguments). The
    trained parameters are the float `dl.param` arguments that are neither
    buffers (`dl.buffer`) nor named in the dictionary's `frozen` list;
    buffers take the training-mode updates of a `<name>.train` function
    (`dl.updates`), frozen parameters come back unchanged, and the step of
    `<name>.train` is called `<name>.step`. The gradient comes from
    `buildGradientFunction`; the update follows torch.optim exactly:

    - `{optimizer = "sgd", momentum, nesterov, weight_decay}`: one momentum
      buffer per parameter when momentum is non-zero; coefficient: lr;
    - `{optimizer = "adam" | "adamw", beta1, beta2, eps, weight_decay}`: two
      moment buffers per parameter; coefficients: lr, lr / (1 - beta1^t) and
      sqrt(1 - beta2^t), computed by the caller in double precision as
      PyTorch does, so schedules and bias corrections need no recompilation.

    Before:
    ```mlir
    func.func @loss(%w: tensor<3xf32> {dl.param = "w"}, %x: tensor<3xf32>) -> tensor<f32>
        attributes {dl.train = {optimizer = "sgd", momentum = 0.0 : f64,
                                nesterov = false, weight_decay = 0.0 : f64}}
    ```
    After: `@loss.step(%w, %lr, %x) -> (tensor<f32>, tensor<3xf32>)`
    computing `w - lr * dloss/dw`.
  }];
}

#endif // DL_TRANSFORMS_PASSES_TD
