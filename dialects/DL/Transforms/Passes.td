//===- Passes.td - transformations of the dl dialect -------*- tablegen -*-===//

#ifndef DL_TRANSFORMS_PASSES_TD
#define DL_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DLDecompose : Pass<"dl-decompose"> {
  let summary = "Expand composite dl ops into primitive dl ops";
  let description = [{
    `dl.softmax`, `dl.log_softmax` and `dl.cross_entropy` are kept whole by
    the front end (so analyses and, later, autodiff see them as units) and are
    expanded here, before lowering, into the numerically stable forms:

    - softmax(x) = e / sum(e), e = exp(x - max(x))
    - log_softmax(x) = z - log(sum(exp(z))), z = x - max(x)
    - cross_entropy(l, y) = -mean(sum(one_hot(y) * log_softmax(l), 1))

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
    parameters..., updated state...). The gradient comes from
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
