//===- DLReductionOps.td - reductions over axes ------------*- tablegen -*-===//

#ifndef DL_REDUCTION_OPS_TD
#define DL_REDUCTION_OPS_TD

class DL_ReduceOp<string mnemonic, string what, TypeConstraint tensor = DL_NumericTensor>
    : DL_Op<mnemonic, [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = what # " over the given axes";
  let description = [{
    Reduces `input` over `axes` (sorted, distinct, in range). Without
    `keepdims` the reduced axes disappear; with it they stay as size 1.

    ```mlir
    %r = dl.}] # mnemonic # [{ %x along [1] keepdims : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins tensor:$input, DenseI64ArrayAttr:$axes, UnitAttr:$keepdims);
  let results = (outs tensor:$result);
  let assemblyFormat = "$input `along` $axes (`keepdims` $keepdims^)? attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def DL_ReduceSumOp : DL_ReduceOp<"reduce_sum", "Sum">;
def DL_ReduceMeanOp : DL_ReduceOp<"reduce_mean", "Arithmetic mean", DL_FloatTensor>;
def DL_ReduceMaxOp : DL_ReduceOp<"reduce_max", "Maximum (NaN propagates)">;
def DL_ReduceMinOp : DL_ReduceOp<"reduce_min", "Minimum (NaN propagates)">;

#endif // DL_REDUCTION_OPS_TD
