//===- DLLogicOps.td - comparisons, selection, conversions -*- tablegen -*-===//

#ifndef DL_LOGIC_OPS_TD
#define DL_LOGIC_OPS_TD

def DL_CompareOp : DL_Op<"compare", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "Elementwise comparison with NumPy broadcasting";
  let description = [{
    `predicate` is one of `eq`, `ne`, `lt`, `le`, `gt`, `ge`; the result is an
    `i1` tensor of the broadcast shape. Floats compare as IEEE: every
    comparison with NaN is false except `ne`. Integers compare signed.

    ```mlir
    %m = dl.compare "lt" %a, %b : tensor<?x4xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins StrAttr:$predicate, DL_AnyTensor:$lhs, DL_AnyTensor:$rhs);
  let results = (outs DL_BoolTensor:$result);
  let assemblyFormat = "$predicate $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
}

def DL_SelectOp : DL_Op<"select", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "where(cond, a, b) with NumPy broadcasting of all three";
  let description = [{
    ```mlir
    %r = dl.select %c, %a, %b : tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins DL_BoolTensor:$cond, DL_AnyTensor:$lhs, DL_AnyTensor:$rhs);
  let results = (outs DL_AnyTensor:$result);
  let assemblyFormat = "$cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
}

def DL_ConvertOp : DL_Op<"convert", [Pure, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Elementwise element-type conversion";
  let description = [{
    Same shape, another element type: float <-> float rounds to nearest,
    float -> int truncates toward zero (like a C cast; NaN and out-of-range
    values have no defined result), int -> float rounds, int <-> int
    sign-extends or truncates, bool -> number gives 0 or 1, number -> bool
    is `x != 0`.

    ```mlir
    %f = dl.convert %m : tensor<?xi1> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins DL_AnyTensor:$input);
  let results = (outs DL_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def DL_ArgMaxOp : DL_Op<"argmax", [Pure, InferTypeOpAdaptor]> {
  let summary = "Index of the maximum along an axis";
  let description = [{
    An `i64` tensor without `axis`. Ties resolve to the first index; NaN
    counts as the maximum (its first occurrence wins), as in `torch.argmax`.

    ```mlir
    %i = dl.argmax %x axis 1 : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins DL_NumericTensor:$input, I64Attr:$axis);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // DL_LOGIC_OPS_TD
