//===- DLNNOps.td - neural-network ops ---------------------*- tablegen -*-===//
//
// Convolution, pooling, and the composites (softmax, log_softmax,
// cross_entropy) that `dl-decompose` expands into primitives before lowering.
//
//===----------------------------------------------------------------------===//

#ifndef DL_NN_OPS_TD
#define DL_NN_OPS_TD

def DL_Conv2dOp : DL_Op<"conv2d", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "2-D convolution (cross-correlation), NCHW input, FCHW filter";
  let description = [{
    `torch.nn.functional.conv2d`: input `[N, C, H, W]`, filter
    `[F, C / groups, KH, KW]`, optional bias `[F]`; zero padding of
    `padding = [ph, pw]` on each side, `stride` and `dilation` per spatial axis.
    Spatial sizes must be static; N may be dynamic.
    Output: `[N, F, (H + 2ph - dh(KH-1) - 1) / sh + 1, ...]`.

    ```mlir
    %y = dl.conv2d %x, %w, %b <{dilation = array<i64: 1, 1>, groups = 1 : i64,
           padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}>
         : tensor<?x1x28x28xf32>, tensor<64x1x3x3xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$input, DL_FloatTensor:$filter,
                       Optional<DL_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? prop-dict attr-dict `:` type($input) `,` type($filter) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

class DL_Pool2dOp<string mnemonic, string what>
    : DL_Op<mnemonic, [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = what # " pooling over 2-D windows, NCHW";
  let description = [{
    Windows of `kernel` with `stride`, over the input padded by `padding` on
    each side (max pooling pads with -inf; average pooling counts padded
    zeros, like PyTorch's default `count_include_pad=True`). Spatial sizes must
    be static.

    ```mlir
    %y = dl.}] # mnemonic # [{ %x <{kernel = array<i64: 2, 2>,
           padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}> : tensor<?x64x28x28xf32>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def DL_MaxPool2dOp : DL_Pool2dOp<"max_pool2d", "Maximum">;
def DL_AvgPool2dOp : DL_Pool2dOp<"avg_pool2d", "Average">;

class DL_SoftmaxLikeOp<string mnemonic, string what>
    : DL_Op<mnemonic, [Pure, SameOperandsAndResultType,
                       DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = what;
  let description = [{
    Along `axis`, computed stably (the maximum is subtracted first).
    A composite with a derivative rule of its own: `dl-decompose` rewrites it
    into reductions and elementwise ops after `dl-autodiff`.

    ```mlir
    %p = dl.}] # mnemonic # [{ %x axis 1 : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$input, I64Attr:$axis);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def DL_SoftmaxOp : DL_SoftmaxLikeOp<"softmax", "Softmax, exp(x) / sum(exp(x))">;
def DL_LogSoftmaxOp : DL_SoftmaxLikeOp<"log_softmax", "Log-softmax, x - log(sum(exp(x)))">;

def DL_OneHotOp : DL_Op<"one_hot", [Pure]> {
  let summary = "One-hot encoding of integer labels";
  let description = [{
    `[..., classes]` with 1 at each label's position, 0 elsewhere; a label
    outside `[0, classes)` gives an all-zero row.

    ```mlir
    %h = dl.one_hot %labels : tensor<?xi64> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins DL_IndexTensor:$labels);
  let results = (outs DL_NumericTensor:$result);
  let assemblyFormat = "$labels attr-dict `:` type($labels) `->` type($result)";
  let hasVerifier = 1;
}

def DL_CrossEntropyOp : DL_Op<"cross_entropy", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Mean cross-entropy of logits against integer labels";
  let description = [{
    `torch.nn.functional.cross_entropy(logits, labels)` with mean reduction:
    `-mean_n log_softmax(logits)[n, labels[n]]`. Logits `[N, C]`, labels
    `[N]`; the result is a scalar. A row whose label lies outside `[0, C)`
    adds zero to the sum (and has a zero gradient) but still counts in `N`.
    A composite with a derivative rule of its own (`softmax - one_hot`,
    scaled), expanded by `dl-decompose` after `dl-autodiff`.

    ```mlir
    %l = dl.cross_entropy %logits, %labels : tensor<?x10xf32>, tensor<?xi64>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$logits, DL_IndexTensor:$labels);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` type($logits) `,` type($labels)";
  let hasVerifier = 1;
}

def DL_EmbeddingOp : DL_Op<"embedding", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Rows of a table picked by integer indices";
  let description = [{
    `table [V, D]`, `indices [...]` -> `[..., D]` (`F.embedding`). An index
    outside `[0, V)` yields a row of NaN (never an out-of-bounds read).

    ```mlir
    %e = dl.embedding %table, %ids : tensor<100x16xf32>, tensor<?x8xi64>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$table, DL_IndexTensor:$indices);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$table `,` $indices attr-dict `:` type($table) `,` type($indices)";
}

//===----------------------------------------------------------------------===//
// Adjoint ops built by the derivative rules of conv2d and pooling
//===----------------------------------------------------------------------===//

def DL_Conv2dInputGradOp : DL_Op<"conv2d_input_grad", [Pure]> {
  let summary = "Adjoint of conv2d's input";
  let description = [{
    Given the output adjoint `grad [N, F, OH, OW]` and the filter, the
    adjoint of the input, whose type is the result type: every output
    position scatters `grad * filter` back over its window (padding
    discarded).

    ```mlir
    %dx = dl.conv2d_input_grad %g, %w <{dilation = array<i64: 1, 1>, groups = 1 : i64,
            padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}>
          : tensor<?x8x6x6xf32>, tensor<8x3x3x3xf32> -> tensor<?x3x6x6xf32>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$grad, DL_FloatTensor:$filter,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$grad `,` $filter prop-dict attr-dict `:` type($grad) `,` type($filter) `->` type($result)";
}

def DL_Conv2dFilterGradOp : DL_Op<"conv2d_filter_grad", [Pure]> {
  let summary = "Adjoint of conv2d's filter";
  let description = [{
    `sum over n, oh, ow of input window * grad`, with the filter's type as
    the result type.

    ```mlir
    %dw = dl.conv2d_filter_grad %x, %g <{dilation = array<i64: 1, 1>, groups = 1 : i64,
            padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}>
          : tensor<?x3x6x6xf32>, tensor<?x8x6x6xf32> -> tensor<8x3x3x3xf32>
    ```
  }];
  let arguments = (ins DL_FloatTensor:$input, DL_FloatTensor:$grad,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad prop-dict attr-dict `:` type($input) `,` type($grad) `->` type($result)";
}

def DL_Pool2dGradOp : DL_Op<"pool2d_grad", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Adjoint of max_pool2d or avg_pool2d's input";
  let description = [{
    `kind` is "max" (each window's gradient goes to the first position of
    its maximum, as in PyTorch) or "avg" (spread evenly over the window,
    padding included). `input` is the forward input.

    ```mlir
    %dx = dl.pool2d_grad "max" %x, %g <{kernel = array<i64: 2, 2>,
            padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}>
          : tensor<?x8x6x6xf32>, tensor<?x8x3x3xf32>
    ```
  }];
  let arguments = (ins StrAttr:$kind, DL_FloatTensor:$input, DL_FloatTensor:$grad,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$kind $input `,` $grad prop-dict attr-dict `:` type($input) `,` type($grad)";
  let extraClassDeclaration = [{
    // The result has the input's type.
  }];
  let builders = [
    OpBuilder<(ins "::llvm::StringRef":$kind, "::mlir::Value":$input,
                   "::mlir::Value":$grad, "::llvm::ArrayRef<int64_t>":$kernel,
                   "::llvm::ArrayRef<int64_t>":$stride,
                   "::llvm::ArrayRef<int64_t>":$padding), [{
      build($_builder, $_state, input.getType(), $_builder.getStringAttr(kind),
            input, grad, $_builder.getDenseI64ArrayAttr(kernel),
            $_builder.getDenseI64ArrayAttr(stride),
            $_builder.getDenseI64ArrayAttr(padding));
    }]>
  ];
}

#endif // DL_NN_OPS_TD
