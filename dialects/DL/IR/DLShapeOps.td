//===- DLShapeOps.td - reshaping and permuting -------------*- tablegen -*-===//

#ifndef DL_SHAPE_OPS_TD
#define DL_SHAPE_OPS_TD

def DL_ReshapeOp : DL_Op<"reshape", [Pure, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Same elements in row-major order, another shape";
  let description = [{
    The result type gives the new shape; at most one result dimension may be
    dynamic, and it is inferred from the element count (like -1 in
    `torch.reshape`). When every size is static, the counts must agree.

    ```mlir
    %r = dl.reshape %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins DL_NumericTensor:$input);
  let results = (outs DL_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def DL_TransposeOp : DL_Op<"transpose", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Permute dimensions";
  let description = [{
    Result dimension i is input dimension `permutation[i]`
    (`torch.permute`).

    ```mlir
    %r = dl.transpose %x [1, 0] : tensor<3x?xf32>
    ```
  }];
  let arguments = (ins DL_NumericTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs DL_NumericTensor:$result);
  let assemblyFormat = "$input $permutation attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
  // transpose(matmul(a, b)) -> matmul(transpose(b), transpose(a)) when that
  // saves a transpose (a weight gradient x^T @ g, transposed back to the
  // weight's layout, becomes g^T @ x).
  let hasCanonicalizer = 1;
}

def DL_SliceOp : DL_Op<"slice", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Elements [start, end) along one axis";
  let description = [{
    `0 <= start < end <= size` along `axis`, which must be static.

    ```mlir
    %r = dl.slice %x axis 1 [2, 5] : tensor<?x8xf32>
    ```
  }];
  let arguments = (ins DL_AnyTensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$end);
  let results = (outs DL_AnyTensor:$result);
  let assemblyFormat = "$input `axis` $axis `[` $start `,` $end `]` attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def DL_ConcatOp : DL_Op<"concat", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Join tensors along an axis";
  let description = [{
    Every input has the same element type and rank, and the same sizes
    except along `axis`, where sizes must be static and add up.

    ```mlir
    %r = dl.concat %a, %b axis 1 : tensor<?x3xf32>, tensor<?x5xf32>
    ```
  }];
  let arguments = (ins Variadic<DL_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs DL_AnyTensor:$result);
  let assemblyFormat = "$inputs `axis` $axis attr-dict `:` type($inputs)";
  let hasVerifier = 1;
}

def DL_BroadcastToOp : DL_Op<"broadcast_to", [Pure, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Repeat a tensor along axes to the shape of another";
  let description = [{
    `input` has the shape of `like` without `axes` (or with size 1 there);
    the result has `like`'s type and repeats `input` along `axes`. Only
    `like`'s shape is used. Autodiff builds it for the adjoints of
    reductions.

    ```mlir
    %r = dl.broadcast_to %g, %x axes [1] : tensor<?xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins DL_AnyTensor:$input, DL_AnyTensor:$like,
                       DenseI64ArrayAttr:$axes);
  let results = (outs DL_AnyTensor:$result);
  let assemblyFormat = "$input `,` $like `axes` $axes attr-dict `:` type($input) `,` type($like) `->` type($result)";
  let hasVerifier = 1;
}

#endif // DL_SHAPE_OPS_TD
