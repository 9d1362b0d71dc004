//===- DLOps.td - dl dialect operations --------------------*- tablegen -*-===//
//
// Every op verifies its operands and infers its result type, so IR built by
// MLIRGen, by passes or by hand is checked the same way.
//
//===----------------------------------------------------------------------===//

#ifndef DL_OPS_TD
#define DL_OPS_TD

include "dialects/DL/IR/DLDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "dialects/DL/IR/DLInterfaces.td"

def DL_FloatTensor : RankedTensorOf<[AnyFloat]>;
def DL_NumericTensor : RankedTensorOf<[AnyFloat, I32, I64]>;
def DL_IndexTensor : RankedTensorOf<[I32, I64]>;
def DL_BoolTensor : RankedTensorOf<[I1]>;
def DL_AnyTensor : RankedTensorOf<[AnyFloat, I1, I32, I64]>;

//===----------------------------------------------------------------------===//
// dl.constant
//===----------------------------------------------------------------------===//

def DL_ConstantOp : DL_Op<"constant", [ConstantLike, Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "A tensor constant";
  let description = [{
    Materialises a dense tensor literal. Model parameters are never constants:
    they are function arguments.

    ```mlir
    %c = dl.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops with NumPy broadcasting
//===----------------------------------------------------------------------===//

class DL_BroadcastBinaryOp<string mnemonic, string what,
                           TypeConstraint tensor = DL_NumericTensor,
                           list<Trait> traits = []>
    : DL_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<DL_VJPOpInterface>])> {
  let summary = "Elementwise " # what # " with NumPy broadcasting";
  let description = [{
    Shapes are aligned at the trailing dimension; a static size-1 dimension
    stretches to the other side's size. Dynamic dimensions must match the other
    side or meet a static 1. Element types must be equal. Integer arithmetic
    wraps (two's complement).

    ```mlir
    %r = dl.}] # mnemonic # [{ %a, %b : tensor<?x4xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins tensor:$lhs, tensor:$rhs);
  let results = (outs tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def DL_AddOp : DL_BroadcastBinaryOp<"add", "addition", DL_NumericTensor,
                                    [Commutative]>;
def DL_SubOp : DL_BroadcastBinaryOp<"sub", "subtraction">;
def DL_MulOp : DL_BroadcastBinaryOp<"mul", "multiplication", DL_NumericTensor,
                                    [Commutative]>;
// Float only: integer division by zero has no defined result to give.
def DL_DivOp : DL_BroadcastBinaryOp<"div", "division", DL_FloatTensor>;

//===----------------------------------------------------------------------===//
// dl.matmul
//===----------------------------------------------------------------------===//

def DL_MatMulOp : DL_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Matrix product, optionally batched";
  let description = [{
    `[M, K] x [K, N] -> [M, N]`; `[..., M, K] x [K, N] -> [..., M, N]` (one
    right matrix for every batch, as a Linear layer on a sequence);
    `[..., M, K] x [..., K, N] -> [..., M, N]` with equal batch dimensions.
    The contraction sizes must agree when both are static.

    ```mlir
    %r = dl.matmul %a, %b : tensor<?x784xf32>, tensor<784x128xf32>
    ```
  }];
  let arguments = (ins DL_NumericTensor:$lhs, DL_NumericTensor:$rhs);
  let results = (outs DL_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

def DL_ReluOp : DL_Op<"relu", [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Rectified linear unit, max(x, 0)";
  let description = [{
    NaN propagates, as in PyTorch.

    ```mlir
    %r = dl.relu %x : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins DL_NumericTensor:$input);
  let results = (outs DL_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def DL_NegOp : DL_Op<"neg", [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = "Elementwise negation, -x";
  let description = [{
    Flips the sign bit (so `-0.0` results from `0.0`), like `torch.neg`.

    ```mlir
    %r = dl.neg %x : tensor<4xf32>
    ```
  }];
  let arguments = (ins DL_NumericTensor:$input);
  let results = (outs DL_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def DL_GradOp : DL_Op<"grad", [Pure]> {
  let summary = "Gradient of a scalar function with respect to one operand";
  let description = [{
    The gradient of `callee(operands)` (a function returning a float scalar)
    with respect to `operands[wrt]`, with that operand's type. `dl-autodiff`
    replaces it with a call of a generated gradient function.

    ```mlir
    %g = dl.grad @loss(%w, %x, %y) wrt 0 : (tensor<4x3xf32>, tensor<?x4xf32>, tensor<?xi64>) -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyRankedTensor>:$operands,
                       I64Attr:$wrt);
  let results = (outs DL_FloatTensor:$result);
  let assemblyFormat = "$callee `(` $operands `)` `wrt` $wrt attr-dict `:` functional-type($operands, $result)";
  let hasVerifier = 1;
}

include "dialects/DL/IR/DLMathOps.td"
include "dialects/DL/IR/DLReductionOps.td"
include "dialects/DL/IR/DLShapeOps.td"
include "dialects/DL/IR/DLNNOps.td"
include "dialects/DL/IR/DLLogicOps.td"
include "dialects/DL/IR/DLTrainingOps.td"

#endif // DL_OPS_TD
