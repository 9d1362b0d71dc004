//===- DLTrainingOps.td - ops whose meaning depends on the mode -*- tablegen -*-===//
//
// Batch normalisation and dropout behave differently when a model trains
// (batch statistics, a random mask) and when it is evaluated (running
// statistics, the identity). MLIRGen emits them in evaluation mode;
// `dl-training-mode` switches the copy of a trained function to training
// mode; `dl-decompose` expands both forms into primitives, so their
// derivatives follow from the primitives' rules. random_uniform and numel
// are the primitives the training forms need.
//
//===----------------------------------------------------------------------===//

#ifndef DL_TRAINING_OPS_TD
#define DL_TRAINING_OPS_TD

def DL_BatchNormOp : DL_Op<"batch_norm", [Pure, InferTypeOpAdaptor,
    AllTypesMatch<["weight", "bias", "running_mean", "running_var"]>]> {
  let summary = "Batch normalisation over every axis but the channel axis 1";
  let description = [{
    `torch.nn.functional.batch_norm`: input `[N, C, ...]`, weight, bias,
    running mean and running variance `[C]`. Results: the normalised input,
    then the updated running mean and running variance.

    Evaluation mode (no `training`): `(x - mean) / sqrt(var + eps) * w + b`
    with the running statistics, which come back unchanged.

    Training mode (`training`): the statistics of the batch (mean and biased
    variance over N and the spatial axes) normalise the input, and the running
    statistics become `(1 - momentum) * running + momentum * batch`, with the
    unbiased batch variance, as PyTorch does.

    ```mlir
    %y, %m, %v = dl.batch_norm %x, %w, %b, %rm, %rv <{eps = 1.0e-05 : f64,
        momentum = 1.0e-01 : f64, training}> : tensor<?x8x4x4xf32>, tensor<8xf32>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$input, DL_FloatTensor:$weight,
                       DL_FloatTensor:$bias, DL_FloatTensor:$running_mean,
                       DL_FloatTensor:$running_var, F64Attr:$eps,
                       F64Attr:$momentum, UnitAttr:$training);
  let results = (outs DL_FloatTensor:$result, DL_FloatTensor:$new_running_mean,
                      DL_FloatTensor:$new_running_var);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var prop-dict
    attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def DL_DropoutOp : DL_Op<"dropout", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Dropout: identity without a key, a random mask with one";
  let description = [{
    `torch.nn.functional.dropout`. Without `key` (evaluation mode) the result
    is the input. With a key (training mode) each element is kept with
    probability `1 - p` and scaled by `1 / (1 - p)`, or zeroed; the mask is
    `random_uniform(key, stream) >= p`, so the same key and stream give the
    same mask. `stream` tells the dropout sites of a function apart.

    ```mlir
    %y = dl.dropout %x, %key <{p = 5.0e-01 : f64, stream = 0 : i64}>
        : tensor<?x128xf32>, tensor<i64>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$input, Optional<0DTensorOf<[I64]>>:$key,
                       F64Attr:$p, I64Attr:$stream);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`,` $key^)? prop-dict attr-dict `:` type($input) (`,` type($key)^)?
  }];
  let hasVerifier = 1;
}

def DL_RandomUniformOp : DL_Op<"random_uniform", [Pure,
    AllTypesMatch<["like", "result"]>, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Counter-based uniform random numbers in [0, 1)";
  let description = [{
    A tensor of the shape and element type of `like` (whose values are not
    read) whose element at row-major position `i` is a function of
    `(key, stream, i)` alone: a SplitMix64 hash, of which the top 24 bits make
    a float in [0, 1). No state, so kernels can compute it anywhere, in any
    order, with the same result. It has no derivative (zero).

    ```mlir
    %u = dl.random_uniform %key, %x <{stream = 1 : i64}> : tensor<i64>, tensor<?x10xf32>
    ```
  }];
  let arguments = (ins 0DTensorOf<[I64]>:$key, DL_FloatTensor:$like,
                       I64Attr:$stream);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$key `,` $like prop-dict attr-dict `:` type($key) `,` type($like)";
}

def DL_NumelOp : DL_Op<"numel", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "The number of elements over some axes, as a float scalar";
  let description = [{
    The product of the sizes of `axes` of the input (dynamic sizes read at run
    time), as a rank-0 tensor of the input's float type. Used where a formula
    needs a count, such as the unbiased variance `n / (n - 1)`. Its derivative
    is zero.

    ```mlir
    %n = dl.numel %x <{axes = array<i64: 0, 2, 3>}> : tensor<?x8x4x4xf32>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
}

#endif // DL_TRAINING_OPS_TD
